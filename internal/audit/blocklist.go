package audit

import (
	"context"
	"sync/atomic"
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
//
// indexed is the chain's IndexedThrough as the store read it before the
// blocks: with a client filter, the blocks through it are found on the side
// index, and the later ones (at most about IndexLag records, not yet in the
// side index) are read in Seq order and their records filtered by client.
// It must be read first: the writer may index more blocks meanwhile, and
// those are then still read, as later ones, exactly once.
func ListBlocks(ctx context.Context, f mint.AuditFilter, readBlocks BlockReader, indexed int64) ([]mint.AuditRecord, error) {
	if !KindMatches(f.Kind, mint.AuditTokenIssued) {
		return nil, nil
	}
	limit := limitOf(f)
	keep := func(seq int64, t time.Time, kind, actor, client []byte) bool {
		return inRange(f, seq) && KindMatches(f.Kind, string(kind)) &&
			(f.ClientID == "" || f.ClientID == string(actor) || f.ClientID == string(client)) &&
			(f.Since.IsZero() || !t.Before(f.Since)) && (f.Until.IsZero() || t.Before(f.Until))
	}
	q := BlockQuery{ClientID: f.ClientID, Since: f.Since, Until: f.Until, AfterSeq: f.AfterSeq,
		BeforeSeq: f.BeforeSeq, NewestFirst: f.NewestFirst}
	parts := []BlockQuery{q}
	if f.ClientID != "" {
		// A block ends at indexed or starts after it: the writer indexes
		// whole blocks.
		parts = parts[:0]
		if byIndex := q; indexed > 0 && f.AfterSeq < indexed {
			if byIndex.BeforeSeq == 0 || byIndex.BeforeSeq > indexed+1 {
				byIndex.BeforeSeq = indexed + 1
			}
			parts = append(parts, byIndex)
		}
		if later := q; f.BeforeSeq == 0 || f.BeforeSeq > indexed+1 {
			later.ClientID, later.AfterSeq = "", max(q.AfterSeq, indexed)
			if f.NewestFirst {
				parts = append([]BlockQuery{later}, parts...)
			} else {
				parts = append(parts, later)
			}
		}
	}
	var out []mint.AuditRecord
	for _, q := range parts {
		var err error
		if out, err = listPart(ctx, f, q, keep, limit, out, readBlocks); err != nil || len(out) >= limit {
			return out[:min(len(out), limit)], err
		}
	}
	return out, nil
}

// listPart appends to out the records of q's blocks that keep selects,
// until out holds limit.
func listPart(ctx context.Context, f mint.AuditFilter, q BlockQuery, keep BlockFilter, limit int, out []mint.AuditRecord, readBlocks BlockReader) ([]mint.AuditRecord, error) {
	q.Limit = firstBlockRead
	before := len(out)
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
			return out, nil
		}
		if last := blocks[len(blocks)-1]; f.NewestFirst {
			q.BeforeSeq = last.First
		} else {
			q.AfterSeq = last.Last
		}
		read += len(blocks)
		q.Limit = nextRead(q.Limit, read, len(out)-before, limit-before)
	}
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

// DefaultIndexLag is how many records the newest blocks may hold before
// the writer puts their clients in the side index (IndexLag).
const DefaultIndexLag = 50_000

var indexLag atomic.Int64

// IndexLag is how many records, at most about, the blocks not yet in the
// side index hold: the writer indexes the blocks after the chain's
// IndexedThrough once they hold this many, all at once, their rows sorted
// by client (IndexRows).
//
// Indexing each block as it was written wrote a row per distinct client
// per block into a B-tree keyed by client: about one page per client per
// batch, 3,900 scattered pages for a batch of 5,000 records from 10,000
// clients, which cost SQLite three times what the block did and grew with
// the log. Ten batches indexed at once write one page per client for all
// ten. A query by client reads the blocks not yet indexed whole (about
// IndexLag records, 3 MB), and the others on the side index.
func IndexLag() int64 {
	if n := indexLag.Load(); n > 0 {
		return n
	}
	return DefaultIndexLag
}

// SetIndexLag sets IndexLag (0: DefaultIndexLag) and returns what restores
// it: tests index after every block, or never, to read both ways.
func SetIndexLag(n int64) (restore func()) {
	old := indexLag.Swap(n)
	return func() { indexLag.Store(old) }
}
