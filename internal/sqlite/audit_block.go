package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

// Token issuances are stored a batch to a row, in audit_block (migration
// 00009; package audit, block.go), with a side index of the clients each
// block holds, audit_block_client.

// clientRowsPerInsert is how many side-index rows one INSERT writes.
const clientRowsPerInsert = 256

var insertClientRows = insertClientSQL(clientRowsPerInsert)

func insertClientSQL(n int) string {
	return `INSERT INTO audit_block_client (client_id, first_seq) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
}

// appendBlock chains records after (seq, prev) as one block and returns
// the new head. Its clients go into the side index later (indexBlocks).
func appendBlock(ctx context.Context, tx *sql.Tx, seq int64, prev []byte, records []mint.AuditRecord, c *audit.CacheTx) (int64, []byte, error) {
	b := audit.SealBlock(seq, prev, records)
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_block (first_seq, last_seq, time_min, time_max, prev_hash, payload) VALUES (?, ?, ?, ?, ?, ?)`,
		b.First, b.Last, b.TimeMin, b.TimeMax, b.PrevHash, b.Payload)
	if err != nil {
		return 0, nil, err
	}
	c.Wrote(b.First, b.Clients)
	return b.Last, b.Hash, nil
}

// indexBlocks puts the clients of the blocks after indexed in the side
// index, in key order (audit.IndexRows), and returns the last seq of the
// last of them, the chain's new block_index_seq (migration 00017). The
// clients of a block this store wrote are known (c); the others' payloads
// are read and decoded.
func indexBlocks(ctx context.Context, tx *sql.Tx, indexed int64, c *audit.CacheTx) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT first_seq, last_seq FROM audit_block WHERE first_seq > ? ORDER BY first_seq`, indexed)
	if err != nil {
		return 0, err
	}
	var (
		blocks []audit.BlockIndex
		last   int64
	)
	for rows.Next() {
		var b audit.BlockIndex
		if err := rows.Scan(&b.First, &last); err != nil {
			rows.Close()
			return 0, err
		}
		blocks = append(blocks, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(blocks) == 0 {
		return indexed, err
	}
	for i := range blocks {
		clients, ok := c.Clients(blocks[i].First)
		if !ok {
			var b audit.StoredBlock
			err := tx.QueryRowContext(ctx, `SELECT first_seq, last_seq, prev_hash, payload FROM audit_block WHERE first_seq = ?`, blocks[i].First).
				Scan(&b.First, &b.Last, &b.PrevHash, &b.Payload)
			if err != nil {
				return 0, err
			}
			clients = audit.BlockClients(b) // none if it does not decode: verification names it
		}
		blocks[i].Clients = clients
	}
	var stmt *sql.Stmt
	defer func() {
		if stmt != nil {
			stmt.Close()
		}
	}()
	index := audit.IndexRows(blocks)
	args := make([]any, 0, 2*min(len(index), clientRowsPerInsert))
	for len(index) > 0 {
		n := min(len(index), clientRowsPerInsert)
		args = args[:0]
		for _, r := range index[:n] {
			args = append(args, r.ClientID, r.First)
		}
		switch {
		case n < clientRowsPerInsert:
			_, err = tx.ExecContext(ctx, insertClientSQL(n), args...)
		case stmt == nil:
			if stmt, err = tx.PrepareContext(ctx, insertClientRows); err == nil {
				_, err = stmt.ExecContext(ctx, args...)
			}
		default:
			_, err = stmt.ExecContext(ctx, args...)
		}
		if err != nil {
			return 0, err
		}
		index = index[n:]
	}
	c.Indexed(last)
	return last, nil
}

// indexedThrough reads the chain's block_index_seq for a query by client
// (audit.ListBlocks).
func (s *Store) indexedThrough(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT block_index_seq FROM audit_chain WHERE id = 1`).Scan(&n)
	return n, err
}

// readBlocks is ListAudit's audit.BlockReader. Each bound is an index
// seek: the block holding AfterSeq is found on the primary key (blocks
// straddle cursors), the first block with a record at or after Since on
// audit_block_time, a client's blocks on audit_block_client's key.
func (s *Store) readBlocks(ctx context.Context, q audit.BlockQuery) ([]audit.StoredBlock, error) {
	query, args := blockQuery(q)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.StoredBlock
	for rows.Next() {
		var b audit.StoredBlock
		if err := rows.Scan(&b.First, &b.Last, &b.PrevHash, &b.Payload); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func blockQuery(q audit.BlockQuery) (string, []any) {
	from, key := `audit_block b`, `b.first_seq`
	var where []string
	var args []any
	if q.ClientID != "" {
		from, key = `audit_block_client c JOIN audit_block b ON b.first_seq = c.first_seq`, `c.first_seq`
		where, args = append(where, "c.client_id = ?"), append(args, q.ClientID)
	}
	if q.AfterSeq > 0 {
		where = append(where, "b.last_seq > ?", key+" >= (SELECT coalesce(max(first_seq), 0) FROM audit_block WHERE first_seq <= ?)")
		args = append(args, q.AfterSeq, q.AfterSeq)
	}
	if q.BeforeSeq > 0 {
		where, args = append(where, key+" < ?"), append(args, q.BeforeSeq)
	}
	if !q.Since.IsZero() {
		us := q.Since.UnixMicro()
		where = append(where, "b.time_max >= ?", key+" >= (SELECT min(first_seq) FROM audit_block INDEXED BY audit_block_time WHERE time_max >= ?)")
		args = append(args, us, us)
	}
	if !q.Until.IsZero() {
		where, args = append(where, "b.time_min < ?"), append(args, q.Until.UnixMicro())
	}
	query := `SELECT b.first_seq, b.last_seq, b.prev_hash, b.payload FROM ` + from
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	order := " ORDER BY " + key
	if q.NewestFirst {
		order += " DESC"
	}
	return query + order + " LIMIT ?", append(args, q.Limit)
}

// pruneEnd returns the last seq PruneAudit deletes, given the last one it
// would (at most pruneBatch past the anchor, and before every record to
// keep): blocks are deleted whole, so a last inside a block moves to just
// before it or, when nothing is left before it, to its end (every record
// of the block is older than those kept: the first kept is after it).
func pruneEnd(ctx context.Context, tx *sql.Tx, anchor, last int64) (int64, error) {
	var first, end int64
	err := tx.QueryRowContext(ctx, `SELECT first_seq, last_seq FROM audit_block WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1`, last).
		Scan(&first, &end)
	switch {
	case err == sql.ErrNoRows || (err == nil && end <= last):
		return last, nil
	case err != nil:
		return 0, err
	case first-1 > anchor:
		return first - 1, nil
	}
	return end, nil
}

// recordHash returns the hash of record seq, a row or the last of a block.
func recordHash(ctx context.Context, tx *sql.Tx, seq int64) ([]byte, error) {
	var hash []byte
	err := tx.QueryRowContext(ctx, `SELECT hash FROM audit_log WHERE seq = ?`, seq).Scan(&hash)
	if err != sql.ErrNoRows {
		return hash, err
	}
	var b audit.StoredBlock
	err = tx.QueryRowContext(ctx, `SELECT first_seq, last_seq, prev_hash, payload FROM audit_block WHERE last_seq = ? ORDER BY first_seq DESC LIMIT 1`, seq).
		Scan(&b.First, &b.Last, &b.PrevHash, &b.Payload)
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
func pruneBlocks(ctx context.Context, tx *sql.Tx, last int64) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT first_seq, last_seq, prev_hash, payload FROM audit_block WHERE first_seq <= ? ORDER BY first_seq`, last)
	if err != nil {
		return 0, err
	}
	var blocks []audit.StoredBlock
	for rows.Next() {
		var b audit.StoredBlock
		if err := rows.Scan(&b.First, &b.Last, &b.PrevHash, &b.Payload); err != nil {
			rows.Close()
			return 0, err
		}
		blocks = append(blocks, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, b := range blocks {
		for _, c := range audit.BlockClients(b) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM audit_block_client WHERE client_id = ? AND first_seq = ?`, c, b.First); err != nil {
				return 0, err
			}
		}
		n += int(b.Last - b.First + 1)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM audit_block WHERE first_seq <= ?`, last); err != nil {
		return 0, err
	}
	return n, nil
}
