package audit

import (
	"context"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// BlockQuery asks a store for the blocks that may hold records a filter
// selects, in Seq order (descending when NewestFirst): blocks with a record
// after AfterSeq and, when BeforeSeq is not 0, one before it; holding a
// record of ClientID (as client or actor; the side index), when set; whose
// time range meets [Since, Until). At most Limit blocks.
type BlockQuery struct {
	ClientID            string
	Since, Until        time.Time
	AfterSeq, BeforeSeq int64
	NewestFirst         bool
	Limit               int
}

// StoredBlock is a block as a store reads it, with its row's last Seq.
type StoredBlock struct {
	Block
	Last int64
}

// BlockReader reads blocks for ListBlocks.
type BlockReader func(ctx context.Context, q BlockQuery) ([]StoredBlock, error)

// Blocks read per query: the first read is one block (a batch's block
// usually fills a page), later ones as many as the first ones' yield says
// are needed (nextRead), at most maxBlockRead.
const (
	firstBlockRead = 1
	maxBlockRead   = 256
)

// ListBlocks returns the records stored in blocks that f selects, in f's
// order, at most f's limit. A block that does not decode is listed as
// CorruptBlock when its first Seq is in f's range, whatever else f asks.
func ListBlocks(ctx context.Context, f mint.AuditFilter, readBlocks BlockReader) ([]mint.AuditRecord, error) {
	if !KindMatches(f.Kind, mint.AuditTokenIssued) {
		return nil, nil
	}
	limit := limitOf(f)
	q := BlockQuery{ClientID: f.ClientID, Since: f.Since, Until: f.Until, AfterSeq: f.AfterSeq,
		BeforeSeq: f.BeforeSeq, NewestFirst: f.NewestFirst, Limit: firstBlockRead}
	keep := func(seq int64, t time.Time, kind, actor, client []byte) bool {
		return inRange(f, seq) && KindMatches(f.Kind, string(kind)) &&
			(f.ClientID == "" || f.ClientID == string(actor) || f.ClientID == string(client)) &&
			(f.Since.IsZero() || !t.Before(f.Since)) && (f.Until.IsZero() || t.Before(f.Until))
	}
	var out []mint.AuditRecord
	read := 0 // blocks read so far
	for {
		blocks, err := readBlocks(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, b := range blocks {
			recs, err := b.Decode(b.Last, keep)
			if err != nil {
				recs = nil
				if inRange(f, b.First) {
					recs = []mint.AuditRecord{CorruptBlock(b.Block, err)}
				}
			}
			if f.NewestFirst {
				for i := len(recs) - 1; i >= 0; i-- {
					out = append(out, recs[i])
				}
			} else {
				out = append(out, recs...)
			}
		}
		if len(out) >= limit || len(blocks) < q.Limit {
			break
		}
		if last := blocks[len(blocks)-1]; f.NewestFirst {
			q.BeforeSeq = last.First
		} else {
			q.AfterSeq = last.Last
		}
		read += len(blocks)
		q.Limit = nextRead(q.Limit, read, len(out), limit)
	}
	return out[:min(len(out), limit)], nil
}

// nextRead is how many blocks to read next, having read some and found got
// of the want records: as many as the records found per block so far say
// are needed, so that a query by client (a record or two per block) does
// not read twice the blocks it needs, nor a listing of every record (a
// page per block) more than one; twice as many as last time when none was
// found.
func nextRead(last, read, got, want int) int {
	if got == 0 {
		return min(2*last, maxBlockRead)
	}
	need := ((want-got)*read + got - 1) / got
	return max(1, min(need, maxBlockRead))
}

func inRange(f mint.AuditFilter, seq int64) bool {
	return seq > f.AfterSeq && (f.BeforeSeq == 0 || seq < f.BeforeSeq)
}

func limitOf(f mint.AuditFilter) int {
	if f.Limit <= 0 {
		return 1000
	}
	return f.Limit
}

// KindMatches reports whether a record of kind is one filter selects: all
// when filter is empty, the kinds under it when it is a prefix ("admin."),
// else that one.
func KindMatches(filter, kind string) bool {
	if filter == "" {
		return true
	}
	if lo, hi, ok := KindRange(filter); ok {
		return kind >= lo && kind < hi
	}
	return kind == filter
}

// Merge merges the records a store read from rows and from blocks, each
// in f's order, and keeps f's limit. No Seq is in both.
func Merge(f mint.AuditFilter, rows, blocks []mint.AuditRecord) []mint.AuditRecord {
	if len(blocks) == 0 {
		return rows
	}
	if len(rows) == 0 {
		return blocks
	}
	limit := limitOf(f)
	out := make([]mint.AuditRecord, 0, min(limit, len(rows)+len(blocks)))
	for len(out) < limit && (len(rows) > 0 || len(blocks) > 0) {
		takeRow := len(blocks) == 0 || (len(rows) > 0 && (rows[0].Seq < blocks[0].Seq) != f.NewestFirst)
		if takeRow {
			out, rows = append(out, rows[0]), rows[1:]
		} else {
			out, blocks = append(out, blocks[0]), blocks[1:]
		}
	}
	return out
}

// BlockClients returns the distinct client IDs and actors of a block's
// records, what its rows in the side index are, for deleting them; nil if
// the block does not decode.
func BlockClients(b StoredBlock) []string {
	seen := map[string]struct{}{}
	_, err := b.Decode(b.Last, func(_ int64, _ time.Time, _, actor, client []byte) bool {
		seen[string(actor)], seen[string(client)] = struct{}{}, struct{}{}
		return false
	})
	if err != nil {
		return nil
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	return out
}

// LastHash returns the hash of a block's last record, nil if the block
// does not decode.
func LastHash(b StoredBlock) []byte {
	recs, err := b.Decode(b.Last, func(seq int64, _ time.Time, _, _, _ []byte) bool { return seq == b.Last })
	if err != nil || len(recs) != 1 {
		return nil
	}
	return recs[0].Hash
}
