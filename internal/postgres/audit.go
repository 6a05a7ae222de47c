package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

var _ mint.AuditStore = (*Store)(nil)

const selectAudit = `SELECT seq, time, kind, actor, client_id, subject, source, details, prev_hash, hash FROM audit_log`

func scanAudit(row pgx.Row) (mint.AuditRecord, error) {
	var (
		r       mint.AuditRecord
		details string
	)
	if err := row.Scan(&r.Seq, &r.Time, &r.Kind, &r.Actor, &r.ClientID, &r.Subject, &r.Source, &details, &r.PrevHash, &r.Hash); err != nil {
		return mint.AuditRecord{}, err
	}
	r.Time, r.Details = r.Time.UTC(), []byte(details)
	return r, nil
}

// AppendAudit appends records to the chain in one transaction, holding the
// lock on the chain's head row, so that replicas append one after the
// other.
func (s *Store) AppendAudit(ctx context.Context, records []mint.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx pgx.Tx) error { return appendAudit(ctx, tx, records...) })
}

// appendAudit locks the chain head, chains records after it and moves it.
func appendAudit(ctx context.Context, tx pgx.Tx, records ...mint.AuditRecord) error {
	var (
		seq  int64
		prev []byte
	)
	err := tx.QueryRow(ctx, `SELECT head_seq, head_hash FROM audit_chain WHERE id = 1 FOR UPDATE`).Scan(&seq, &prev)
	if err != nil {
		return failed("postgres: audit append: %w", err)
	}
	rows := make([][]any, len(records))
	for i, r := range records {
		seq++
		r.Seq = seq
		audit.Seal(&r, prev)
		rows[i] = []any{r.Seq, r.Time, r.Kind, r.Actor, r.ClientID, r.Subject, r.Source, string(r.Details), r.PrevHash, r.Hash}
		prev = r.Hash
	}
	// COPY sends the whole batch in one binary stream: an INSERT per record
	// cost more in encoding and parsing than the rows cost to store.
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_log"}, auditColumns, pgx.CopyFromRows(rows)); err != nil {
		return failed("postgres: audit append: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_chain SET head_seq = $1, head_hash = $2 WHERE id = 1`, seq, prev); err != nil {
		return failed("postgres: audit append: %w", err)
	}
	return nil
}

var auditColumns = []string{"seq", "time", "kind", "actor", "client_id", "subject", "source", "details", "prev_hash", "hash"}

// appendChange appends the record mint.WithAudit put in ctx, if any.
func appendChange(ctx context.Context, tx pgx.Tx) error {
	record := mint.AuditFrom(ctx)
	if record == nil {
		return nil
	}
	return appendAudit(ctx, tx, record())
}

// ListAudit returns the records filter selects, by seq.
func (s *Store) ListAudit(ctx context.Context, f mint.AuditFilter) ([]mint.AuditRecord, error) {
	var where []string
	args := []any{f.AfterSeq}
	where = append(where, "seq > $1")
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.ClientID != "" {
		p := arg(f.ClientID)
		// actor <> client_id: the partial index audit_log_actor holds only those
		// (migration 00007); the others are found by client_id.
		where = append(where, "(client_id = "+p+" OR (actor = "+p+" AND actor <> client_id))")
	}
	if strings.HasSuffix(f.Kind, ".") {
		where = append(where, "starts_with(kind, "+arg(f.Kind)+")")
	} else if f.Kind != "" {
		where = append(where, "kind = "+arg(f.Kind))
	}
	if !f.Since.IsZero() {
		where = append(where, "time >= "+arg(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "time < "+arg(f.Until))
	}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < "+arg(f.BeforeSeq))
	}
	order := "seq"
	if f.NewestFirst {
		order = "seq DESC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	q := selectAudit + ` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ` + arg(limit)
	out, err := list(ctx, s.pool, scanAudit, q, args...)
	if err != nil {
		return nil, failed("postgres: list audit: %w", err)
	}
	return out, nil
}

// AuditAnchor returns the anchor and head of the chain.
func (s *Store) AuditAnchor(ctx context.Context) (mint.AuditAnchor, error) {
	var (
		a      mint.AuditAnchor
		pruned *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT anchor_seq, anchor_hash, pruned_at, head_seq FROM audit_chain WHERE id = 1`).
		Scan(&a.Seq, &a.Hash, &pruned, &a.HeadSeq)
	if err != nil {
		return mint.AuditAnchor{}, failed("postgres: audit anchor: %w", err)
	}
	a.Pruned = fromNull(pruned)
	return a, nil
}

// pruneBatch bounds the records one PruneAudit deletes, so that one
// transaction stays short; callers call again while it deletes some.
const pruneBatch = 50_000

// PruneAudit deletes the oldest records, up to the first one at or after
// before (at most pruneBatch), and makes the last one deleted the anchor,
// holding the chain's lock.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var anchor, head int64
		err := tx.QueryRow(ctx, `SELECT anchor_seq, head_seq FROM audit_chain WHERE id = 1 FOR UPDATE`).Scan(&anchor, &head)
		if err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		last := head
		var first *int64
		if err := tx.QueryRow(ctx, `SELECT min(seq) FROM audit_log WHERE time >= $1`, before).Scan(&first); err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		if first != nil {
			last = *first - 1
		}
		last = min(last, anchor+pruneBatch)
		if last <= anchor {
			return nil
		}
		var hash []byte
		err = tx.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = $1`, last).Scan(&hash)
		if errors.Is(err, pgx.ErrNoRows) || err != nil {
			return failed("postgres: prune audit: record %d: %w", last, err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE seq <= $1`, last)
		if err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		n = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `UPDATE audit_chain SET anchor_seq = $1, anchor_hash = $2, pruned_at = now() WHERE id = 1`, last, hash)
		if err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		return nil
	})
	return n, err
}

// execOneInTx runs execOne in a transaction, so that the audit record
// mint.WithAudit put in ctx is written with the change.
func (s *Store) execOneInTx(ctx context.Context, notFound error, query string, args ...any) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return execOne(ctx, tx, notFound, query, args...) })
}
