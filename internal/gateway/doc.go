// Package gateway is "mint gateway": a reverse proxy that puts mint's
// bearer-token checks (package bearer) in front of an API not written in Go.
//
// Every request needs a valid access token (RFC 6750, RFC 9068); rules add
// the scopes a route needs (403 insufficient_scope otherwise). A request no
// rule matches is refused (403) unless Config.AllowUnmatched is set, when it
// needs a valid token and no particular scope. Rules use http.ServeMux
// patterns and precedence.
//
// Before any token is checked, screen makes sure the upstream will serve
// the request the rules judge: the method must be one the gateway knows
// (case-sensitive, 405 otherwise) and no method override may be asked for;
// the path is decoded once into a canonical form, and any path that servers
// could read as another (dot segments, escaped separators, ";", double
// encoding, controls, invalid UTF-8, "//", trailing dots) is refused with
// 400 (see canonicalPath). The rules match the canonical path and the
// upstream is sent exactly it, re-escaped. An h2c upgrade is stripped;
// another upgrade passes only where a rule allows its protocol.
//
// The gateway trusts one issuer, or several during a migration from Auth0
// (--issuer repeated, see IssuerSpec), each with its own key set: the
// token's "iss", matched exactly, picks the one whose keys check it.
//
// Upstream, the request carries the verified client id, scopes and issuer
// in X-Mint-Client-Id, X-Mint-Scopes (space-separated) and X-Mint-Issuer. Headers a caller
// could use to pass for the gateway (X-Mint-*, X-Forwarded*, Forwarded,
// X-Real-IP and the like, in any case, "_" read as "-") are removed, and the
// gateway sets X-Forwarded-For, -Host, -Proto, X-Real-IP and Forwarded from
// the connection; the Host header is the upstream's. The caller's
// Authorization header is forwarded unless Config.DropAuthorization is set.
// Bodies stream both ways, unbuffered, a request body under a minimum rate
// (Limits); a refused request is answered without reading its body.
// Hop-by-hop headers are not forwarded. An unreachable upstream is answered
// 502 in the same JSON shape as refusals.
package gateway
