package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the channel migrations 00003's and 00009's triggers
// notify on.
const changesChannel = "mint_changes"

// watchPing is how long the watching connection may stay silent before it
// is pinged, so that a connection lost without a word (a host gone, a
// partition) is noticed within watchPing + watchPingTimeout.
const (
	watchPing        = 10 * time.Second
	watchPingTimeout = 5 * time.Second
)

// WatchChanges calls onChange with a table's name ("apis", "clients",
// "secrets", "grants", "signing_keys", "revoked_tokens") after each
// committed statement that may have changed it, made by any process on
// this schema, until ctx is done or the watch fails. An UPDATE of clients
// or apis is reported as "clients:update" or "apis:update" (migration
// 00020): those rows changed in place, and nothing else did (a change to
// secrets or grants is a statement of its own, reported as such). For
// clients, secrets and grants, keys name the clients whose rows changed
// (migration 00009);
// nil keys mean anything in the table may have changed (other tables, a
// statement touching over 100 clients, TRUNCATE). It first calls
// onChange("", nil) — "anything may have changed" — once it is listening,
// so a caller can drop what it read before. Tables changed by cascade are
// reported too; recording a secret's use is not.
//
// It listens (LISTEN mint_changes) on a connection of its own, outside the
// pool, which it pings when silent for 10 s. It returns ctx.Err() when ctx
// is done, and otherwise the error that ended the watch: the caller should
// then assume it missed changes, and may call it again. Behind a PgBouncer
// in transaction mode LISTEN does not work: give mint a direct connection.
// onChange must be quick; calls are made one at a time.
func (s *Store) WatchChanges(ctx context.Context, onChange func(table string, keys []string)) error {
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
	onChange("", nil)
	for {
		table, keys, err := nextChange(ctx, conn, schema)
		if err != nil {
			return watchErr(ctx, err)
		}
		if table != "" {
			onChange(table, keys)
		}
	}
}

// nextChange waits for one notification and returns the table and keys it
// names, or "" for another schema's, or after pinging a connection silent
// for watchPing.
func nextChange(ctx context.Context, conn *pgx.Conn, schema string) (string, []string, error) {
	wctx, cancel := context.WithTimeout(ctx, watchPing)
	n, err := conn.WaitForNotification(wctx)
	cancel()
	if err != nil && ctx.Err() == nil && errors.Is(wctx.Err(), context.DeadlineExceeded) {
		pctx, cancel := context.WithTimeout(ctx, watchPingTimeout)
		defer cancel()
		return "", nil, conn.Ping(pctx)
	}
	if err != nil {
		return "", nil, err
	}
	table, keys := parseChange(n.Payload, schema)
	return table, keys, nil
}

// keyedChange is the payload of migration 00009's and 00020's
// notifications.
type keyedChange struct {
	Schema string   `json:"schema"`
	Table  string   `json:"table"`
	Op     string   `json:"op"` // "update" (00020), or none: any change
	Keys   []string `json:"keys"`
}

// updateTables are the tables whose UPDATE statements migration 00020
// tells of as updates: they change those rows only, and are reported as
// table + ":update" ("clients:update", "apis:update").
var updateTables = map[string]bool{"clients": true, "apis": true}

// parseChange returns the table and keys a notification's payload names,
// "" if it is another schema's. Payloads are 00009's or 00020's JSON or
// 00003's "schema.table"; one not understood names "?" (a table no cache
// knows: anything may have changed).
func parseChange(payload, schema string) (string, []string) {
	if strings.HasPrefix(payload, `{"`) {
		var c keyedChange
		if err := json.Unmarshal([]byte(payload), &c); err != nil || c.Table == "" {
			return "?", nil
		}
		if c.Schema != schema {
			return "", nil
		}
		if c.Op == "update" && updateTables[c.Table] {
			return c.Table + ":update", c.Keys
		}
		return c.Table, c.Keys
	}
	// Schema names may hold dots; table names do not.
	i := strings.LastIndexByte(payload, '.')
	if i < 0 || payload[:i] != schema {
		return "", nil
	}
	return payload[i+1:], nil
}

// watchErr is ctx.Err() once ctx is done, else err with context.
func watchErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return failed("postgres: watch changes: %w", err)
}
