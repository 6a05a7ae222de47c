package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// The conformance cases of mint.Applier, the all-or-nothing path of
// `mint apply`. Every backend implements it.

func runApplyCases(t *testing.T, open func(t *testing.T) mint.Store) {
	runCases(t, open, applyCases)
}

var applyCases = []testCase{
	{"AppliesEveryKindAndAudits", testApplyEveryKind},
	{"StaleFingerprintChangesNothing", testApplyStale},
	{"FailingChangeUndoesTheOthers", testApplyAllOrNothing},
	{"ReusedClientIDKeepsTokensRevoked", testApplyReusedID},
	{"RacingAdminChangeIsNeverLost", testApplyRace},
	{"EmptyPlanChecksOnly", testApplyEmpty},
	{"FederatedRulesCreatedAndDeleted", testApplyRules},
	{"FederatedRulesBounded", testApplyRulesBound},
	{"FederatedRuleChangeMakesPlanStale", testApplyStaleRule},
	{"TokenBindingWritten", testApplyTokenBinding},
}

// applier returns s as a mint.Applier, failing the test if it is not one.
func applier(t *testing.T, s mint.Store) mint.Applier {
	t.Helper()
	a, ok := s.(mint.Applier)
	if !ok {
		t.Fatalf("%T does not implement mint.Applier", s)
	}
	return a
}

// fingerprint reads the state as `mint apply` plans from it.
func fingerprint(t *testing.T, ctx context.Context, s mint.Store) string {
	t.Helper()
	apis, err := s.ListAPIs(ctx)
	must(t, "ListAPIs", err)
	clients, err := mint.EveryClient(ctx, s)
	must(t, "ListClients", err)
	grants, err := mint.EveryGrant(ctx, s)
	must(t, "ListGrants", err)
	var rules []mint.FederatedCredential
	if fs, ok := s.(mint.FederatedStore); ok {
		for _, c := range clients {
			rs, err := fs.ListFederatedCredentials(ctx, c.ID)
			must(t, "ListFederatedCredentials", err)
			rules = append(rules, rs...)
		}
	}
	return mint.StateFingerprint(apis, clients, grants, rules)
}

func auditOf(kind, subject string) mint.AuditRecord {
	return mint.AuditRecord{Time: at(50), Kind: kind, Actor: "apply", Subject: subject, Details: []byte(`{}`)}
}

func auditKinds(t *testing.T, ctx context.Context, s mint.Store) []string {
	t.Helper()
	as, ok := s.(mint.AuditStore)
	if !ok {
		t.Fatalf("%T does not implement mint.AuditStore", s)
	}
	records, err := as.ListAudit(ctx, mint.AuditFilter{})
	must(t, "ListAudit", err)
	return ids(records, func(r mint.AuditRecord) string { return r.Kind + " " + r.Subject })
}

// applyFixture stores API 1, client 1 and client 1's grant on API 1.
func applyFixture(t *testing.T, ctx context.Context, s mint.Store) (mint.API, mint.Client, mint.Grant) {
	t.Helper()
	api, c := newAPI(1), newClient(1)
	createAPIs(t, ctx, s, api)
	createClients(t, ctx, s, c)
	g := newGrant(1, 1, api)
	createGrants(t, ctx, s, g)
	return api, c, g
}

func testApplyEveryKind(t *testing.T, ctx context.Context, s mint.Store) {
	api1, c1, g1 := applyFixture(t, ctx, s)
	api2, c2 := newAPI(2), newClient(2)
	g2 := newGrant(2, 2, api2)
	sec := firstSecret(c2)
	api1.Name, api1.Scopes, api1.UpdatedAt = "renamed", []string{"read:things"}, at(9)
	quota := int64(7)
	c1.TokensPerDay, c1.UpdatedAt = &quota, at(9)
	changes := []mint.Change{
		{Op: mint.OpDelete, Grant: &g1, Audit: auditOf("admin.grants.delete", g1.ID)},
		{Op: mint.OpCreate, API: &api2, Audit: auditOf("admin.apis.create", api2.ID)},
		{Op: mint.OpUpdate, API: &api1, Audit: auditOf("admin.apis.update", api1.ID)},
		{Op: mint.OpCreate, Client: &c2, Secret: &sec, Audit: auditOf("admin.clients.create", c2.ID)},
		{Op: mint.OpUpdate, Client: &c1, Audit: auditOf("admin.clients.update", c1.ID)},
		{Op: mint.OpCreate, Grant: &g2, Audit: auditOf("admin.grants.create", g2.ID)},
	}
	must(t, "ApplyPlan", applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s), changes))

	checkStoredAPI(t, ctx, s, api1)
	checkStoredAPI(t, ctx, s, api2)
	checkStoredClient(t, ctx, s, c1)
	checkStoredClient(t, ctx, s, c2)
	checkStoredGrant(t, ctx, s, g2)
	_, err := s.GetGrant(ctx, g1.ID)
	wantErr(t, "GetGrant of the deleted grant", err, mint.ErrNotFound)
	secrets, err := s.ListSecrets(ctx, c2.ID)
	must(t, "ListSecrets", err)
	if len(secrets) != 1 || secrets[0].ID != sec.ID {
		t.Fatalf("secrets of the created client = %v, want only %s", ids(secrets, func(s mint.Secret) string { return s.ID }), sec.ID)
	}
	want := make([]string, len(changes))
	for i, ch := range changes {
		want[i] = ch.Audit.Kind + " " + ch.Audit.Subject
	}
	wantIDs(t, "audit records", auditKinds(t, ctx, s), want)

	// Deleting a client and an API, the grant on them going by cascade.
	again := []mint.Change{
		{Op: mint.OpDelete, Client: &c2, Audit: auditOf("admin.clients.delete", c2.ID)},
		{Op: mint.OpDelete, API: &api2, Audit: auditOf("admin.apis.delete", api2.ID)},
	}
	must(t, "ApplyPlan (deletes)", applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s), again))
	_, err = s.GetClient(ctx, c2.ID)
	wantErr(t, "GetClient of the deleted client", err, mint.ErrNotFound)
	_, err = s.GetGrant(ctx, g2.ID)
	wantErr(t, "GetGrant of a grant deleted by cascade", err, mint.ErrNotFound)
}

func testApplyStale(t *testing.T, ctx context.Context, s mint.Store) {
	api1, _, _ := applyFixture(t, ctx, s)
	planned := fingerprint(t, ctx, s)
	before := len(auditKinds(t, ctx, s))
	// Another admin's change between plan and apply.
	_, err := s.UpdateAPI(ctx, api1.ID, func(a mint.API) (mint.API, error) {
		a.Name, a.UpdatedAt = "by another admin", at(20)
		return a, nil
	})
	must(t, "UpdateAPI", err)
	api2 := newAPI(2)
	err = applier(t, s).ApplyPlan(ctx, planned, []mint.Change{{Op: mint.OpCreate, API: &api2, Audit: auditOf("admin.apis.create", api2.ID)}})
	wantErr(t, "ApplyPlan on a stale fingerprint", err, mint.ErrStateChanged)
	_, err = s.GetAPI(ctx, api2.ID)
	wantErr(t, "GetAPI of the API the refused plan creates", err, mint.ErrNotFound)
	if n := len(auditKinds(t, ctx, s)); n != before {
		t.Fatalf("audit records = %d after a refused plan, want %d", n, before)
	}
}

func testApplyAllOrNothing(t *testing.T, ctx context.Context, s mint.Store) {
	api1, c1, _ := applyFixture(t, ctx, s)
	api2, c2 := newAPI(2), newClient(2)
	sec := firstSecret(c2)
	renamed := api1
	renamed.Name, renamed.UpdatedAt = "renamed", at(9)
	missing := mint.Grant{ID: "grant_9", ClientID: c1.ID, Audience: "https://nowhere.example.com", CreatedAt: at(9), UpdatedAt: at(9)}
	taken := newClient(1) // client_1 exists
	tsec := firstSecret(taken)
	tsec.ID = "secret_taken"
	for _, tc := range []struct {
		name string
		last mint.Change
		want error
	}{
		{"GrantOnMissingAPI", mint.Change{Op: mint.OpCreate, Grant: &missing}, mint.ErrNotFound},
		{"ClientIDTaken", mint.Change{Op: mint.OpCreate, Client: &taken, Secret: &tsec}, mint.ErrConflict},
		{"UpdateOfMissingAPI", mint.Change{Op: mint.OpUpdate, API: &mint.API{ID: "api_404", UpdatedAt: at(9)}}, mint.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(auditKinds(t, ctx, s))
			changes := []mint.Change{
				{Op: mint.OpCreate, API: &api2, Audit: auditOf("admin.apis.create", api2.ID)},
				{Op: mint.OpUpdate, API: &renamed, Audit: auditOf("admin.apis.update", api1.ID)},
				{Op: mint.OpCreate, Client: &c2, Secret: &sec, Audit: auditOf("admin.clients.create", c2.ID)},
				tc.last,
			}
			err := applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s), changes)
			wantErr(t, "ApplyPlan", err, tc.want)
			_, err = s.GetAPI(ctx, api2.ID)
			wantErr(t, "GetAPI of the API created before the failure", err, mint.ErrNotFound)
			_, err = s.GetClient(ctx, c2.ID)
			wantErr(t, "GetClient of the client created before the failure", err, mint.ErrNotFound)
			checkStoredAPI(t, ctx, s, api1)
			if n := len(auditKinds(t, ctx, s)); n != before {
				t.Fatalf("audit records = %d after a failed plan, want %d", n, before)
			}
		})
	}
}

func testApplyReusedID(t *testing.T, ctx context.Context, s mint.Store) {
	c := newClient(1)
	createClients(t, ctx, s, c)
	must(t, "DeleteClient", s.DeleteClient(ctx, c.ID))
	again := newClient(1)
	again.CreatedAt, again.UpdatedAt = at(30), at(30)
	sec := firstSecret(again)
	sec.ID = "secret_again"
	must(t, "ApplyPlan", applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s),
		[]mint.Change{{Op: mint.OpCreate, Client: &again, Secret: &sec, Audit: auditOf("admin.clients.create", c.ID)}}))
	got, err := s.GetClient(ctx, c.ID)
	must(t, "GetClient", err)
	if !sameTime(got.TokensRevokedBefore, again.CreatedAt) {
		t.Fatalf("TokensRevokedBefore = %v, want the new CreatedAt %v: the deleted client's tokens came back", got.TokensRevokedBefore, again.CreatedAt)
	}
}

// testApplyRace plans, then runs the plan and another admin's change at
// once, many times: whichever commits first, the admin's change must be
// what stays — either it came after the plan (and is applied on top), or
// the plan saw it and was refused. A plan that overwrote it would be the
// lost update the fingerprint check exists to prevent.
func testApplyRace(t *testing.T, ctx context.Context, s mint.Store) {
	api, _, _ := applyFixture(t, ctx, s)
	const rounds = 20
	applied, refused := 0, 0
	for i := range rounds {
		planned := fingerprint(t, ctx, s)
		fromPlan := api
		fromPlan.Name, fromPlan.UpdatedAt = fmt.Sprintf("plan %d", i), at(100+i)
		adminName := fmt.Sprintf("admin %d", i)
		errs := concurrently(2, func(g int) error {
			if g == 0 {
				return applier(t, s).ApplyPlan(ctx, planned, []mint.Change{{Op: mint.OpUpdate, API: &fromPlan, Audit: auditOf("admin.apis.update", api.ID)}})
			}
			_, err := s.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) {
				a.Name, a.UpdatedAt = adminName, at(100+i).Add(time.Second)
				return a, nil
			})
			return err
		})
		must(t, "UpdateAPI", errs[1])
		switch {
		case errs[0] == nil:
			applied++
		case errors.Is(errs[0], mint.ErrStateChanged):
			refused++
		default:
			t.Fatalf("round %d: ApplyPlan: %v, want success or ErrStateChanged", i, errs[0])
		}
		got, err := s.GetAPI(ctx, api.ID)
		must(t, "GetAPI", err)
		if got.Name != adminName {
			t.Fatalf("round %d: name = %q, want the admin's %q (plan applied: %v)", i, got.Name, adminName, errs[0] == nil)
		}
	}
	t.Logf("%d rounds: plan first %d, admin first %d", rounds, applied, refused)
}

func testApplyEmpty(t *testing.T, ctx context.Context, s mint.Store) {
	applyFixture(t, ctx, s)
	must(t, "ApplyPlan (nothing)", applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s), nil))
	err := applier(t, s).ApplyPlan(ctx, "not a fingerprint", nil)
	wantErr(t, "ApplyPlan (nothing, stale)", err, mint.ErrStateChanged)
}
