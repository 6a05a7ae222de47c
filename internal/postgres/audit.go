package postgres

import (
	"context"
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
	c := s.blockClients.Begin()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		c.Reset()
		return appendChained(ctx, tx, audit.BlockRecord, records, c)
	})
	if err == nil {
		c.Commit()
	}
	return err
}

// appendAudit locks the chain head, chains records after it and moves it.
// Each run of token issuances is one block (audit_block.go); the other
// records are rows.
func appendAudit(ctx context.Context, tx pgx.Tx, records ...mint.AuditRecord) error {
	return appendChained(ctx, tx, audit.BlockRecord, records, nil)
}

// appendChained is appendAudit with the choice of which records go in
// blocks (tests write issuances as rows, as mint did before blocks), and
// the transaction's view of the clients of blocks not yet indexed (nil:
// none known).
func appendChained(ctx context.Context, tx pgx.Tx, inBlocks func(mint.AuditRecord) bool, records []mint.AuditRecord, c *audit.CacheTx) error {
	var (
		seq, indexed, lastBlock int64
		prev                    []byte
	)
	err := tx.QueryRow(ctx, `SELECT head_seq, head_hash, block_index_seq FROM audit_chain WHERE id = 1 FOR UPDATE`).Scan(&seq, &prev, &indexed)
	if err != nil {
		return failed("postgres: audit append: %w", err)
	}
	c.Indexed(indexed) // what another replica indexed leaves the cache too
	for len(records) > 0 {
		n, inBlock := 1, inBlocks(records[0])
		for n < len(records) && inBlocks(records[n]) == inBlock {
			n++
		}
		if inBlock {
			seq, prev, err = appendBlock(ctx, tx, seq, prev, records[:n], c)
			lastBlock = seq
		} else {
			seq, prev, err = appendRows(ctx, tx, seq, prev, records[:n])
		}
		if err != nil {
			return failed("postgres: audit append: %w", err)
		}
		records = records[n:]
	}
	// The blocks not yet in the side index go in together once they hold
	// audit.IndexLag records (audit.IndexLag says why).
	if lastBlock-indexed >= audit.IndexLag() {
		if indexed, err = indexBlocks(ctx, tx, indexed, c); err != nil {
			return failed("postgres: audit append: side index: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_chain SET head_seq = $1, head_hash = $2, block_index_seq = $3 WHERE id = 1`, seq, prev, indexed); err != nil {
		return failed("postgres: audit append: %w", err)
	}
	return nil
}

// appendRows chains records after (seq, prev) as one row each, and
// returns the new head.
func appendRows(ctx context.Context, tx pgx.Tx, seq int64, prev []byte, records []mint.AuditRecord) (int64, []byte, error) {
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
		return 0, nil, err
	}
	return seq, prev, nil
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
	kinds, err := s.auditKinds(ctx, f.Kind)
	if err != nil {
		return nil, failed("postgres: list audit: %w", err)
	}
	q, args := auditQuery(f, kinds)
	out, err := list(ctx, s.pool, scanAudit, q, args...)
	if err != nil {
		return nil, failed("postgres: list audit: %w", err)
	}
	var indexed int64
	if f.ClientID != "" {
		if indexed, err = s.indexedThrough(ctx); err != nil {
			return nil, failed("postgres: list audit: %w", err)
		}
	}
	blocks, err := audit.ListBlocks(ctx, f, s.readBlocks, indexed)
	if err != nil {
		return nil, failed("postgres: list audit: %w", err)
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
	kinds, op := []string{}, ">="
	for len(kinds) <= audit.MaxKindsMerged {
		var next *string
		err := s.pool.QueryRow(ctx, `SELECT min(kind COLLATE "C") FROM audit_log WHERE kind COLLATE "C" `+op+
			` $1 AND kind COLLATE "C" < $2`, lo, hi).Scan(&next)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return kinds, nil
		}
		kinds, lo, op = append(kinds, *next), *next, ">"
	}
	return nil, nil
}

// auditQuery is the SELECT of ListAudit, with the kinds auditKinds found.
// Every documented filter is answered from an index (audit_plan_test.go
// checks the plans). The records are read in arms, each an equality on the
// leading column of an index ordered by it and seq, so that the index hands
// them over in seq order and a page reads at most a page per arm; the arms
// are merged. The order by the leading column too is what makes the planner
// take that index: ordered by seq alone, it would rather walk the primary
// key and filter, assuming matches spread evenly (they are not: admin
// changes are rare, a client's records bunched). Client: two arms, on
// audit_log_client_id and on audit_log_actor (disjoint: the second holds
// only records whose actor is not their client). Otherwise kind: one arm
// per kind on audit_log_kind. Since: audit_log_time finds the first seq.
func auditQuery(f mint.AuditFilter, kinds []string) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where := []string{"seq > " + arg(f.AfterSeq)}
	if f.BeforeSeq > 0 {
		where = append(where, "seq < "+arg(f.BeforeSeq))
	}
	if !f.Since.IsZero() {
		// min(seq + 0): min(seq) would be found walking the primary key from
		// the start, filtering on time.
		p := arg(f.Since)
		where = append(where, "time >= "+p, "seq >= (SELECT min(seq + 0) FROM audit_log WHERE time >= "+p+")")
	}
	if !f.Until.IsZero() {
		where = append(where, "time < "+arg(f.Until))
	}
	type arm struct{ cond, key string }
	var arms []arm
	switch {
	case f.ClientID != "":
		p := arg(f.ClientID)
		// actor <> client_id: the partial index audit_log_actor holds only
		// those (migration 00007); the others are found by client_id.
		arms = []arm{{"client_id = " + p, "client_id"}, {"actor = " + p + " AND actor <> client_id", "actor"}}
		if lo, hi, ok := audit.KindRange(f.Kind); ok {
			where = append(where, `kind COLLATE "C" >= `+arg(lo)+` AND kind COLLATE "C" < `+arg(hi))
		} else if f.Kind != "" {
			where = append(where, `kind COLLATE "C" = `+arg(f.Kind))
		}
	case kinds != nil && len(kinds) == 0: // a prefix no record has
		where = append(where, "false")
	case kinds != nil:
		for _, kind := range kinds {
			arms = append(arms, arm{`kind COLLATE "C" = ` + arg(kind), `kind COLLATE "C"`})
		}
	case f.Kind != "": // more kinds than are worth merging: the range, sorted
		lo, hi, _ := audit.KindRange(f.Kind)
		where = append(where, `kind COLLATE "C" >= `+arg(lo)+` AND kind COLLATE "C" < `+arg(hi))
	}
	desc := ""
	if f.NewestFirst {
		desc = " DESC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	lim := arg(limit)
	cond := strings.Join(where, " AND ")
	if len(arms) == 0 {
		return selectAudit + " WHERE " + cond + " ORDER BY seq" + desc + " LIMIT " + lim, args
	}
	parts := make([]string, len(arms))
	for i, a := range arms {
		parts[i] = selectAudit + " WHERE " + a.cond + " AND " + cond +
			" ORDER BY " + a.key + desc + ", seq" + desc + " LIMIT " + lim
	}
	if len(parts) == 1 {
		return parts[0], args
	}
	return "(" + strings.Join(parts, ") UNION ALL (") + ") ORDER BY seq" + desc + " LIMIT " + lim, args
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
		// The first record to keep: the first row, or the first block,
		// with a record at or after before.
		last := head
		var first *int64
		err = tx.QueryRow(ctx, `SELECT least((SELECT min(seq) FROM audit_log WHERE time >= $1),
			(SELECT min(first_seq + 0) FROM audit_block WHERE time_max >= $1))`, before).Scan(&first)
		if err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		if first != nil {
			last = *first - 1
		}
		if last, err = pruneEnd(ctx, tx, anchor, min(last, anchor+pruneBatch)); err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		if last <= anchor {
			return nil
		}
		hash, err := recordHash(ctx, tx, last)
		if err != nil {
			return failed("postgres: prune audit: record %d: %w", last, err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE seq <= $1`, last)
		if err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		inBlocks, err := pruneBlocks(ctx, tx, last)
		if err != nil {
			return failed("postgres: prune audit: %w", err)
		}
		n = int(tag.RowsAffected()) + inBlocks
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
