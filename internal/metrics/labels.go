package metrics

import (
	"sync"
	"sync/atomic"
)

// Other is the label value that stands for every client id (or audience)
// past the label budget.
const Other = "other"

// DefaultMaxClients is how many client ids, and how many audiences, get
// series of their own when Options.MaxClients is zero.
const DefaultMaxClients = 1000

// labelBudget admits the first max distinct values of a label; every later
// value is reported as Other, so a deployment with 100k clients has at
// most max series per combination of the other labels, never one per
// client. Counts stay exact: they only move under Other. Lookups of
// admitted values take no lock (sync.Map), as they run on every token.
type labelBudget struct {
	max      int64
	reserved atomic.Int64 // slots taken; may pass max, which then stays full
	admitted sync.Map     // value → struct{}
}

func newLabelBudget(max int) *labelBudget { return &labelBudget{max: int64(max)} }

// value returns v if it has, or now gets, a label of its own, else Other.
func (b *labelBudget) value(v string) string {
	if _, ok := b.admitted.Load(v); ok {
		return v
	}
	if b.reserved.Load() >= b.max || b.reserved.Add(1) > b.max {
		return Other
	}
	if _, dup := b.admitted.LoadOrStore(v, struct{}{}); dup {
		b.reserved.Add(-1) // admitted meanwhile by another caller: give the slot back
	}
	return v
}
