// Package ratelimit keeps runaway clients from crowding out the others at
// the token endpoint: a request rate per client, quotas of tokens per client
// per clock hour and per UTC day, and the optional reuse of a still-valid
// token (reuse.go). docs/limits.md is the operator's view.
//
//   - Request rate: a token bucket per client in each replica's memory
//     (Config.Rate per second, Config.Burst). With N replicas behind a load
//     balancer a client gets up to N× the rate: it protects the servers, it
//     is not a contract.
//   - Quotas: tokens issued per client in fixed windows (the clock hour, the
//     UTC day), counted in the store (mint.TokenCounter) so that every
//     replica enforces one shared count. Each replica counts locally and
//     adds its counts to the store every FlushInterval, reading the shared
//     total back; a quota can therefore be overrun by what the other
//     replicas issue before they flush and this one reads back: at most
//     2 × FlushInterval of the client's issuance on the other replicas.
//   - A refusal is 429 with Retry-After (RFC 9110 §10.2.3), the RateLimit
//     and RateLimit-Policy fields of draft-ietf-httpapi-ratelimit-headers-11
//     and the body {"error":"rate_limit_exceeded","error_description",
//     "limit"}. RFC 6749 §5.2 has no code for it; mint names its own, as the
//     RFC allows extension codes, rather than borrow temporarily_unavailable
//     (a server condition, 503) or slow_down (the device flow's polling).
//   - Observe mode counts and logs what would have been refused — at Warn,
//     once per client, limit and window — and refuses nothing, so that
//     operators can size limits on real traffic first.
//
// Limits are checked after the client is authenticated, so nobody can use
// up another client's quota without its credentials.
package ratelimit
