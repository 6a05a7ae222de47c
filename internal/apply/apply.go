package apply

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
)

// NewSecret is the secret of a client a plan creates, shown once.
type NewSecret struct {
	ClientID string
	Secret   string
}

// Options of Apply.
type Options struct {
	// Actor and Source go in every audit record: who applied, from where.
	Actor, Source string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Deliver, when set, is given the new clients' secrets before the
	// plan is applied; if it fails, nothing is applied. The secrets are
	// also returned by Apply, for a caller that shows them after.
	Deliver func([]NewSecret) error
}

// Apply makes the plan in one transaction of store, all or nothing. It
// returns mint.ErrStateChanged, applying nothing, when the store is no
// longer in the state the plan was made from.
func Apply(ctx context.Context, store mint.Applier, p *Plan, opts Options) ([]NewSecret, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	t := now().UTC().Truncate(time.Millisecond)
	changes := make([]mint.Change, 0, len(p.Steps))
	var secrets []NewSecret
	for _, s := range p.Steps {
		ch, plain := s.change(t)
		ch.Audit = s.audit(ch, t, opts)
		changes = append(changes, ch)
		if plain != "" {
			secrets = append(secrets, NewSecret{ClientID: ch.Client.ID, Secret: plain})
		}
	}
	if opts.Deliver != nil && len(secrets) > 0 {
		if err := opts.Deliver(secrets); err != nil {
			return nil, fmt.Errorf("nothing applied: handing over the new clients' secrets failed: %w", err)
		}
	}
	if err := store.ApplyPlan(ctx, p.Fingerprint, changes); err != nil {
		return secrets, err
	}
	return secrets, nil
}

// change is the step as the store takes it, at time t, with the plain
// secret of a client it creates.
func (s Step) change(t time.Time) (mint.Change, string) {
	ch := mint.Change{Op: s.Op}
	switch {
	case s.api != nil:
		a := *s.api
		if s.Op == mint.OpCreate {
			a.ID, a.CreatedAt = mint.NewID("api"), t
		}
		a.UpdatedAt = t
		ch.API = &a
	case s.client != nil:
		c := *s.client
		if s.Op == mint.OpCreate {
			c.CreatedAt = t
			plain, digest := secret.New()
			ch.Secret = &mint.Secret{ID: mint.NewID("sec"), ClientID: c.ID, Digest: digest, CreatedAt: t}
			c.UpdatedAt = t
			ch.Client = &c
			return ch, plain
		}
		c.UpdatedAt = t
		ch.Client = &c
	case s.grant != nil:
		g := *s.grant
		if s.Op == mint.OpCreate {
			g.ID, g.CreatedAt = mint.NewID("grant"), t
		}
		g.UpdatedAt = t
		ch.Grant = &g
	case s.rule != nil:
		fc := *s.rule
		if s.Op == mint.OpCreate {
			fc.ID, fc.CreatedAt = mint.NewID("fed"), t
		}
		ch.Federated = &fc
	}
	return ch, ""
}

// audit is the change's audit record, of the kinds the admin API writes
// (admin.apis.create, …) with the before and after it would show, and
// "via": "mint apply".
func (s Step) audit(ch mint.Change, t time.Time, opts Options) mint.AuditRecord {
	r := mint.AuditRecord{Time: t, Kind: "admin." + s.Kind + "s." + string(s.Op), Actor: opts.Actor, Source: opts.Source}
	if s.Kind == kindRule {
		// As the admin API names them.
		r.Kind = "admin.clients.federated-credentials." + string(s.Op)
	}
	details := map[string]any{"via": "mint apply"}
	before, after := s.before, any(nil)
	switch {
	case ch.API != nil:
		r.Subject = ch.API.ID
		after = auditAPI(ch.API)
	case ch.Client != nil:
		r.Subject, r.ClientID = ch.Client.ID, ch.Client.ID
		after = auditClient(ch.Client)
		if ch.Secret != nil {
			details["secret"] = map[string]string{"id": ch.Secret.ID}
		}
	case ch.Grant != nil:
		r.Subject, r.ClientID = ch.Grant.ID, ch.Grant.ClientID
		after = auditGrant(ch.Grant)
	case ch.Federated != nil:
		r.Subject, r.ClientID = ch.Federated.ID, ch.Federated.ClientID
		after = auditRule(ch.Federated)
	}
	switch s.Op {
	case mint.OpCreate:
		details["after"] = after
	case mint.OpUpdate:
		details["before"], details["after"] = before, after
		details["changed"] = s.Fields
	case mint.OpDelete:
		details["before"] = before
	}
	r.Details, _ = json.Marshal(details)
	return r
}

// The resources as audit records show them: as the admin API does, no
// secret and of a client's keys only their number.

func auditAPI(a *mint.API) any {
	return map[string]any{"id": a.ID, "name": a.Name, "audience": a.Audience, "scopes": nonNil(a.Scopes),
		"token_lifetime": int64(a.TokenLifetime / time.Second), "signing_alg": a.Alg(),
		"audit_issuance": auditIssuance(*a), "token_reuse": a.TokenReuse, "policy": a.Policy, "token_binding": a.TokenBinding}
}

func auditClient(c *mint.Client) any {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	_ = json.Unmarshal(c.JWKS, &set)
	view := map[string]any{"client_id": c.ID, "name": c.Name, "jwks_keys": len(set.Keys),
		"introspect_all": c.IntrospectAll, "tokens_per_hour": c.TokensPerHour, "tokens_per_day": c.TokensPerDay,
		"metadata": c.Metadata, "policy": c.Policy, "token_binding": c.TokenBinding}
	auditTLSAuth(view, c.TLSAuth)
	return view
}

func auditGrant(g *mint.Grant) any {
	return map[string]any{"id": g.ID, "client_id": g.ClientID, "audience": g.Audience, "scopes": nonNil(g.Scopes)}
}
