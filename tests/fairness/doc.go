// Package fairness holds the runaway-client load test of issue 7: one
// client asking for tokens at full speed on 8 connections beside ten
// polite clients each asking every 200 ms, against a real mint
// (server.New behind an httptest server over loopback). With per-client
// rate limits on, the polite clients' success rate stays 100 %, they keep
// their pace, and the runaway gets no more than its rate; the latencies
// are logged, not bounded (see the test for why); docs/limits.md has the
// numbers. The package has no code outside its test.
package fairness
