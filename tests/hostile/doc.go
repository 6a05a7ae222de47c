// Package hostile holds mint's tests against hostile traffic (issue 7):
// malformed and oversized requests through the real HTTP server, slow
// clients and the timeouts that cut them, brute force against client
// authentication and the throttle that slows it, and a statistical test
// that an unknown client and a wrong secret take the same time. It has no
// code of its own.
package hostile
