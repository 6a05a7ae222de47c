// Package gateway is "mint gateway": a reverse proxy that puts mint's
// bearer-token checks (package bearer) in front of an API not written in Go.
//
// Every request needs a valid access token (RFC 6750, RFC 9068); rules add
// the scopes a route needs (403 insufficient_scope otherwise). A request no
// rule matches needs a valid token and no particular scope, so list a rule
// for every method that writes: "GET /ws/rest/" does not cover POST.
// Rules use http.ServeMux patterns and precedence; the mux also redirects
// unclean paths ("/a/../b") to their clean form, and the gateway refuses
// paths with an escaped "/" or "\" (400), so that the upstream routes the
// path the rules saw.
//
// Upstream, the request carries the verified client id and scopes in
// X-Mint-Client-Id and X-Mint-Scopes (space-separated); any such header
// the caller sent, in any case, is removed first. The caller's
// Authorization header is forwarded unless Config.DropAuthorization is set.
// X-Forwarded-For, -Host and -Proto are set from the connection (the
// caller's are dropped), and the Host header is the upstream's.
// Bodies stream both ways, unbuffered; hop-by-hop headers (Connection and
// the headers it names, Keep-Alive, Proxy-*, TE but "TE: trailers",
// Trailer, Transfer-Encoding, Upgrade but for a protocol switch such as
// WebSocket, which the proxy supports) are not forwarded. An unreachable
// upstream is answered 502 in the same JSON shape as refusals.
package gateway
