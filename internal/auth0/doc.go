// Package auth0 reads an Auth0 tenant's machine-to-machine setup — its
// resource servers (APIs), applications and client grants — from an Auth0
// Deploy CLI export (YAML or directory format) or from the Management API
// v2, and turns it into a Plan: the APIs, clients and grants `mint import
// auth0` creates in mint, with the same audiences, client IDs and client
// secrets, so that partners change nothing but, at most, the token URL.
// An application's client_metadata becomes its client's metadata, entry by
// entry: those mint's limits refuse are skipped and reported.
//
// Everything it reads is untrusted: sizes are bounded, unknown fields are
// ignored, and no error quotes a secret or the Management API token.
package auth0
