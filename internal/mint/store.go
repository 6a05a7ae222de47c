package mint

import (
	"context"
	"errors"
	"time"
)

// Store keeps mint's state. Every backend (sqlite, postgres) implements it
// and passes the conformance suite in package storetest.
//
// Methods wrap ErrNotFound and ErrConflict as documented; any other error is
// a storage failure. Lists are ordered by creation time, oldest first;
// paginated lists (ListAPIsPage, ListClientsPage, ListGrantsPage) break ties
// by ID, see Cursor, and return the cursor of the next page, the zero
// Cursor when the list ends there.
// Update methods run the given function inside one transaction on the
// current value, so read-modify-write cannot lose a concurrent change; the
// function may return an error to abort the update, which the method returns
// unchanged. Identifier fields (IDs, an API's audience, a grant's client and
// audience) cannot change: the store keeps the stored values whatever the
// function returns. The function must not call the Store itself: it runs
// inside the update's transaction.
type Store interface {
	// CreateAPI stores a new API. ErrConflict: the ID or audience is taken.
	CreateAPI(ctx context.Context, api API) error
	// GetAPI: ErrNotFound.
	GetAPI(ctx context.Context, id string) (API, error)
	// GetAPIByAudience: ErrNotFound.
	GetAPIByAudience(ctx context.Context, audience string) (API, error)
	// ListAPIs returns every API, for the few callers that need them all
	// (discovery, key maintenance); lists shown to people use ListAPIsPage.
	ListAPIs(ctx context.Context) ([]API, error)
	// ListAPIsPage returns a page of APIs and the next page's cursor.
	ListAPIsPage(ctx context.Context, page Page) (apis []API, next Cursor, err error)
	// UpdateAPI: ErrNotFound. The audience cannot change.
	UpdateAPI(ctx context.Context, id string, update func(API) (API, error)) (API, error)
	// DeleteAPI deletes the API and every grant on it. ErrNotFound.
	DeleteAPI(ctx context.Context, id string) error

	// CreateClient stores a new client with its first secret.
	// ErrConflict: the client ID is taken. An ID that a deleted client had
	// may be used again, but the store remembers every deleted ID and
	// stores such a client as Client.ReusingID returns it, so that the
	// deleted client's tokens stay revoked.
	CreateClient(ctx context.Context, client Client, secret Secret) error
	// GetClient: ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// ListClientsPage returns a page of the clients q selects and the next
	// page's cursor. A search reads at most SearchScanLimit clients from
	// the cursor on, so its page may hold fewer clients than asked, even
	// none, with a next page still to read.
	ListClientsPage(ctx context.Context, q ClientQuery) (clients []Client, next Cursor, err error)
	// UpdateClient: ErrNotFound.
	UpdateClient(ctx context.Context, id string, update func(Client) (Client, error)) (Client, error)
	// DeleteClient deletes the client, its secrets and its grants, and
	// remembers its ID for good (see CreateClient). ErrNotFound.
	DeleteClient(ctx context.Context, id string) error

	// ListSecrets returns every secret of a client, expired ones included.
	// ErrNotFound: no such client.
	ListSecrets(ctx context.Context, clientID string) ([]Secret, error)
	// ListSecretsOf returns the secrets of each client named (at most
	// MaxPageLimit), as ListSecrets orders them, in one query: a client
	// missing from the map has none or does not exist.
	ListSecretsOf(ctx context.Context, clientIDs []string) (map[string][]Secret, error)
	// RotateSecret adds secret to its client and makes every other secret
	// of that client expire at oldExpiresAt at the latest, in one
	// transaction; a zero oldExpiresAt leaves the other secrets as they are.
	// ErrNotFound: no such client. ErrConflict: the secret's ID is taken.
	RotateSecret(ctx context.Context, secret Secret, oldExpiresAt time.Time) error
	// DeleteSecret removes one secret. ErrNotFound.
	DeleteSecret(ctx context.Context, clientID, secretID string) error

	// CreateGrant stores a new grant. ErrNotFound: the client or the API
	// (by audience) does not exist. ErrConflict: the ID is taken or the
	// client already has a grant for that audience.
	CreateGrant(ctx context.Context, grant Grant) error
	// GetGrant: ErrNotFound.
	GetGrant(ctx context.Context, id string) (Grant, error)
	// FindGrant returns the client's grant for an audience. ErrNotFound.
	FindGrant(ctx context.Context, clientID, audience string) (Grant, error)
	// ListGrants returns a client's grants (none for an unknown client or
	// ""). It is on the token path, so it reads an index, never the table.
	ListGrants(ctx context.Context, clientID string) ([]Grant, error)
	// ListGrantsPage returns a page of the grants q selects and the next
	// page's cursor.
	ListGrantsPage(ctx context.Context, q GrantQuery) (grants []Grant, next Cursor, err error)
	// UpdateGrant: ErrNotFound. The client and audience cannot change.
	UpdateGrant(ctx context.Context, id string, update func(Grant) (Grant, error)) (Grant, error)
	// DeleteGrant: ErrNotFound.
	DeleteGrant(ctx context.Context, id string) error

	// RecordSecretUse moves the LastUsedAt of each secret named (by ID) to
	// the time given, unless it is already later. Unknown IDs are ignored:
	// the secret may have been deleted since it was used.
	RecordSecretUse(ctx context.Context, uses map[string]time.Time) error

	// ListSigningKeys returns every stored signing key, oldest first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// UpdateSigningKeys runs update on every stored key, oldest first, in
	// one transaction, and stores what it returns: keys missing from the
	// result are deleted, keys with new IDs inserted, the others replaced.
	// Callers racing (replicas starting or rotating at once) run one after
	// the other, each seeing the previous one's result. A kept key's ID and
	// Algorithm must not change; its other fields may (PrivateKey is resealed
	// under a new master key). ErrConflict: the result has two active keys
	// for one algorithm, or one ID twice. It returns the keys stored
	// afterwards, oldest first.
	UpdateSigningKeys(ctx context.Context, update func([]SigningKey) ([]SigningKey, error)) ([]SigningKey, error)

	// RevokeToken remembers a revoked token until it expires; revoking one
	// twice is not an error. Expired tokens count as revoked until
	// PruneExpired forgets them, so callers must refuse expired tokens and
	// assertions themselves before asking.
	RevokeToken(ctx context.Context, token RevokedToken) error
	// TokenRevoked reports whether the token with this "jti" is revoked.
	TokenRevoked(ctx context.Context, id string) (bool, error)
	// UseAssertion records the "jti" of a client assertion (RFC 7523 §3)
	// until it expires. ErrConflict: that client used it already — a
	// replay, whichever replica saw the first use.
	UseAssertion(ctx context.Context, clientID, id string, expiresAt time.Time) error
	// PruneExpired forgets revoked tokens and assertion ids that expired
	// before t.
	PruneExpired(ctx context.Context, t time.Time) error

	// Ping checks that the storage answers.
	Ping(ctx context.Context) error
	Close() error
}

// AuditStore keeps the audit log, a hash chain of mint.AuditRecord. Both
// backends implement it beside Store; it is a separate interface so that
// wrappers of Store (package storecache) need not know it.
//
// Appends are serialised across every process sharing the database, so the
// chain is linear: the store reads the chain head, sets Seq, PrevHash and
// Hash (with audit.Seal) and writes the record in one transaction.
type AuditStore interface {
	// AppendAudit appends records in order, in one transaction, setting
	// their Seq, PrevHash and Hash and truncating Time to the microsecond.
	AppendAudit(ctx context.Context, records []AuditRecord) error
	// ListAudit returns the records filter selects, by Seq ascending, or
	// descending with NewestFirst.
	ListAudit(ctx context.Context, filter AuditFilter) ([]AuditRecord, error)
	// AuditAnchor returns where the kept chain starts.
	AuditAnchor(ctx context.Context) (AuditAnchor, error)
	// PruneAudit deletes the records older than before, keeping at least
	// the newest record, and makes the last one deleted the anchor, in one
	// transaction. It returns how many it deleted.
	PruneAudit(ctx context.Context, before time.Time) (int, error)
}

// TokenCounter keeps shared counts of the tokens issued to each client per
// fixed window, for the quotas of package ratelimit. Both backends
// implement it beside Store; like AuditStore it is a separate interface so
// that wrappers of Store need not know it.
type TokenCounter interface {
	// AddTokenCount adds n (which may be 0, to read) to the count of
	// clientID's tokens in the window named window ("hour", "day") that
	// started at start, creating it at n, and returns the count after the
	// addition. Concurrent additions from any process sharing the
	// database are all counted.
	AddTokenCount(ctx context.Context, clientID, window string, start time.Time, n int) (total int, err error)
	// PruneTokenCounts forgets the windows that started before t.
	PruneTokenCounts(ctx context.Context, t time.Time) error
}

// auditKey is the context key of WithAudit.
type auditKey struct{}

// WithAudit returns a context that makes a Store write method record the
// change it makes in the audit log, in the same transaction: once the
// write has succeeded, and before it commits, the store calls record and
// appends what it returns (as AppendAudit would). If the write fails, or
// its update function returns an error, nothing is recorded. record runs
// inside the transaction, so, like an update function, it must not call
// the Store; it may read what the update function saw. Only the write
// methods of the admin API's resources honour it (APIs, clients, secrets,
// grants, signing keys); pass such a context to one write only.
func WithAudit(ctx context.Context, record func() AuditRecord) context.Context {
	return context.WithValue(ctx, auditKey{}, record)
}

// AuditFrom returns the function WithAudit put in ctx, or nil.
func AuditFrom(ctx context.Context) func() AuditRecord {
	f, _ := ctx.Value(auditKey{}).(func() AuditRecord)
	return f
}

// ErrUnavailable: the storage cannot be reached or cannot write now (the
// database server is down, the disk is full or read-only). Stores wrap it
// beside the driver's error so that callers can answer 503 rather than 500.
var ErrUnavailable = errors.New("storage unavailable")
