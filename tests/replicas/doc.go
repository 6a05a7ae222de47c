// Package replicas holds no code, only the multi-process test of mint on
// PostgreSQL: two `mint serve` processes, built from cmd/mint, share one
// database schema, and the test checks that they behave as one server —
// one signing key, clients and secrets created or removed through one seen
// by the other within a second, and one replica killed without the other
// failing a request.
//
// Like package postgres it needs the PostgreSQL server that scripts/test
// provides (or MINT_TEST_POSTGRES names), and fails without it.
package replicas
