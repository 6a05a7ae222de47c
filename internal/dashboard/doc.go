// Package dashboard keeps the numbers behind the console's dashboard: what
// the token endpoint (RFC 6749 §4.4, §5.1–5.2) answered, minute by minute,
// over the last hours, in the memory of this process.
//
// A Rollup is a ring of one-minute buckets (by default 360: six hours).
// Each bucket counts the tokens answered (new and reused), the refusals by
// their RFC 6749 §5.2 error code from a fixed list, and the per-client
// limits hit (package ratelimit); tokens by API and by client go to two
// space-saving sketches (Metwally, Agrawal and El Abbadi, "Efficient
// computation of frequent and top-k elements in data streams", 2005) of at
// most TopN entries each. A sketch keeps every key that took more than
// 1/TopN of the bucket's tokens, and overstates a key's count by at most
// the error it records. So memory is bounded whatever the number of
// clients (about 12 KB a bucket at TopN 100, 4.3 MB for six hours, all
// allocated by New), and recording costs the same at ten clients or a
// million: the minute's lock, a hash and, for a key new in the minute when
// its sketch is full, a scan of TopN counters. Recording never allocates.
//
// A Rollup also keeps, once a minute, the clients that take the most
// tokens per token lifetime (package metrics, mint_tokens_per_lifetime):
// the clients that do not reuse their tokens.
//
// The numbers are this process's own: with several replicas, each
// dashboard shows what its replica answered (docs/console.md).
package dashboard
