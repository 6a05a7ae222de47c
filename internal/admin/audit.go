package admin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// change is the audit record of one admin change being made. The handler
// fills it in — the "before" it read, the "after" its update function
// made — and the store turns it into a record inside the change's own
// transaction (mint.WithAudit), when it calls record.
type change struct {
	kind, actor, source string
	clientID, subject   string
	before, after       any
	extra               map[string]any
}

// audited returns a context that records ch with the one store write it
// is given to, and ch for the handler to fill in.
func (a *API) audited(r *http.Request, who *bearer.Claims, kind, subject string) (context.Context, *change) {
	ch := &change{kind: kind, actor: who.ClientID, source: r.RemoteAddr, subject: subject}
	now := a.now()
	return mint.WithAudit(r.Context(), func() mint.AuditRecord { return ch.record(now) }), ch
}

func (ch *change) record(now time.Time) mint.AuditRecord {
	details := map[string]any{}
	if ch.before != nil {
		details["before"] = ch.before
	}
	if ch.after != nil {
		details["after"] = ch.after
	}
	for k, v := range ch.extra {
		details[k] = v
	}
	b, err := json.Marshal(details)
	if err != nil {
		b = []byte(`{}`)
	}
	return mint.AuditRecord{Time: now, Kind: ch.kind, Actor: ch.actor, ClientID: ch.clientID,
		Subject: ch.subject, Source: ch.source, Details: b}
}

// clientAudit is a client as an audit record shows it: no secret, no
// digest, and of its public keys only their number.
type clientAudit struct {
	ClientID            string     `json:"client_id"`
	Name                string     `json:"name"`
	JWKSKeys            int        `json:"jwks_keys"`
	IntrospectAll       bool       `json:"introspect_all"`
	TokensRevokedBefore *time.Time `json:"tokens_revoked_before,omitempty"`
	// Metadata and Policy are recorded in full: neither is a secret
	// (docs/policies.md says so to those who write them).
	Metadata map[string]string `json:"metadata,omitempty"`
	Policy   string            `json:"policy,omitempty"`
	// TokenBinding, when set: a change of policy is a security change.
	TokenBinding string `json:"token_binding,omitempty"`
	// TLSAuth, when set: how the client may authenticate is a security
	// change (neither a DN nor a SAN is a secret).
	TLSAuthKind  string `json:"tls_auth,omitempty"`
	TLSAuthValue string `json:"tls_auth_value,omitempty"`
}

func auditClient(c mint.Client) clientAudit {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(c.JWKS, &set)
	return clientAudit{ClientID: c.ID, Name: c.Name, JWKSKeys: len(set.Keys), IntrospectAll: c.IntrospectAll,
		TokensRevokedBefore: optionalTime(c.TokensRevokedBefore), Metadata: metadataView(c.Metadata), Policy: c.Policy,
		TokenBinding: c.TokenBinding, TLSAuthKind: c.TLSAuth.Kind, TLSAuthValue: c.TLSAuth.Value}
}

// secretAudit is a secret as an audit record shows it: its dates.
type secretAudit struct {
	ID        string     `json:"id"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func parseAuditQuery(r *http.Request) (mint.AuditFilter, error) {
	q := r.URL.Query()
	f := mint.AuditFilter{ClientID: q.Get("client_id"), Kind: q.Get("kind")}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, invalid(p.name, "%s must be an RFC 3339 time, such as 2025-01-31T00:00:00Z", p.name)
			}
			*p.to = t
		}
	}
	if v := q.Get("after_seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, invalid("after_seq", "after_seq must be a record number, 0 or more")
		}
		f.AfterSeq = n
	}
	if v := q.Get("before_seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, invalid("before_seq", "before_seq must be a record number, 1 or more")
		}
		f.BeforeSeq = n
	}
	switch q.Get("order") {
	case "", "oldest":
	case "newest":
		f.NewestFirst = true
	default:
		return f, invalid("order", "order must be oldest (the default) or newest")
	}
	limit, err := pageLimit(q)
	if err != nil {
		return f, err
	}
	f.Limit = limit
	if q.Has("cursor") {
		if err := applyAuditCursor(&f, q.Get("cursor"), q.Has("after_seq") || q.Has("before_seq")); err != nil {
			return f, err
		}
	}
	return f, nil
}

// An audit cursor is the seq of the last record of the page before, and
// the direction of the listing, base64url-encoded so that clients treat
// it as opaque: "a" then the seq when oldest first (the next page is after
// it), "b" when newest first (before it). A seq keyset is stable: records
// appended meanwhile come after it, and pruning only removes what is
// before it.
func auditCursor(f mint.AuditFilter, last int64) string {
	dir := "a"
	if f.NewestFirst {
		dir = "b"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(dir + strconv.FormatInt(last, 10)))
}

// applyAuditCursor sets f's seq bound from cursor. A cursor must come from
// a listing in the same order, and alone: with after_seq or before_seq it
// would be two bounds.
func applyAuditCursor(f *mint.AuditFilter, cursor string, seqBound bool) error {
	bad := invalid("cursor", "cursor must be one a Link header of this list gave")
	if seqBound {
		return invalid("cursor", "cursor takes the place of after_seq and before_seq: send one of them")
	}
	if len(cursor) > maxCursor {
		return bad
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(cursor)
	if err != nil || len(raw) < 2 {
		return bad
	}
	seq, err := strconv.ParseInt(string(raw[1:]), 10, 64)
	if err != nil || seq < 1 || strconv.FormatInt(seq, 10) != string(raw[1:]) {
		return bad
	}
	switch {
	case raw[0] == 'a' && !f.NewestFirst:
		f.AfterSeq = seq
	case raw[0] == 'b' && f.NewestFirst:
		f.BeforeSeq = seq
	default:
		return bad
	}
	return nil
}

// listAudit answers GET /admin/v1/audit: the records the query selects,
// oldest first (newest first with order=newest), a page of at most limit.
// When there are more, the Link header names the next page (a cursor);
// after_seq and before_seq still bound a listing by hand.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	if a.Audit == nil {
		return notFound(w, r, nil)
	}
	f, err := parseAuditQuery(r)
	if err != nil {
		return err
	}
	limit := f.Limit
	f.Limit++ // one more tells whether there is a next page
	records, err := a.Audit.ListAudit(r.Context(), f)
	if err != nil {
		return storeError(err, "audit record")
	}
	if len(records) > limit {
		records = records[:limit]
		setNextLink(w, r, auditCursor(f, records[limit-1].Seq), "after_seq", "before_seq")
	}
	views := make([]audit.View, 0, len(records))
	for _, rec := range records {
		views = append(views, audit.ViewOf(rec))
	}
	oauth.WriteJSON(w, http.StatusOK, views)
	return nil
}

// verifyAudit answers GET /admin/v1/audit/verify: the chain checked from
// its anchor, 200 with "ok": false and the first broken record when it is
// not whole.
func (a *API) verifyAudit(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	if a.Audit == nil {
		return notFound(w, r, nil)
	}
	rep, err := audit.Verify(r.Context(), a.Audit)
	if err != nil {
		return storeError(err, "audit log")
	}
	oauth.WriteJSON(w, http.StatusOK, audit.ViewOfReport(rep))
	return nil
}
