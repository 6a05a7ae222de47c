// Package storecache keeps in memory what mint's token path reads from the
// store on every request — clients, their secrets and grants, APIs — so that
// a steady stream of token requests does not query the database for each
// one, and makes sure that a change made anywhere is seen promptly.
//
// A Store wraps a mint.Store. Its GetClient, ListSecrets, ListGrants (of one
// client), FindGrant, GetAPI and GetAPIByAudience answer from memory after
// the first read; every other method passes through. "Not found" is kept
// too, apart from the answers and bounded on its own, so that a request for
// an unknown client does the work a known one does (issue 13: the time of
// a refusal must not say which client ids exist) and requests naming random
// clients push out only other unknown names, never a client's answer. Each
// kind holds at most Options.MaxEntries answers and as many "not found"
// keys (of at most 512 bytes; longer ones are never kept), and each lives
// at most Options.TTL. Concurrent reads of one missing entry share one read
// of the store.
//
// The whole cache is emptied whenever the store reports (through a
// Notifier) a committed change to a table it caches, and after each write
// made through the Store itself. While the Notifier is not listening — not
// started yet, or its connection lost and not yet back — reads pass
// straight through to the store, so a lost notification can never keep an
// answer alive; the TTL is only the bound for a Notifier that is listening
// yet misses a change.
//
// The cache is meant for the token path (token endpoint, client
// authentication, introspection), which never needs a fresher answer than
// the notification bound. The admin API should use Fresh, which reads the
// store directly and empties the cache after its writes.
package storecache
