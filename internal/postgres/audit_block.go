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

// Token issuances are stored a batch to a row, in audit_block (migration
// 00011; package audit, block.go), with a side index of the clients each
// block holds, audit_block_client.

// appendBlock chains records after (seq, prev) as one block and returns
// the new head. Its clients go into the side index later (indexBlocks).
func appendBlock(ctx context.Context, tx pgx.Tx, seq int64, prev []byte, records []mint.AuditRecord, c *audit.CacheTx) (int64, []byte, error) {
	b := audit.SealBlock(seq, prev, records)
	_, err := tx.Exec(ctx, `INSERT INTO audit_block (first_seq, last_seq, time_min, time_max, prev_hash, payload)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		b.First, b.Last, time.UnixMicro(b.TimeMin).UTC(), time.UnixMicro(b.TimeMax).UTC(), b.PrevHash, b.Payload)
	if err != nil {
		return 0, nil, err
	}
	c.Wrote(b.First, b.Clients)
	return b.Last, b.Hash, nil
}

// indexBlocks copies the clients of the blocks after indexed into the side
// index, in key order (audit.IndexRows), and returns the last seq of the
// last of them, the chain's new block_index_seq (migration 00019). The
// clients of a block this replica wrote are known (c); the others'
// payloads are read and decoded.
func indexBlocks(ctx context.Context, tx pgx.Tx, indexed int64, c *audit.CacheTx) (int64, error) {
	type span struct{ first, last int64 }
	spans, err := list(ctx, tx, func(row pgx.Row) (span, error) {
		var s span
		return s, row.Scan(&s.first, &s.last)
	}, `SELECT first_seq, last_seq FROM audit_block WHERE first_seq > $1 ORDER BY first_seq`, indexed)
	if err != nil || len(spans) == 0 {
		return indexed, err
	}
	blocks := make([]audit.BlockIndex, len(spans))
	for i, sp := range spans {
		clients, ok := c.Clients(sp.first)
		if !ok {
			b, err := scanBlock(tx.QueryRow(ctx, `SELECT first_seq, last_seq, prev_hash, payload FROM audit_block WHERE first_seq = $1`, sp.first))
			if err != nil {
				return 0, err
			}
			clients = audit.BlockClients(b) // none if it does not decode: verification names it
		}
		blocks[i] = audit.BlockIndex{First: sp.first, Clients: clients}
	}
	index := audit.IndexRows(blocks)
	// One row of values, refilled for each: COPY encodes a row before it
	// asks for the next, and a slice per row was thousands of allocations.
	row := make([]any, 2)
	next := func(i int) ([]any, error) {
		row[0], row[1] = index[i].ClientID, index[i].First
		return row, nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_block_client"}, []string{"client_id", "first_seq"}, pgx.CopyFromSlice(len(index), next)); err != nil {
		return 0, err
	}
	last := spans[len(spans)-1].last
	c.Indexed(last)
	return last, nil
}

// indexedThrough reads the chain's block_index_seq for a query by client
// (audit.ListBlocks).
func (s *Store) indexedThrough(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT block_index_seq FROM audit_chain WHERE id = 1`).Scan(&n)
	return n, err
}

func scanBlock(row pgx.Row) (audit.StoredBlock, error) {
	var b audit.StoredBlock
	err := row.Scan(&b.First, &b.Last, &b.PrevHash, &b.Payload)
	return b, err
}

// readBlocks is ListAudit's audit.BlockReader. Each bound is an index
// seek: the block holding AfterSeq is found on the primary key (blocks
// straddle cursors), the first block with a record at or after Since on
// audit_block_time, a client's blocks on audit_block_client's key.
func (s *Store) readBlocks(ctx context.Context, q audit.BlockQuery) ([]audit.StoredBlock, error) {
	query, args := blockQuery(q)
	return list(ctx, s.pool, scanBlock, query, args...)
}

func blockQuery(q audit.BlockQuery) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	from, key := `audit_block b`, `b.first_seq`
	var where []string
	if q.ClientID != "" {
		from, key = `audit_block_client c JOIN audit_block b ON b.first_seq = c.first_seq`, `c.first_seq`
		where = append(where, "c.client_id = "+arg(q.ClientID))
	}
	// With a client, the bounds on seq are on both keys, so that a merge
	// join starts both index scans at the cursor.
	keys := []string{key}
	if key != "b.first_seq" {
		keys = append(keys, "b.first_seq")
	}
	if q.AfterSeq > 0 {
		p := arg(q.AfterSeq)
		where = append(where, "b.last_seq > "+p)
		for _, k := range keys {
			where = append(where, k+" >= (SELECT coalesce(max(first_seq), 0) FROM audit_block WHERE first_seq <= "+p+")")
		}
	}
	if q.BeforeSeq > 0 {
		p := arg(q.BeforeSeq)
		for _, k := range keys {
			where = append(where, k+" < "+p)
		}
	}
	if !q.Since.IsZero() {
		p := arg(q.Since)
		// first_seq + 0: min(first_seq) would walk the primary key from the
		// start, filtering on time.
		where = append(where, "b.time_max >= "+p, key+" >= (SELECT min(first_seq + 0) FROM audit_block WHERE time_max >= "+p+")")
	}
	if !q.Until.IsZero() {
		where = append(where, "b.time_min < "+arg(q.Until))
	}
	query := `SELECT b.first_seq, b.last_seq, b.prev_hash, b.payload FROM ` + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	// Ordered by the client too, as the key of audit_block_client is, so
	// that the planner reads it in order (see auditQuery).
	desc := ""
	if q.NewestFirst {
		desc = " DESC"
	}
	order := " ORDER BY " + key + desc
	if q.ClientID != "" {
		order = " ORDER BY c.client_id" + desc + ", " + key + desc
	}
	return query + order + " LIMIT " + arg(q.Limit), args
}

// pruneEnd returns the last seq PruneAudit deletes, given the last one it
// would (at most pruneBatch past the anchor, and before every record to
// keep): blocks are deleted whole, so a last inside a block moves to just
// before it or, when nothing is left before it, to its end (every record
// of the block is older than those kept: the first kept is after it).
func pruneEnd(ctx context.Context, tx pgx.Tx, anchor, last int64) (int64, error) {
	var first, end int64
	err := tx.QueryRow(ctx, `SELECT first_seq, last_seq FROM audit_block WHERE first_seq <= $1 ORDER BY first_seq DESC LIMIT 1`, last).
		Scan(&first, &end)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || (err == nil && end <= last):
		return last, nil
	case err != nil:
		return 0, err
	case first-1 > anchor:
		return first - 1, nil
	}
	return end, nil
}

// recordHash returns the hash of record seq, a row or the last of a block.
func recordHash(ctx context.Context, tx pgx.Tx, seq int64) ([]byte, error) {
	var hash []byte
	err := tx.QueryRow(ctx, `SELECT hash FROM audit_log WHERE seq = $1`, seq).Scan(&hash)
	if !errors.Is(err, pgx.ErrNoRows) {
		return hash, err
	}
	b, err := scanBlock(tx.QueryRow(ctx, `SELECT first_seq, last_seq, prev_hash, payload FROM audit_block WHERE last_seq = $1 ORDER BY first_seq DESC LIMIT 1`, seq))
	if err != nil {
		return nil, err
	}
	if hash = audit.LastHash(b); hash == nil {
		return nil, audit.ErrBadBlock
	}
	return hash, nil
}

// pruneBlocks deletes the blocks up to last, which ends one or none, and
// their rows in the side index; it returns how many records they held.
func pruneBlocks(ctx context.Context, tx pgx.Tx, last int64) (int, error) {
	blocks, err := list(ctx, tx, scanBlock, `SELECT first_seq, last_seq, prev_hash, payload FROM audit_block WHERE first_seq <= $1 ORDER BY first_seq`, last)
	if err != nil {
		return 0, err
	}
	n := 0
	var clients []string
	var firsts []int64
	for _, b := range blocks {
		for _, c := range audit.BlockClients(b) {
			clients, firsts = append(clients, c), append(firsts, b.First)
		}
		n += int(b.Last - b.First + 1)
	}
	_, err = tx.Exec(ctx, `DELETE FROM audit_block_client WHERE (client_id, first_seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`, clients, firsts)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM audit_block WHERE first_seq <= $1`, last); err != nil {
		return 0, err
	}
	return n, nil
}
