package metrics

import "sync"

// Other is the label value that stands for every client id (or audience)
// past the label budget.
const Other = "other"

// DefaultMaxClients is how many client ids, and how many audiences, get
// series of their own when Options.MaxClients is zero.
const DefaultMaxClients = 1000

// labelBudget admits the first max distinct values of a label; every later
// value is reported as Other, so a deployment with 100k clients has at
// most max series per combination of the other labels, never one per
// client. Counts stay exact: they only move under Other.
type labelBudget struct {
	max      int
	mu       sync.RWMutex
	admitted map[string]struct{}
}

func newLabelBudget(max int) *labelBudget {
	return &labelBudget{max: max, admitted: make(map[string]struct{}, min(max, 1024))}
}

// value returns v if it has, or now gets, a label of its own, else Other.
func (b *labelBudget) value(v string) string {
	b.mu.RLock()
	_, ok := b.admitted[v]
	full := len(b.admitted) >= b.max
	b.mu.RUnlock()
	if ok {
		return v
	}
	if full {
		return Other
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.admitted[v]; ok || len(b.admitted) < b.max {
		b.admitted[v] = struct{}{}
		return v
	}
	return Other
}
