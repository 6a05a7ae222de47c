package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the channel migration 00003's triggers notify on.
const changesChannel = "mint_changes"

// watchPing is how long the watching connection may stay silent before it
// is pinged, so that a connection lost without a word (a host gone, a
// partition) is noticed within watchPing + watchPingTimeout.
const (
	watchPing        = 10 * time.Second
	watchPingTimeout = 5 * time.Second
)

// WatchChanges calls onChange with a table's name ("apis", "clients",
// "secrets", "grants", "signing_keys", "revoked_tokens") after each committed statement that
// may have changed it, made by any process on this schema, until ctx is
// done or the watch fails. It first calls onChange("") — "anything may have
// changed" — once it is listening, so a caller can drop what it read
// before. Tables changed by cascade are reported too; recording a secret's
// use is not.
//
// It listens (LISTEN mint_changes) on a connection of its own, outside the
// pool, which it pings when silent for 10 s. It returns ctx.Err() when ctx
// is done, and otherwise the error that ended the watch: the caller should
// then assume it missed changes, and may call it again. Behind a PgBouncer
// in transaction mode LISTEN does not work: give mint a direct connection.
// onChange must be quick; calls are made one at a time.
func (s *Store) WatchChanges(ctx context.Context, onChange func(table string)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return watchErr(ctx, err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), watchPingTimeout)
		defer cancel()
		conn.Close(cctx)
	}()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return watchErr(ctx, err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		return watchErr(ctx, err)
	}
	onChange("")
	for {
		table, err := nextChange(ctx, conn, schema)
		if err != nil {
			return watchErr(ctx, err)
		}
		if table != "" {
			onChange(table)
		}
	}
}

// nextChange waits for one notification and returns the table it names,
// or "" for another schema's, or after pinging a connection silent for
// watchPing.
func nextChange(ctx context.Context, conn *pgx.Conn, schema string) (string, error) {
	wctx, cancel := context.WithTimeout(ctx, watchPing)
	n, err := conn.WaitForNotification(wctx)
	cancel()
	if err != nil && ctx.Err() == nil && errors.Is(wctx.Err(), context.DeadlineExceeded) {
		pctx, cancel := context.WithTimeout(ctx, watchPingTimeout)
		defer cancel()
		return "", conn.Ping(pctx)
	}
	if err != nil {
		return "", err
	}
	// Schema names may hold dots; table names do not.
	i := strings.LastIndexByte(n.Payload, '.')
	if i < 0 || n.Payload[:i] != schema {
		return "", nil
	}
	return n.Payload[i+1:], nil
}

// watchErr is ctx.Err() once ctx is done, else err with context.
func watchErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return failed("postgres: watch changes: %w", err)
}
