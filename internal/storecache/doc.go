// Package storecache keeps in memory what mint's token path reads from the
// store on every request — clients, their secrets and grants, APIs — so that
// a steady stream of token requests does not query the database for each
// one, and makes sure that a change made anywhere is seen promptly.
//
// A Store wraps a mint.Store. Its GetClient, ListSecrets, ListGrants (of one
// client), FindGrant, GetAPI, GetAPIByAudience and FindFederatedCredentials
// (mint.FederatedStore) answer from memory after the first read; every
// other method passes through. "Not found" is kept
// too, apart from the answers and bounded on its own (10,000 keys per
// kind), so that a request for an unknown client does the work a known one
// does (issue 13: the time of a refusal must not say which client ids
// exist) and requests naming random clients push out only other unknown
// names, never a client's answer. Each kind holds at most
// Options.MaxEntries answers, in 64 shards each with its own lock; a full
// shard pushes out the least recently used of a few sampled entries. An
// entry is answered as read for Options.TTL; past it, while the Notifier
// listens, it is still answered and read again in the background, at most
// one read per entry and a few at once, up to Options.MaxAge (issue 16:
// no cliff when a pass over the clients outlasts the TTL). Concurrent reads of one missing entry
// share one read of the store. Answers are handed out shared, never
// copied: callers must not change them (docs/scale-cache.md). The
// clients, secrets and grants (by audience and a client's list) are kept
// as records in byte slabs that hold no pointer the collector follows
// (slab.go), so that a collection need not mark each cached client: what
// a hit hands out are views of those slabs, and a pointer written into
// one would be hidden from the collector.
//
// A change the store reports (through a Notifier) drops what it touched:
// the named clients' rows, secrets and grants, or the kinds read from a
// table when the change names no client (APIs, bulk statements). Writes
// made through the Store itself do the same once they return. Each shard
// counts its invalidations, and an answer read while its shard was
// invalidated is not kept, so a read racing a change never keeps a stale
// answer.
//
// While the Notifier is not listening — not started yet, or its
// connection lost and not yet back — nothing new is kept and misses read
// the store; what was held before the loss still answers for
// Options.StaleBound (issue 20: a database outage must not refuse every
// token), and with no bound every read passes straight through. The TTL is
// only the bound for a Notifier that is listening yet misses a change.
//
// The cache is meant for the token path (token endpoint, client
// authentication, introspection), which never needs a fresher answer than
// the notification bound. The admin API should use Fresh, which reads the
// store directly and invalidates the cache after its writes.
package storecache
