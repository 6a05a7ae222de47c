// Package audit is mint's audit log: a record of every admin change, every
// failed client authentication and every token issued (issue 8), kept in
// the database as a hash chain so that a changed, inserted or deleted
// record shows.
//
//   - Seal computes a record's hash from its fields and the previous
//     record's hash; the stores (package sqlite, postgres) call it as they
//     append, under a lock that makes the chain linear across replicas.
//   - Verify walks a store's chain from its anchor and names the first
//     record that breaks it.
//   - Appender batches records off the token path and writes them every
//     second; Log is the hook the token endpoint and client authentication
//     call (token.Endpoint.Audit, clientauth.Authenticator.Audit).
//   - SealBlock and Block.Decode store a batch's token issuances as one
//     row (issue 15), each record keeping its Seq and its own link in the
//     chain; ListBlocks and Merge read blocks beside rows for the stores.
//   - View is a record on the wire, as the admin API and `mint audit list`
//     show it, one JSON object per line.
//
// Admin changes do not go through the Appender: the admin API hands the
// record to the store with mint.WithAudit and it is written in the same
// transaction as the change. See docs/audit.md.
package audit
