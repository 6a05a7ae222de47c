package storecache

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// interner hands out one shared copy of the scope lists that many
// clients' grants repeat: every grant of an API most often has the same
// scopes. The store reads each row's copy apart (two scopes cost ~50 bytes
// a grant), so the cache keeps the first copy and a grant by audience
// names it by index (codec.go).
//
// Scopes are what admins wrote, not what a stranger sends, but the
// interner is bounded anyway: past maxInterned lists it keeps what it has
// and the lists are written into each record instead.
type interner struct {
	mu      sync.Mutex
	scopes  map[string]uint32 // joined list → its index in lists
	scratch []byte
	// lists holds the shared scope lists by index, which a slab record
	// names (codec.go) as it cannot hold a pointer: set once, and each
	// element written once under mu before its index is handed out.
	lists atomic.Pointer[[maxInterned][]string]
	n     uint32 // lists used
}

const maxInterned = 4096

// scopeList returns the shared copy of scopes: a list equal to it, element
// by element. An empty or nil list is returned as it is, so that the
// answer stays what the store gave, and so is a list past the bound.
func (in *interner) scopeList(scopes []string) []string {
	if i, ok := in.scopeIndex(scopes); ok {
		return in.list(i)
	}
	return scopes
}

// list returns the shared list of index i (from scopeIndex).
func (in *interner) list(i uint32) []string { return in.lists.Load()[i] }

// scopeIndex returns the index of the shared copy of scopes, made if it
// is new and the bound allows; false for an empty list, or a new one past
// the bound.
func (in *interner) scopeIndex(scopes []string) (uint32, bool) {
	if len(scopes) == 0 {
		return 0, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	// The key joins the scopes with a byte no scope has (RFC 6749 §3.3:
	// scope tokens are printable ASCII without space; slices.Equal guards
	// against a store holding one anyway), and the lookup converts it
	// without allocating.
	in.scratch = in.scratch[:0]
	for _, s := range scopes {
		in.scratch = append(in.scratch, s...)
		in.scratch = append(in.scratch, 0)
	}
	lists := in.lists.Load()
	if i, ok := in.scopes[string(in.scratch)]; ok && slices.Equal(lists[i], scopes) {
		return i, true
	}
	if in.n >= maxInterned {
		return 0, false
	}
	if in.scopes == nil {
		in.scopes = make(map[string]uint32)
		lists = new([maxInterned][]string)
		in.lists.Store(lists)
	}
	own := make([]string, len(scopes))
	for i, s := range scopes {
		own[i] = strings.Clone(s)
	}
	i := in.n
	lists[i] = own
	in.n++
	in.scopes[string(in.scratch)] = i
	return i, true
}
