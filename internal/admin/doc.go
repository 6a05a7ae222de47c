// Package admin is mint's admin API: it creates and changes the APIs that
// accept mint's tokens, the clients that ask for them and the grants that
// join the two. Its resource shapes follow Auth0's Management API.
//
// # Routes
//
// Every route lives under /admin/v1/ and needs the scope shown:
//
//	POST   /admin/v1/apis                               apis:write
//	GET    /admin/v1/apis[?limit=&cursor=]              apis:read
//	GET    /admin/v1/apis/{id}                          apis:read
//	PATCH  /admin/v1/apis/{id}                          apis:write
//	DELETE /admin/v1/apis/{id}                          apis:write
//	POST   /admin/v1/clients                            clients:write
//	GET    /admin/v1/clients[?q=&limit=&cursor=]        clients:read
//	GET    /admin/v1/clients/{client_id}                clients:read
//	PATCH  /admin/v1/clients/{client_id}                clients:write
//	DELETE /admin/v1/clients/{client_id}                clients:write
//	POST   /admin/v1/clients/{client_id}/rotate-secret  clients:write
//	POST   /admin/v1/grants                             grants:write
//	GET    /admin/v1/grants[?client_id=&audience=&…]    grants:read
//	GET    /admin/v1/grants/{id}                        grants:read
//	PATCH  /admin/v1/grants/{id}                        grants:write
//	DELETE /admin/v1/grants/{id}                        grants:write
//
// Beyond the route's scope, one rule (privilege.go) guards every write: a
// caller never creates, widens or takes over a credential holding admin
// scopes it lacks. A grant on urn:mint:admin needs every scope it has
// before and after; a write to a client holding admin scopes (rotate,
// keys, rename, delete…) needs all of them; changing the admin API needs
// every admin scope. Refusals are 403 insufficient_scope. docs/admin.md
// has the table.
//
// # Resources
//
//	API    {"id","name","audience","scopes","token_lifetime","created_at","updated_at"}
//	client {"client_id","name","client_secret","jwks","introspect_all","tokens_revoked_before","created_at","updated_at"}
//	grant  {"id","client_id","audience","scopes","created_at","updated_at"}
//
// A client's secret is shown once, in the answers to create and
// rotate-secret; GET and list show instead "secrets": [{"id","created_at",
// "expires_at","last_used_at"}], expired secrets included, never a secret or
// its digest. Lists are JSON arrays, oldest first (ties by ID), one page
// at a time (pages.go): ?limit= rows (1 to 1000, default 100) after the
// opaque ?cursor=, the next page's URL in a Link header (RFC 8288).
// Times are RFC 3339 in UTC.
//
// # Authentication
//
// Every request, unknown paths included, needs "Authorization: Bearer" with
// a token mint issued for the audience urn:mint:admin (RFC 6750 §2.1).
// Without a token the answer is 401 with a bare
// `WWW-Authenticate: Bearer realm="mint"` (RFC 6750 §3.1); with a bad one
// 401 invalid_token; with a good one that lacks the route's scope 403
// insufficient_scope naming the scope needed. When mint's signing keys
// cannot be read the answer is 503 temporarily_unavailable.
//
// # Choices
//
//   - Statuses: create 201 with Location, delete 204, unknown id 404,
//     duplicate audience or second grant for one client and API 409, invalid
//     field 400 naming the field, body over 1 MiB 413, POST or PATCH without
//     "Content-Type: application/json" 415, wrong method 405 with Allow.
//     Every error is an RFC 6749 §5.2-shaped JSON object (see package oauth).
//   - Strict JSON: unknown fields, names that match a field only in another
//     case, a name given twice in any object, and wrong JSON types are 400
//     naming the field.
//   - PATCH merges: absent fields, and fields set to null, stay unchanged.
//   - name: required on create, 1 to 200 characters, no control characters.
//   - audience: required on create, 1 to 500 characters, no whitespace or
//     control characters; any string, not only a URL. It never changes:
//     PATCH with audience is 400.
//   - scopes: each an RFC 6749 §3.3 scope-token of 1 to 100 characters
//     (printable ASCII except space, '"' and '\'), no duplicates.
//   - token_lifetime: seconds, 60 to 31536000 (one year), default 86400.
//   - Removing a scope from an API is allowed; grants keep naming it, but
//     the token endpoint intersects a grant's scopes with the API's current
//     scopes, so the removed scope is no longer issued.
//   - The built-in admin API (audience urn:mint:admin) cannot be deleted
//     and its scopes cannot change: 409 conflict. Its name and
//     token_lifetime may change. Creating an API with its audience is 409.
//   - Grants: an unknown client_id or audience in the body is 400 naming the
//     field (404 is kept for the URL's resource); scopes must be a subset of
//     the API's scopes, else 400 naming scopes and the first scope not
//     allowed. PATCH changes scopes only; client_id and audience are 400.
//   - rotate-secret takes an optional body {"old_secret_ttl": seconds}; an
//     empty body counts as absent whatever its Content-Type. It answers 200
//     with the client and its new secret. 0 or absent: older secrets stop
//     working at once (Auth0's behaviour,
//     right after a leak). N > 0 (at most 2592000, 30 days): older secrets
//     keep working N more seconds, for a rollout without downtime.
//   - rotate-secret's body may also hold "revoke_tokens": true: every token
//     issued to the client until now is revoked (tokens_revoked_before is
//     set to now), for a leaked secret. Introspection reports them
//     inactive; resource servers that verify tokens locally accept them
//     until they expire.
//   - jwks: the client's public keys for private_key_jwt, a JWK Set
//     {"keys":[…]} of 1 to 10 keys: RSA of 2048 bits or more (RS256,
//     PS256), EC P-256 (ES256) or Ed25519 (EdDSA); a kid on every key when
//     there are several; no private or symmetric key (400 naming jwks).
//     Stored and shown re-encoded, public members only. PATCH with
//     {"keys":[]} removes the keys; absent when the client has none.
//   - introspect_all: true lets the client introspect other clients'
//     tokens (RFC 7662); every client may introspect and revoke its own.
//     Default false.
//   - Deleting an API deletes its grants; deleting a client deletes its
//     secrets and grants and kills every token issued to it, for good:
//     the store remembers the deleted ID, and a client created later under
//     it (the bootstrap admin client after a restart) starts with
//     tokens_revoked_before at its creation, so the old tokens never come
//     back. DELETE …/clients/{client_id}?revoke_tokens=true is accepted and
//     changes nothing: a delete always revokes.
//   - An admin token is only as strong as its client's grant on the admin
//     API is now: each request keeps the token's scopes that the grant
//     still holds. A narrowed grant answers 403 insufficient_scope for
//     the scopes it lost, a deleted grant 401 invalid_token, from the next
//     request on, without waiting for the token to expire.
//
// Every change is logged at Info with the admin client's id, the route and
// the resource id; never a secret.
package admin
