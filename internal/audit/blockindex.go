package audit

import (
	"cmp"
	"slices"
	"sync"
)

// BlockClientCache keeps the clients of the blocks a store wrote and has
// not yet put in the side index, so that indexing them (IndexLag) does not
// read their payloads back and decode them: that cost the writer more than
// a tenth of its time with one client. Blocks another replica wrote, or
// written before a restart, are not in it; a store reads and decodes those.
//
// Only blocks of committed transactions are kept: a transaction stages what
// it writes in a CacheTx, which Commit applies once the database committed.
// The zero value is ready to use.
type BlockClientCache struct {
	mu sync.Mutex
	m  map[int64][]string // by first Seq
}

// CacheTx is one transaction's view of a BlockClientCache.
type CacheTx struct {
	c       *BlockClientCache
	staged  map[int64][]string
	indexed int64
}

// Begin starts a transaction's view of c. A nil c caches nothing.
func (c *BlockClientCache) Begin() *CacheTx { return &CacheTx{c: c} }

// Reset forgets what a failed attempt of the transaction staged, before it
// is tried again.
func (t *CacheTx) Reset() {
	if t != nil {
		t.staged, t.indexed = nil, 0
	}
}

// Wrote stages the clients of a block the transaction wrote.
func (t *CacheTx) Wrote(first int64, clients []string) {
	if t == nil || t.c == nil {
		return
	}
	if t.staged == nil {
		t.staged = map[int64][]string{}
	}
	t.staged[first] = clients
}

// Clients returns the clients of the block at first, if known.
func (t *CacheTx) Clients(first int64) ([]string, bool) {
	if t == nil || t.c == nil {
		return nil, false
	}
	if c, ok := t.staged[first]; ok {
		return c, true
	}
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	c, ok := t.c.m[first]
	return c, ok
}

// Indexed records that the blocks through seq are in the side index: the
// transaction found them there, or put them there. The cache keeps none of
// them, and so holds at most about IndexLag records' clients.
func (t *CacheTx) Indexed(seq int64) {
	if t != nil {
		t.indexed = max(t.indexed, seq)
	}
}

// Commit applies the transaction to the cache, once it committed: the
// blocks it wrote are kept, those it indexed forgotten.
func (t *CacheTx) Commit() {
	if t == nil || t.c == nil {
		return
	}
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.c.m == nil {
		t.c.m = map[int64][]string{}
	}
	for first, clients := range t.staged {
		t.c.m[first] = clients
	}
	for first := range t.c.m {
		if first <= t.indexed {
			delete(t.c.m, first)
		}
	}
	// Bounded whatever happens (Indexed keeps it small).
	if len(t.c.m) > maxCachedBlocks {
		clear(t.c.m)
	}
}

// maxCachedBlocks bounds a BlockClientCache: IndexLag records are at most
// about IndexLag blocks (of one record each), usually ten.
const maxCachedBlocks = 4096

// BlockIndex is a block's place and clients, for IndexRows.
type BlockIndex struct {
	First   int64
	Clients []string
}

// IndexRow is one row of the side index: a client (or actor) and the
// first Seq of a block holding one of its records.
type IndexRow struct {
	ClientID string
	First    int64
}

// IndexRows returns the side-index rows of blocks, sorted by client, then
// Seq: the order of the index's key, so that the rows of one client go
// into one place of it.
func IndexRows(blocks []BlockIndex) []IndexRow {
	n := 0
	for _, b := range blocks {
		n += len(b.Clients)
	}
	rows := make([]IndexRow, 0, n)
	for _, b := range blocks {
		for _, c := range b.Clients {
			rows = append(rows, IndexRow{c, b.First})
		}
	}
	slices.SortFunc(rows, func(a, b IndexRow) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.First, b.First))
	})
	return rows
}
