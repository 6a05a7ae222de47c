package storecache

import "github.com/mintauth/mint/internal/mint"

// adoptGrants shares each grant's audience and scopes with the other
// clients' grants (see interner), and each grant's client ID with key, the
// record's copy of it: a client's grants are kept whole (a list of them is
// not on the hot path of a token request that names its audience). The
// answer is the store's own, not yet handed to anyone, so it may be
// changed here.
func (c *Store) adoptGrants(key string, grants []mint.Grant) []mint.Grant {
	for i := range grants {
		grants[i].Audience = c.intern.str(grants[i].Audience)
		grants[i].Scopes = c.intern.scopeList(grants[i].Scopes)
		if grants[i].ClientID == key {
			grants[i].ClientID = key
		}
	}
	return grants
}
