// Package bench drives load at a running mint's token endpoint (RFC 6749
// §4.4, client credentials) and reports tokens per second, latency
// percentiles and errors.
//
// Run keeps Connections goroutines busy, each on its own keep-alive
// connection over loopback, for a fixed Duration after a Warmup. Baseline
// serves a pre-recorded token answer of exactly mint's size and headers from
// a plain net/http handler, so that Compare can print the ratio of mint to
// the fastest server that could answer the same bytes: on a shared, noisy
// machine that ratio is the figure that stays put. WatchRSS samples a
// process's resident memory while the load runs. Setup registers an API, a
// client and a grant through the admin API, so that a benchmark needs only
// admin credentials.
//
// The load generator runs on the same machine as the server; its own CPU
// use is part of what bounds the figures. docs/performance.md has them.
package bench
