// Package metrics is mint's Prometheus instrumentation: what the token
// endpoint answers and how fast, how long signing and the store reads of
// the token path take, how often the store cache answers, and how many
// tokens each client takes per token lifetime, plus the Go runtime and
// process collectors. Everything is registered on a Registry of its own,
// never the global default one, and served by Handler in the Prometheus
// text format (`GET /metrics`).
//
// The series:
//
//   - mint_token_requests_total{client_id, audience, outcome}: counter.
//     outcome is "issued" or the RFC 6749 §5.2 / RFC 8707 error code
//     answered (invalid_client, invalid_target, …). client_id is the
//     authenticated client, "unknown" when authentication failed or was not
//     reached, so that made-up ids cannot add series; audience is the API's
//     once the client's grant on it was found, else "unknown".
//   - mint_token_request_duration_seconds{outcome}: histogram of the
//     endpoint's time from reading the body to writing the answer.
//   - mint_signing_duration_seconds{alg}: histogram of the signature alone.
//   - mint_store_duration_seconds{op}: histogram of the store reads the
//     token path makes when the cache cannot answer (get_client,
//     list_secrets, list_grants, find_grant, get_api, get_api_by_audience).
//   - mint_cache_requests_total{kind, result}: counter, result hit, miss or
//     bypass (read through while changes were not heard); with
//     mint_cache_entries{kind}, mint_cache_loads_total and
//     mint_cache_flushes_total. Read from the cache's counters at scrape
//     time: nothing is counted twice on the request path.
//   - mint_cache_refreshes_total{kind, result}: counter, result started or
//     skipped: background reads of expired answers given meanwhile
//     (storecache Options.MaxAge, docs/scale-cache.md).
//   - mint_tokens_per_lifetime{client_id, audience}: gauge, the tokens
//     issued to the client for the API during the last token lifetime. A
//     client that reuses its token until it expires stays at or under 1;
//     one far above 1 takes a new token for every call (see Lifetimes for
//     how the window is kept and bounded).
//
// Nothing here grows with the number of clients (issue 16). The client_id
// and audience labels of the counter are bounded (Options.MaxClients,
// default 1000 each): values past the budget are counted as "other", so
// totals stay exact. mint_tokens_per_lifetime counts at most
// Options.TrackedPairs client and audience pairs at once (default 4 ×
// MaxClients, about 250 bytes each): a pair new when all are taken gives
// up the one with the fewest tokens among eight sampled, so the clients
// that take many tokens keep their counts, and it exports only the
// MaxClients pairs with the highest values. So 100k or 1M clients make
// about 2,100 series, and a scrape reads a few thousand windows, not one
// per client (BenchmarkScrape: 16 ms at 100k clients, 27 ms at 1M on a
// loaded 2-core machine, where it took 0.43 s and 2.6 s when every pair
// was kept). The per-client detail is for the console, not the labels:
// Metrics.TopTokensPerLifetime and ClientTokensPerLifetime. mint serve
// publishes Handler on a loopback listener of its own, never on the token
// address.
//
// Observing a request costs two label lookups, two histogram observations
// and one lock of the client's lifetime window: no allocation once the
// series exist (BenchmarkObserveToken). A pair not counted yet costs one
// window allocated, and once the table is full eight windows sampled
// (BenchmarkObserveTokenRotating: about 1 µs of CPU).
package metrics
