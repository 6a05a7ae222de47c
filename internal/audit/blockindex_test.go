package audit_test

import (
	"slices"
	"testing"

	"github.com/mintauth/mint/internal/audit"
)

// TestBlockClientCacheKeepsCommittedBlocksOnly: what a transaction staged
// is known to it at once, to the others only once it committed; a failed
// attempt's blocks are forgotten; indexed blocks leave the cache.
func TestBlockClientCacheKeepsCommittedBlocksOnly(t *testing.T) {
	var c audit.BlockClientCache
	tx := c.Begin()
	tx.Wrote(1, []string{"a"})
	tx.Reset() // the attempt failed; the retry writes block 1 anew
	tx.Wrote(1, []string{"b"})
	tx.Wrote(7, []string{"c"})
	if got, ok := tx.Clients(1); !ok || !slices.Equal(got, []string{"b"}) {
		t.Fatalf("in its transaction, block 1: %v, %v", got, ok)
	}
	if _, ok := c.Begin().Clients(1); ok {
		t.Fatal("another transaction sees a block not committed")
	}
	failed := c.Begin()
	failed.Wrote(20, []string{"x"}) // never committed
	tx.Commit()
	later := c.Begin()
	if got, ok := later.Clients(7); !ok || !slices.Equal(got, []string{"c"}) {
		t.Fatalf("after commit, block 7: %v, %v", got, ok)
	}
	if _, ok := later.Clients(20); ok {
		t.Fatal("a block of a transaction that did not commit is known")
	}
	later.Indexed(5)
	later.Commit()
	if _, ok := c.Begin().Clients(1); ok {
		t.Fatal("an indexed block is still cached")
	}
	if _, ok := c.Begin().Clients(7); !ok {
		t.Fatal("a block after the indexed ones was forgotten")
	}
	var none *audit.CacheTx // a store that caches nothing
	none.Wrote(1, []string{"a"})
	if _, ok := none.Clients(1); ok {
		t.Fatal("a nil CacheTx knows a block")
	}
}

func TestIndexRowsAreInKeyOrder(t *testing.T) {
	got := audit.IndexRows([]audit.BlockIndex{{First: 10, Clients: []string{"b", "c"}}, {First: 3, Clients: []string{"b", "a"}}})
	want := []audit.IndexRow{{"a", 3}, {"b", 3}, {"b", 10}, {"c", 10}}
	if !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}
