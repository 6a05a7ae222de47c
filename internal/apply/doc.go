// Package apply is mint's configuration as code: a YAML file (or a
// directory of them) that declares the APIs, clients (with their trust
// rules: RFC 7523 assertions from other issuers, docs/federation.md) and
// grants a deployment should have, and the machinery behind `mint apply`, `mint
// diff` and `mint export`.
//
//   - Load reads and checks the files strictly: an unknown field, a value
//     of the wrong type, a resource declared twice, a value the admin API
//     would refuse or a reference to a resource that does not exist is an
//     error naming the file, line and field, and nothing is planned.
//   - MakePlan compares what the files declare with the store and lists
//     the creates, field-level updates and (with prune) deletes.
//   - Apply makes the plan in one transaction through mint.Applier, all or
//     nothing, refused with mint.ErrStateChanged if the store changed since
//     the plan was made; each change is one audit record.
//   - Export writes the store's state in the same format, in a stable
//     order, so that exporting and applying changes nothing.
//
// Secrets never appear in a file: a client created by Apply gets a fresh
// secret, handed to a SecretSink once. The format is versioned (version:
// 1) and refuses what it does not know, so a field added later (as
// federated_credentials, token_binding and the RFC 8705 registration
// were) is refused by an older mint rather than ignored.
// docs/config-as-code.md describes it for operators; its JSON Schema is
// docs/mint-config.schema.json.
package apply
