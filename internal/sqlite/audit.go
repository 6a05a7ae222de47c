package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

var _ mint.AuditStore = (*Store)(nil)

const selectAudit = `SELECT seq, time_us, kind, actor, client_id, subject, source, details, prev_hash, hash FROM audit_log`

func scanAudit(row rowScanner) (mint.AuditRecord, error) {
	var (
		r       mint.AuditRecord
		us      int64
		details string
	)
	if err := row.Scan(&r.Seq, &us, &r.Kind, &r.Actor, &r.ClientID, &r.Subject, &r.Source, &details, &r.PrevHash, &r.Hash); err != nil {
		return mint.AuditRecord{}, err
	}
	r.Time, r.Details = time.UnixMicro(us).UTC(), []byte(details)
	return r, nil
}

// AppendAudit appends records to the chain in one transaction. SQLite's one
// writer makes appends linear.
func (s *Store) AppendAudit(ctx context.Context, records []mint.AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	c := s.blockClients.Begin()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		c.Reset()
		return appendChained(ctx, tx, audit.BlockRecord, records, c)
	})
	if err == nil {
		c.Commit()
	}
	return err
}

// auditRowsPerInsert is how many records one INSERT writes: one statement
// per record spent more in the driver than SQLite spent inserting.
const auditRowsPerInsert = 64

var insertAuditRows = insertAuditSQL(auditRowsPerInsert)

// insertAuditSQL is an INSERT of n audit records.
func insertAuditSQL(n int) string {
	const row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_log (seq, time_us, kind, actor, client_id, subject, source, details, prev_hash, hash) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// appendAudit chains records after the head and moves the head, in tx.
// Each run of token issuances is one block (audit_block.go); the other
// records are rows.
func appendAudit(ctx context.Context, tx *sql.Tx, records ...mint.AuditRecord) error {
	return appendChained(ctx, tx, audit.BlockRecord, records, nil)
}

// appendChained is appendAudit with the choice of which records go in
// blocks (tests write issuances as rows, as mint did before blocks), and
// the transaction's view of the clients of blocks not yet indexed (nil:
// none known).
func appendChained(ctx context.Context, tx *sql.Tx, inBlocks func(mint.AuditRecord) bool, records []mint.AuditRecord, c *audit.CacheTx) error {
	var (
		seq, indexed, lastBlock int64
		prev                    []byte
	)
	if err := tx.QueryRowContext(ctx, `SELECT head_seq, head_hash, block_index_seq FROM audit_chain WHERE id = 1`).Scan(&seq, &prev, &indexed); err != nil {
		return failed("sqlite: audit append: %w", err)
	}
	c.Indexed(indexed) // what another replica indexed leaves the cache too
	for len(records) > 0 {
		n, inBlock := 1, inBlocks(records[0])
		for n < len(records) && inBlocks(records[n]) == inBlock {
			n++
		}
		var err error
		if inBlock {
			seq, prev, err = appendBlock(ctx, tx, seq, prev, records[:n], c)
			lastBlock = seq
		} else {
			seq, prev, err = appendRows(ctx, tx, seq, prev, records[:n])
		}
		if err != nil {
			return failed("sqlite: audit append: %w", err)
		}
		records = records[n:]
	}
	// The blocks not yet in the side index go in together once they hold
	// audit.IndexLag records (audit.IndexLag says why).
	if lastBlock-indexed >= audit.IndexLag() {
		var err error
		if indexed, err = indexBlocks(ctx, tx, indexed, c); err != nil {
			return failed("sqlite: audit append: side index: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE audit_chain SET head_seq = ?, head_hash = ?, block_index_seq = ? WHERE id = 1`, seq, prev, indexed)
	if err != nil {
		return failed("sqlite: audit append: %w", err)
	}
	return nil
}

// appendRows chains records after (seq, prev) as one row each, and
// returns the new head.
func appendRows(ctx context.Context, tx *sql.Tx, seq int64, prev []byte, records []mint.AuditRecord) (int64, []byte, error) {
	// The full-size INSERT is prepared once per batch: executed with its
	// arguments, the driver prepared its 640 placeholders again for every
	// 64 records, a quarter of the audit writer's CPU.
	var insertRows *sql.Stmt
	defer func() {
		if insertRows != nil {
			insertRows.Close()
		}
	}()
	args := make([]any, 0, 10*min(len(records), auditRowsPerInsert))
	for chunk := range slices.Chunk(records, auditRowsPerInsert) {
		args = args[:0]
		for _, r := range chunk {
			seq++
			r.Seq = seq
			audit.Seal(&r, prev)
			args = append(args, r.Seq, r.Time.UnixMicro(), r.Kind, r.Actor, r.ClientID,
				r.Subject, r.Source, string(r.Details), r.PrevHash, r.Hash)
			prev = r.Hash
		}
		var err error
		switch {
		case len(chunk) < auditRowsPerInsert:
			_, err = tx.ExecContext(ctx, insertAuditSQL(len(chunk)), args...)
		case insertRows == nil:
			if insertRows, err = tx.PrepareContext(ctx, insertAuditRows); err == nil {
				_, err = insertRows.ExecContext(ctx, args...)
			}
		default:
			_, err = insertRows.ExecContext(ctx, args...)
		}
		if err != nil {
			return 0, nil, err
		}
	}
	return seq, prev, nil
}

// appendChange appends the record mint.WithAudit put in ctx, if any.
func appendChange(ctx context.Context, tx *sql.Tx) error {
	record := mint.AuditFrom(ctx)
	if record == nil {
		return nil
	}
	return appendAudit(ctx, tx, record())
}

// ListAudit returns the records filter selects, by seq.
func (s *Store) ListAudit(ctx context.Context, f mint.AuditFilter) ([]mint.AuditRecord, error) {
	kinds, err := s.auditKinds(ctx, f.Kind)
	if err != nil {
		return nil, failed("sqlite: list audit: %w", err)
	}
	query, args := auditQuery(f, kinds)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, failed("sqlite: list audit: %w", err)
	}
	defer rows.Close()
	var out []mint.AuditRecord
	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return nil, failed("sqlite: list audit: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("sqlite: list audit: %w", err)
	}
	var indexed int64
	if f.ClientID != "" {
		if indexed, err = s.indexedThrough(ctx); err != nil {
			return nil, failed("sqlite: list audit: %w", err)
		}
	}
	blocks, err := audit.ListBlocks(ctx, f, s.readBlocks, indexed)
	if err != nil {
		return nil, failed("sqlite: list audit: %w", err)
	}
	return audit.Merge(f, out, blocks), nil
}

// auditKinds returns the kinds filter selects: itself, or for a prefix the
// kinds under it that the log holds, found by one index seek each on
// audit_log_kind (a loose index scan: there are a few dozen kinds). Nil
// when there is no kind filter, or more kinds than audit.MaxKindsMerged.
func (s *Store) auditKinds(ctx context.Context, filter string) ([]string, error) {
	lo, hi, ok := audit.KindRange(filter)
	if !ok {
		if filter == "" {
			return nil, nil
		}
		return []string{filter}, nil
	}
	kinds, query := []string{}, `SELECT min(kind) FROM audit_log WHERE kind >= ? AND kind < ?`
	for len(kinds) <= audit.MaxKindsMerged {
		var next sql.NullString
		if err := s.read.QueryRowContext(ctx, query, lo, hi).Scan(&next); err != nil {
			return nil, err
		}
		if !next.Valid {
			return kinds, nil
		}
		kinds, lo, query = append(kinds, next.String), next.String, `SELECT min(kind) FROM audit_log WHERE kind > ? AND kind < ?`
	}
	return nil, nil
}

// auditQuery is the SELECT of ListAudit, with the kinds auditKinds found.
// Every documented filter is answered from an index (audit_plan_test.go
// checks the plans). The records are read in arms, each an equality on the
// leading column of an index on it and seq, so that the index hands them
// over in seq order and a page reads at most a page per arm; the arms are
// merged. Client: two arms, on audit_log_client_id and on audit_log_actor
// (disjoint: the second holds only records whose actor is not their
// client); an OR of both would be sorted whole for every page. Otherwise
// kind: one arm per kind on audit_log_kind. Since: audit_log_time finds
// the first seq. Until and the cursor bound the walk in seq order.
func auditQuery(f mint.AuditFilter, kinds []string) (string, []any) {
	where, args := []string{"seq > ?"}, []any{f.AfterSeq}
	if f.BeforeSeq > 0 {
		where, args = append(where, "seq < ?"), append(args, f.BeforeSeq)
	}
	if !f.Since.IsZero() {
		// The first record at or after since, found on audit_log_time (a
		// covering index: it holds seq as the rowid), starts the walk.
		// Without INDEXED BY, SQLite would find that min along the rowid,
		// from the start, filtering on time.
		where = append(where, "time_us >= ?", "seq >= (SELECT min(seq) FROM audit_log INDEXED BY audit_log_time WHERE time_us >= ?)")
		args = append(args, f.Since.UnixMicro(), f.Since.UnixMicro())
	}
	if !f.Until.IsZero() {
		where, args = append(where, "time_us < ?"), append(args, f.Until.UnixMicro())
	}
	type arm struct {
		cond string
		args []any
	}
	var arms []arm
	// SQLite compares TEXT bytewise (BINARY), as KindRange needs.
	lo, hi, prefix := audit.KindRange(f.Kind)
	switch {
	case f.ClientID != "":
		// actor <> client_id: the partial index audit_log_actor holds only
		// those (migration 00006); the others are found by client_id.
		arms = []arm{{"client_id = ?", []any{f.ClientID}}, {"actor = ? AND actor <> client_id", []any{f.ClientID}}}
		if prefix {
			where, args = append(where, "kind >= ? AND kind < ?"), append(args, lo, hi)
		} else if f.Kind != "" {
			where, args = append(where, "kind = ?"), append(args, f.Kind)
		}
	case kinds != nil && len(kinds) == 0: // a prefix no record has
		where = append(where, "0")
	case kinds != nil:
		for _, kind := range kinds {
			arms = append(arms, arm{"kind = ?", []any{kind}})
		}
	case prefix: // more kinds than are worth merging: the range, sorted
		where, args = append(where, "kind >= ? AND kind < ?"), append(args, lo, hi)
	}
	order := " ORDER BY seq"
	if f.NewestFirst {
		order = " ORDER BY seq DESC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	cond := strings.Join(where, " AND ")
	if len(arms) == 0 {
		return selectAudit + " WHERE " + cond + order + " LIMIT ?", append(args, limit)
	}
	parts := make([]string, len(arms))
	var all []any
	for i, a := range arms {
		parts[i] = "SELECT * FROM (" + selectAudit + " WHERE " + a.cond + " AND " + cond + order + " LIMIT ?)"
		all = append(append(append(all, a.args...), args...), limit)
	}
	return strings.Join(parts, " UNION ALL ") + order + " LIMIT ?", append(all, limit)
}

// AuditAnchor returns the anchor and head of the chain.
func (s *Store) AuditAnchor(ctx context.Context) (mint.AuditAnchor, error) {
	var (
		a      mint.AuditAnchor
		pruned sql.NullInt64
	)
	err := s.read.QueryRowContext(ctx, `SELECT anchor_seq, anchor_hash, pruned_at, head_seq FROM audit_chain WHERE id = 1`).
		Scan(&a.Seq, &a.Hash, &pruned, &a.HeadSeq)
	if err != nil {
		return mint.AuditAnchor{}, failed("sqlite: audit anchor: %w", err)
	}
	if pruned.Valid {
		a.Pruned = time.UnixMicro(pruned.Int64).UTC()
	}
	return a, nil
}

// pruneBatch bounds the records one PruneAudit deletes, so that one
// transaction stays short; callers call again while it deletes some.
const pruneBatch = 50_000

// PruneAudit deletes the oldest records, up to the first one at or after
// before (at most pruneBatch), and makes the last one deleted the anchor.
func (s *Store) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var anchor, head int64
		if err := tx.QueryRowContext(ctx, `SELECT anchor_seq, head_seq FROM audit_chain WHERE id = 1`).Scan(&anchor, &head); err != nil {
			return failed("sqlite: prune audit: %w", err)
		}
		// The first record to keep: the first row, or the first block,
		// with a record at or after before.
		last := head
		var first sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT min(s) FROM (SELECT min(seq) AS s FROM audit_log WHERE time_us >= ?
			UNION ALL SELECT min(first_seq) FROM audit_block INDEXED BY audit_block_time WHERE time_max >= ?)`,
			before.UnixMicro(), before.UnixMicro()).Scan(&first)
		if err != nil {
			return failed("sqlite: prune audit: %w", err)
		}
		if first.Valid {
			last = first.Int64 - 1
		}
		last, err = pruneEnd(ctx, tx, anchor, min(last, anchor+pruneBatch))
		if err != nil {
			return failed("sqlite: prune audit: %w", err)
		}
		if last <= anchor {
			return nil
		}
		hash, err := recordHash(ctx, tx, last)
		if err != nil {
			return failed("sqlite: prune audit: record %d: %w", last, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq <= ?`, last)
		if err != nil {
			return failed("sqlite: prune audit: %w", err)
		}
		deleted, _ := res.RowsAffected()
		inBlocks, err := pruneBlocks(ctx, tx, last)
		if err != nil {
			return failed("sqlite: prune audit: %w", err)
		}
		n = int(deleted) + inBlocks
		_, err = tx.ExecContext(ctx, `UPDATE audit_chain SET anchor_seq = ?, anchor_hash = ?, pruned_at = ? WHERE id = 1`,
			last, hash, time.Now().UnixMicro())
		if err != nil {
			return failed("sqlite: prune audit: %w", err)
		}
		return nil
	})
	return n, err
}

// execOneInTx runs execOne in a write transaction, so that the audit record
// mint.WithAudit put in ctx is written with the change.
func (s *Store) execOneInTx(ctx context.Context, notFound error, query string, args ...any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return execOne(ctx, tx, notFound, query, args...) })
}
