package ratelimit

import (
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReuseEntries bounds a Reuse cache when MaxEntries is 0.
const DefaultReuseEntries = 10_000

// Reuse remembers the last token issued per client, audience and scope on
// this replica, for APIs with mint.API.TokenReuse, so that a repeated
// request gets it back instead of a new signature while more than half of
// its lifetime remains. A token is never handed to another client, for
// another audience or for other scopes: they are its key.
//
// Reuse must stop at once when the client, its secrets or the token are
// revoked: the server calls Changed on every change the store reports
// (every replica's, on PostgreSQL), which empties the cache on any change
// to clients, secrets, grants, APIs or revoked tokens, or when the watch
// (re)starts; Listening, when set, pauses reuse while changes are not
// heard. A token put with a generation older than the last flush is not
// kept, so a request that authenticated before a change cannot store its
// token after it. It is safe for concurrent use.
type Reuse struct {
	// MaxEntries bounds the tokens kept; 0 means DefaultReuseEntries. When
	// full, tokens past their reuse time are dropped, and new ones are not
	// kept until there is room.
	MaxEntries int
	// Listening reports whether changes are being heard; nil means always.
	Listening func() bool

	gen    atomic.Uint64
	mu     sync.Mutex
	tokens map[reuseKey]Token
}

type reuseKey struct{ clientID, audience, scope string }

// Token is an issued access token as Reuse keeps it.
type Token struct {
	AccessToken string
	ID          string // the "jti"
	IssuedAt    time.Time
	Expiry      time.Time
}

// reusable reports whether more than half of t's lifetime remains at now.
func (t Token) reusable(now time.Time) bool {
	return t.Expiry.Sub(now) > t.Expiry.Sub(t.IssuedAt)/2
}

// Generation is to be read before the request's client is authenticated
// and given back to Put.
func (r *Reuse) Generation() uint64 { return r.gen.Load() }

// Get returns the token to reuse for the client, audience and scope (the
// granted scopes joined in the API's order), if one is kept, more than
// half of its lifetime remains at now, and it was issued after
// revokedBefore (the client's TokensRevokedBefore; zero: none).
func (r *Reuse) Get(clientID, audience, scope string, now, revokedBefore time.Time) (Token, bool) {
	if r.Listening != nil && !r.Listening() {
		return Token{}, false
	}
	r.mu.Lock()
	t, ok := r.tokens[reuseKey{clientID, audience, scope}]
	r.mu.Unlock()
	if !ok || !t.reusable(now) || (!revokedBefore.IsZero() && t.IssuedAt.Before(revokedBefore)) {
		return Token{}, false
	}
	return t, true
}

// Put keeps t for the client, audience and scope unless the cache was
// emptied since gen was read.
func (r *Reuse) Put(gen uint64, clientID, audience, scope string, t Token, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gen.Load() != gen {
		return
	}
	if r.tokens == nil {
		r.tokens = make(map[reuseKey]Token)
	}
	limit := r.MaxEntries
	if limit <= 0 {
		limit = DefaultReuseEntries
	}
	key := reuseKey{clientID, audience, scope}
	if _, ok := r.tokens[key]; !ok && len(r.tokens) >= limit {
		for k, old := range r.tokens {
			if !old.reusable(now) {
				delete(r.tokens, k)
			}
		}
		if len(r.tokens) >= limit {
			return
		}
	}
	r.tokens[key] = t
}

// Flush forgets every token.
func (r *Reuse) Flush() {
	r.mu.Lock()
	r.gen.Add(1)
	clear(r.tokens)
	r.mu.Unlock()
}

// Changed is told of each change the store reports (storecache's
// OnChange): "" (the watch (re)started), or a table. Changes to anything
// that decides whether a client may have a token — clients, secrets,
// grants, APIs, revoked tokens — empty the cache. Signing keys do not:
// key maintenance writes them every 30 s and when a new algorithm's first
// key is made, and a kept token stays valid while its key is published;
// see docs/limits.md for a key withdrawn in haste.
func (r *Reuse) Changed(table string) {
	switch table {
	case "signing_keys", "used_assertions", "audit_log", "token_counts":
		return
	}
	r.Flush()
}

// Len is the number of tokens kept.
func (r *Reuse) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.tokens)
}
