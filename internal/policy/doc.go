// Package policy evaluates issuance policies: CEL expressions
// (github.com/google/cel-go) set on an API, and optionally on a client,
// that see the client (its ID, name and metadata), the API, the grant and
// the token request, and either let the token be issued, deny it with a
// reason, or add claims to it.
//
// A policy is compiled and type-checked when it is saved (Compile), kept
// compiled in a Checker, and evaluated with a cost limit and no function
// that reaches outside the expression (no I/O, no clock but the request's
// time). A refusal is answered as RFC 6749 §5.2 unauthorized_client; added
// claims never replace the registered ones (RFC 7519 §4.1, RFC 9068 §2.2,
// RFC 8693 §4, RFC 7800 §3 and mint's own). Client metadata, the string
// key/values policies read, is bounded here too (CheckMetadata).
//
// docs/policies.md describes the language mint gives policies and the
// result shape.
package policy
