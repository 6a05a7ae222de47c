package apply

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/admin"
	"github.com/mintauth/mint/internal/mint"
)

// Plan is what applying the files would change, and the fingerprint of the
// state it was made from.
type Plan struct {
	Fingerprint string
	Steps       []Step
}

// Step is one change of a plan.
type Step struct {
	Op mint.ChangeOp
	// Kind is "api", "client", "grant" or "federated credential".
	Kind string
	// Name is how the files name the resource: an audience, a client ID,
	// "client → audience" for a grant, "client ← issuer sub …" for a
	// trust rule.
	Name string
	// Fields are the fields a create sets and an update changes.
	Fields []FieldChange

	// The resource as it will be stored (a create's without its ID and
	// times, which Apply sets), and as it is for updates and deletes.
	api    *mint.API
	client *mint.Client
	grant  *mint.Grant
	rule   *mint.FederatedCredential
	// before is an update's or delete's resource as stored, as the audit
	// record shows it.
	before any
}

// FieldChange is one field of a step: From is empty for a create.
type FieldChange struct {
	Field, From, To string
}

// Counts returns how many steps create, update and delete.
func (p *Plan) Counts() (create, update, del int) {
	for _, s := range p.Steps {
		switch s.Op {
		case mint.OpCreate:
			create++
		case mint.OpUpdate:
			update++
		case mint.OpDelete:
			del++
		}
	}
	return
}

// MakePlan compares what cfg declares with state. With prune, what the
// files do not declare is deleted (but the built-in admin API); without,
// it is left alone, and grants may name clients and APIs of the store. A
// reference to a resource that does not exist is a Problem of the file.
func MakePlan(cfg *Config, state State, prune bool) (*Plan, error) {
	ix := state.index()
	if err := cfg.checkReferences(ix, prune); err != nil {
		return nil, err
	}
	p := &Plan{Fingerprint: state.Fingerprint()}
	if prune {
		if err := cfg.keepsAdminAccess(state); err != nil {
			return nil, err
		}
		p.Steps = append(p.Steps, cfg.deletions(state)...)
	}
	// The rules a client's declaration drops are deleted before anything
	// is created, so that the client's bound on rules holds in between.
	for _, c := range cfg.Clients {
		deletes, _ := planRules(c.V, ix, prune)
		p.Steps = append(p.Steps, deletes...)
	}
	for _, a := range cfg.APIs {
		if s, ok := planAPI(a.V, ix); ok {
			p.Steps = append(p.Steps, s)
		}
	}
	for _, c := range cfg.Clients {
		if s, ok := planClient(c.V, cfg.jwks[c.V.ID], ix); ok {
			p.Steps = append(p.Steps, s)
		}
		_, creates := planRules(c.V, ix, prune)
		p.Steps = append(p.Steps, creates...)
	}
	for _, g := range cfg.Grants {
		if s, ok := planGrant(g.V, ix); ok {
			p.Steps = append(p.Steps, s)
		}
	}
	return p, nil
}

// checkReferences refuses grants whose client or API will not exist, or
// whose scopes their API will not have, and changes to the built-in admin
// API that the admin API refuses too.
func (cfg *Config) checkReferences(ix index, prune bool) error {
	var problems Problems
	where := "in the files or the store"
	if prune {
		where = "in the files (--prune deletes what they do not declare)"
	}
	apis := map[string]mint.API{}
	if !prune {
		for aud, api := range ix.apis {
			apis[aud] = api
		}
	}
	for _, a := range cfg.APIs {
		apis[a.V.Audience] = desiredAPI(a.V)
		if a.V.Audience != mint.AdminAudience {
			continue
		}
		stored, ok := ix.apis[mint.AdminAudience]
		switch {
		case !ok:
			report(&problems, a.problem("audience", "the built-in admin API is made by mint serve; it cannot be created here"))
		case !sameSet(stored.Scopes, a.V.Scopes):
			report(&problems, a.problem("scopes", "the scopes of the built-in admin API cannot change: they are %s", strings.Join(stored.Scopes, " ")))
		case a.V.Policy != "":
			report(&problems, a.problem("policy", "the built-in admin API takes no issuance policy: one that refused would lock every admin out"))
		case a.V.TokenBinding != "":
			report(&problems, a.problem("token_binding", "the built-in admin API takes bearer tokens only: binding its tokens would lock every admin out"))
		}
	}
	clients := map[string]bool{}
	for _, c := range cfg.Clients {
		clients[c.V.ID] = true
	}
	for _, g := range cfg.Grants {
		if _, ok := ix.clients[g.V.Client]; !clients[g.V.Client] && (prune || !ok) {
			report(&problems, g.problem("client", "no client has the id %q %s", g.V.Client, where))
		}
		api, ok := apis[g.V.Audience]
		if !ok {
			report(&problems, g.problem("audience", "no API has the audience %q %s", g.V.Audience, where))
			continue
		}
		if err := admin.CheckGrant(api, g.V.Scopes); err != nil {
			report(&problems, g.problem("scopes", "%s", describe(err)))
		}
	}
	cfg.checkRuleAudiences(apis, ix, prune, &problems)
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// keepsAdminAccess refuses a pruning plan that would leave no grant on
// the admin API when the store has one: the files would then delete every
// admin client (the one mint serve made on a new database among them), and
// no admin API call could undo it. Files that declare an admin grant of
// their own are trusted to mean it.
func (cfg *Config) keepsAdminAccess(state State) error {
	for _, g := range cfg.Grants {
		if g.V.Audience == mint.AdminAudience {
			return nil
		}
	}
	for _, g := range state.Grants {
		if g.Audience == mint.AdminAudience {
			return Problems{{File: "the files", Field: "grants",
				Msg: "--prune would delete every grant on " + mint.AdminAudience + " (client " + g.ClientID +
					" holds one), and with them all access to the admin API: declare the admin clients and their grants " +
					"(mint export writes them), or delete them through the admin API"}}
		}
	}
	return nil
}

// deletions are the steps of --prune: grants first, then clients, then
// APIs, each in a stable order.
func (cfg *Config) deletions(state State) []Step {
	apis, clients, grants := map[string]bool{}, map[string]bool{}, map[[2]string]bool{}
	for _, a := range cfg.APIs {
		apis[a.V.Audience] = true
	}
	for _, c := range cfg.Clients {
		clients[c.V.ID] = true
	}
	for _, g := range cfg.Grants {
		grants[[2]string{g.V.Client, g.V.Audience}] = true
	}
	var steps []Step
	for _, g := range sorted(state.Grants, func(a, b mint.Grant) int {
		return cmp.Or(strings.Compare(a.ClientID, b.ClientID), strings.Compare(a.Audience, b.Audience))
	}) {
		if !grants[[2]string{g.ClientID, g.Audience}] {
			steps = append(steps, Step{Op: mint.OpDelete, Kind: "grant", Name: grantName(g.ClientID, g.Audience), grant: &g, before: auditGrant(&g)})
		}
	}
	for _, fc := range sorted(state.Rules, func(a, b mint.FederatedCredential) int {
		return cmp.Or(strings.Compare(a.ClientID, b.ClientID), a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	}) {
		// The rules of a client deleted go first, with audit records of
		// their own; those of a client kept, with the client's plan.
		if !clients[fc.ClientID] {
			steps = append(steps, deleteRule(fc))
		}
	}
	for _, c := range sorted(state.Clients, func(a, b mint.Client) int { return strings.Compare(a.ID, b.ID) }) {
		if !clients[c.ID] {
			steps = append(steps, Step{Op: mint.OpDelete, Kind: "client", Name: c.ID, client: &c, before: auditClient(&c)})
		}
	}
	for _, a := range sorted(state.APIs, func(a, b mint.API) int { return strings.Compare(a.Audience, b.Audience) }) {
		if !apis[a.Audience] && a.Audience != mint.AdminAudience {
			steps = append(steps, Step{Op: mint.OpDelete, Kind: "api", Name: a.Audience, api: &a, before: auditAPI(&a)})
		}
	}
	return steps
}

func sorted[T any](items []T, compare func(a, b T) int) []T {
	out := slices.Clone(items)
	slices.SortFunc(out, compare)
	return out
}

func grantName(clientID, audience string) string { return clientID + " → " + audience }

func planAPI(v API, ix index) (Step, bool) {
	want := desiredAPI(v)
	old, exists := ix.apis[v.Audience]
	if !exists {
		return Step{Op: mint.OpCreate, Kind: "api", Name: v.Audience, Fields: apiFields(mint.API{}, want, true), api: &want}, true
	}
	next := old
	next.Name, next.TokenLifetime, next.SigningAlg, next.AuditIssuance, next.TokenReuse, next.Policy, next.TokenBinding =
		want.Name, want.TokenLifetime, want.SigningAlg, want.AuditIssuance, want.TokenReuse, want.Policy, want.TokenBinding
	if !slices.Equal(old.Scopes, want.Scopes) && !(old.Audience == mint.AdminAudience && sameSet(old.Scopes, want.Scopes)) {
		next.Scopes = want.Scopes
	}
	fields := apiFields(old, next, false)
	if len(fields) == 0 {
		return Step{}, false
	}
	return Step{Op: mint.OpUpdate, Kind: "api", Name: v.Audience, Fields: fields, api: &next, before: auditAPI(&old)}, true
}

// apiFields lists the fields that differ from old to next (all of next's
// for a create). Unset settings compare as their defaults.
func apiFields(old, next mint.API, create bool) []FieldChange {
	var f fieldDiff
	f.create = create
	f.str("name", old.Name, next.Name)
	f.add("scopes", showScopes(old.Scopes), showScopes(next.Scopes))
	f.add("token_lifetime", strconv.FormatInt(int64(old.TokenLifetime/time.Second), 10), strconv.FormatInt(int64(next.TokenLifetime/time.Second), 10))
	f.add("signing_alg", old.Alg(), next.Alg())
	f.add("audit_issuance", auditIssuance(old), auditIssuance(next))
	f.add("token_reuse", strconv.FormatBool(old.TokenReuse), strconv.FormatBool(next.TokenReuse))
	f.policy(old.Policy, next.Policy)
	f.binding(old.TokenBinding, next.TokenBinding)
	return f.fields
}

func planClient(v Client, jwks []byte, ix index) (Step, bool) {
	old, exists := ix.clients[v.ID]
	next := old
	if !exists {
		next = mint.Client{ID: v.ID}
	}
	next.Name, next.IntrospectAll = v.Name, v.IntrospectAll
	next.TokensPerHour, next.TokensPerDay = v.TokensPerHour, v.TokensPerDay
	next.Metadata, next.Policy, next.TokenBinding = metadataOf(v.Metadata), v.Policy, v.TokenBinding
	next.TLSAuth = tlsAuthOf(v)
	if !bytes.Equal(canonicalJWKS(old.JWKS), jwks) {
		next.JWKS = jwks
	}
	if !exists {
		return Step{Op: mint.OpCreate, Kind: "client", Name: v.ID, Fields: clientFields(mint.Client{}, next, true), client: &next}, true
	}
	fields := clientFields(old, next, false)
	if len(fields) == 0 {
		return Step{}, false
	}
	return Step{Op: mint.OpUpdate, Kind: "client", Name: v.ID, Fields: fields, client: &next, before: auditClient(&old)}, true
}

func clientFields(old, next mint.Client, create bool) []FieldChange {
	var f fieldDiff
	f.create = create
	f.str("name", old.Name, next.Name)
	f.add("introspect_all", strconv.FormatBool(old.IntrospectAll), strconv.FormatBool(next.IntrospectAll))
	f.add("tokens_per_hour", showCount(old.TokensPerHour), showCount(next.TokensPerHour))
	f.add("tokens_per_day", showCount(old.TokensPerDay), showCount(next.TokensPerDay))
	if !bytes.Equal(old.JWKS, next.JWKS) && !(create && len(next.JWKS) == 0) {
		f.fields = append(f.fields, FieldChange{Field: "jwks", From: showJWKS(old.JWKS, create), To: showJWKS(next.JWKS, false)})
	}
	f.metadata(old.Metadata, next.Metadata)
	f.policy(old.Policy, next.Policy)
	f.binding(old.TokenBinding, next.TokenBinding)
	f.tlsAuth(old.TLSAuth, next.TLSAuth)
	return f.fields
}

func planGrant(v Grant, ix index) (Step, bool) {
	name := grantName(v.Client, v.Audience)
	old, exists := ix.grants[[2]string{v.Client, v.Audience}]
	if !exists {
		g := mint.Grant{ClientID: v.Client, Audience: v.Audience, Scopes: nonNil(v.Scopes)}
		return Step{Op: mint.OpCreate, Kind: "grant", Name: name,
			Fields: []FieldChange{{Field: "scopes", To: showScopes(g.Scopes)}}, grant: &g}, true
	}
	if slices.Equal(old.Scopes, nonNil(v.Scopes)) || len(old.Scopes) == 0 && len(v.Scopes) == 0 {
		return Step{}, false
	}
	next := old
	next.Scopes = nonNil(v.Scopes)
	return Step{Op: mint.OpUpdate, Kind: "grant", Name: name,
		Fields: []FieldChange{{Field: "scopes", From: showScopes(old.Scopes), To: showScopes(next.Scopes)}}, grant: &next,
		before: auditGrant(&old)}, true
}

// fieldDiff collects the fields of a step.
type fieldDiff struct {
	create bool
	fields []FieldChange
}

func (f *fieldDiff) add(field, from, to string) {
	if f.create {
		f.fields = append(f.fields, FieldChange{Field: field, To: to})
	} else if from != to {
		f.fields = append(f.fields, FieldChange{Field: field, From: from, To: to})
	}
}

// binding shows a token_binding; a create without one shows nothing.
func (f *fieldDiff) binding(old, next string) {
	if f.create && next == mint.BindingAny {
		return
	}
	f.str("token_binding", old, next)
}

func (f *fieldDiff) str(field, from, to string) { f.add(field, strconv.Quote(from), strconv.Quote(to)) }

func showScopes(s []string) string { return "[" + strings.Join(s, ", ") + "]" }

func showCount(n *int64) string {
	if n == nil {
		return "null"
	}
	return strconv.FormatInt(*n, 10)
}

// showJWKS shows a key set by its size: keys are long and public, and the
// plan only needs to say that they change.
func showJWKS(stored []byte, none bool) string {
	if none || len(stored) == 0 {
		return "none"
	}
	var set struct {
		Keys []any `json:"keys"`
	}
	_ = json.Unmarshal(stored, &set)
	return fmt.Sprintf("%d key(s), sha256:%s", len(set.Keys), shortHash(stored))
}

// canonicalJWKS is a stored key set as the files' would be stored, so that
// both compare byte for byte.
func canonicalJWKS(stored []byte) []byte {
	if len(stored) == 0 {
		return nil
	}
	if c, err := admin.CheckJWKS(stored); err == nil {
		return c
	}
	return stored
}

func auditIssuance(a mint.API) string {
	if a.AuditIssuance == "" {
		return mint.AuditAll
	}
	return a.AuditIssuance
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
