package storecache

import (
	"slices"
	"strings"
	"sync"
)

// interner hands out one shared copy of the strings and scope lists that
// many clients' rows repeat: every grant of an API names its audience and,
// most often, the same scopes. The store reads each row's copy apart (an
// audience and two scopes cost ~80 bytes a grant, 100k grants ~8 MB), so
// the cache keeps the first copy and drops the others.
//
// Audiences and scopes are what admins wrote, not what a stranger sends,
// but the interner is bounded anyway: past maxInterned values it keeps
// what it has and hands back new values unshared.
type interner struct {
	mu      sync.Mutex
	strs    map[string]string
	scopes  map[string][]string
	scratch []byte
}

const maxInterned = 4096

// str returns the shared copy of s.
func (in *interner) str(s string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.strs[s]; ok {
		return v
	}
	if in.strs == nil {
		in.strs = make(map[string]string)
	}
	if len(in.strs) < maxInterned {
		in.strs[s] = s
	}
	return s
}

// scopeList returns the shared copy of scopes: a list equal to it, element
// by element. An empty or nil list is returned as it is, so that the
// answer stays what the store gave.
func (in *interner) scopeList(scopes []string) []string {
	if len(scopes) == 0 {
		return scopes
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
	if v, ok := in.scopes[string(in.scratch)]; ok && slices.Equal(v, scopes) {
		return v
	}
	if in.scopes == nil {
		in.scopes = make(map[string][]string)
	}
	if len(in.scopes) >= maxInterned {
		return scopes
	}
	own := make([]string, len(scopes))
	for i, s := range scopes {
		if v, ok := in.strs[s]; ok {
			own[i] = v
		} else {
			own[i] = strings.Clone(s)
		}
	}
	in.scopes[string(in.scratch)] = own
	return own
}
