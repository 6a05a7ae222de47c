package mint

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"maps"
	"slices"
	"strings"
	"time"
)

// ErrStateChanged: the state a plan was made from changed before the plan
// could be applied (another admin, another apply). Nothing was applied;
// plan again.
var ErrStateChanged = errors.New("state changed, plan again")

// ChangeOp is what a Change does to its resource.
type ChangeOp string

// The operations of a plan.
const (
	OpCreate ChangeOp = "create"
	OpUpdate ChangeOp = "update"
	OpDelete ChangeOp = "delete"
)

// Change is one step of a plan `mint apply` makes: exactly one of API,
// Client, Grant and Federated is set. An update stores every mutable field of the value
// given (identifier fields and CreatedAt are kept, as the Update methods
// do); a delete needs only the ID, and cascades as the Delete methods do.
type Change struct {
	Op     ChangeOp
	API    *API
	Client *Client
	// Secret is the first secret of a client created.
	Secret *Secret
	Grant  *Grant
	// Federated is a client's trust rule, created or deleted (rules are
	// never updated: a changed rule is another rule).
	Federated *FederatedCredential
	// Audit is the change's audit record, appended in the same
	// transaction; the store sets Seq, PrevHash and Hash.
	Audit AuditRecord
}

// Applier is the all-or-nothing path of a Store, for `mint apply`: the
// single-resource methods of Store each commit on their own, and a plan of
// many changes must not stop half-way. Both backends implement it; it is a
// separate interface so that wrappers of Store need not.
type Applier interface {
	// ApplyPlan makes changes, in order, in one transaction: all of them
	// or none. First, inside that transaction and holding off every other
	// writer of APIs, clients and grants (from any process) until it
	// commits, it computes StateFingerprint of the stored
	// APIs, clients, grants and federated credentials; if that is not expected (the state the
	// plan was made from), it returns ErrStateChanged and changes nothing.
	// Each change's Audit record is appended in the same transaction.
	// ErrConflict and ErrNotFound as the single-resource methods return
	// them (a created ID taken, a grant's client or API missing, an
	// updated or deleted resource missing).
	ApplyPlan(ctx context.Context, expected string, changes []Change) error
}

// RuleReader is an optional method of an Applier: every client's trust
// rules in one read, for the state `mint apply` plans from (the
// alternative is a ListFederatedCredentials a client). It is as unbounded
// as the fingerprint's own read inside ApplyPlan, at most
// MaxFederatedCredentials a client.
type RuleReader interface {
	EveryFederatedCredential(ctx context.Context) ([]FederatedCredential, error)
}

// StateFingerprint is a digest of every field of the APIs, clients,
// grants and federated credentials (trust rules) given, whatever their order: two reads of the state give the same
// fingerprint exactly when nothing in them differs (an admin change moves at
// least UpdatedAt). Secrets and signing keys are not in it: a plan neither
// reads nor writes them, so rotating a secret does not invalidate a plan.
func StateFingerprint(apis []API, clients []Client, grants []Grant, rules []FederatedCredential) string {
	h := sha256.New()
	f := fingerprinter{h: h}
	for _, a := range sortedBy(apis, func(a API) string { return a.ID }) {
		f.str("api", a.ID, a.Name, a.Audience, a.SigningAlg, a.AuditIssuance)
		f.strs(a.Scopes)
		f.num(int64(a.TokenLifetime), boolNum(a.TokenReuse))
		f.str(a.Policy, a.TokenBinding)
		f.times(a.CreatedAt, a.UpdatedAt)
	}
	for _, c := range sortedBy(clients, func(c Client) string { return c.ID }) {
		f.str("client", c.ID, c.Name, string(c.JWKS))
		f.num(boolNum(c.IntrospectAll))
		f.count(c.TokensPerHour)
		f.count(c.TokensPerDay)
		f.times(c.TokensRevokedBefore, c.CreatedAt, c.UpdatedAt)
		f.str(c.Policy, c.TokenBinding, c.TLSAuth.Kind, c.TLSAuth.Value)
		f.metadata(c.Metadata)
	}
	for _, g := range sortedBy(grants, func(g Grant) string { return g.ID }) {
		f.str("grant", g.ID, g.ClientID, g.Audience)
		f.strs(g.Scopes)
		f.times(g.CreatedAt, g.UpdatedAt)
	}
	for _, r := range sortedBy(rules, func(r FederatedCredential) string { return r.ID }) {
		f.str("federated", r.ID, r.ClientID, r.Issuer, r.Subject, r.Audience, r.JWKSURI)
		f.metadata(r.Claims)
		f.num(r.MaxAge.Milliseconds())
		f.times(r.CreatedAt)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedBy[T any](items []T, key func(T) string) []T {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	return out
}

// fingerprinter writes values length-prefixed, so that no two different
// sequences of values hash alike.
type fingerprinter struct{ h hash.Hash }

func (f fingerprinter) str(ss ...string) {
	for _, s := range ss {
		f.num(int64(len(s)))
		f.h.Write([]byte(s))
	}
}

func (f fingerprinter) strs(ss []string) {
	f.num(int64(len(ss)))
	f.str(ss...)
}

// metadata writes a client's metadata, keys sorted.
func (f fingerprinter) metadata(m map[string]string) {
	keys := slices.Sorted(maps.Keys(m))
	f.num(int64(len(keys)))
	for _, k := range keys {
		f.str(k, m[k])
	}
}

func (f fingerprinter) num(ns ...int64) {
	for _, n := range ns {
		f.h.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
	}
}

// count writes an optional count: nil and 0 differ.
func (f fingerprinter) count(n *int64) {
	if n == nil {
		f.num(0)
		return
	}
	f.num(1, *n)
}

// times writes times to the millisecond, what both stores keep.
func (f fingerprinter) times(ts ...time.Time) {
	for _, t := range ts {
		if t.IsZero() {
			f.num(0, 0)
			continue
		}
		f.num(1, t.UnixMilli())
	}
}

func boolNum(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
