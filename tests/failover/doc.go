// Package failover holds mint's tests against a real PostgreSQL primary
// and streaming standby (issue 20): the test makes its own two clusters
// on free loopback ports, never touching the shared one, restarts or
// SIGKILLs the primary under token load, promotes the standby, and
// measures what mint's clients saw. It has tests only; scripts/test runs
// it.
package failover
