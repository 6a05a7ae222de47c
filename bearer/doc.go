// Package bearer is mint's resource-server side: it verifies the JWT access
// tokens mint issues (RFC 9068) when an API receives them as
// "Authorization: Bearer" (RFC 6750), and puts the verified claims in the
// request context.
//
// Keys come from a KeySource: the issuer's JWKS over HTTP for an API, or
// mint's own key ring for its admin API. Only asymmetric algorithms are
// accepted, from an explicit allow-list.
package bearer
