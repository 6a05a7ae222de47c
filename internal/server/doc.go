// Package server assembles mint: it opens the store named by a database URL,
// loads the signing keys, makes sure the admin API and its bootstrap client
// exist, and routes HTTP to the token endpoint, the discovery documents
// (RFC 8414 metadata and the JWKS), the admin API and the health check.
package server
