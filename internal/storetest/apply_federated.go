package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// The conformance cases of ApplyPlan's trust rules and token bindings:
// `mint apply` creates and deletes rules in the plan's transaction, under
// the fingerprint and the per-client bound, as the admin API does.

func testApplyRules(t *testing.T, ctx context.Context, s mint.Store) {
	_, c1, _ := applyFixture(t, ctx, s)
	fs := federated(t, s)
	old := newFederated(1, c1.ID)
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, old))
	c2 := newClient(2)
	sec := firstSecret(c2)
	r2, r3 := newFederated(2, c2.ID), newFederated(3, c1.ID)
	r3.Subject, r3.Claims = "repo:acme/other:ref:refs/heads/main", nil
	changes := []mint.Change{
		{Op: mint.OpDelete, Federated: &old, Audit: auditOf("admin.clients.federated-credentials.delete", old.ID)},
		{Op: mint.OpCreate, Client: &c2, Secret: &sec, Audit: auditOf("admin.clients.create", c2.ID)},
		{Op: mint.OpCreate, Federated: &r2, Audit: auditOf("admin.clients.federated-credentials.create", r2.ID)},
		{Op: mint.OpCreate, Federated: &r3, Audit: auditOf("admin.clients.federated-credentials.create", r3.ID)},
	}
	before := auditKinds(t, ctx, s)
	must(t, "ApplyPlan", applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s), changes))
	got, err := fs.ListFederatedCredentials(ctx, c1.ID)
	must(t, "ListFederatedCredentials", err)
	wantIDs(t, "rules of client 1", ids(got, federatedID), []string{r3.ID})
	checkFederated(t, got[0], r3)
	got, err = fs.ListFederatedCredentials(ctx, c2.ID)
	must(t, "ListFederatedCredentials", err)
	wantIDs(t, "rules of client 2", ids(got, federatedID), []string{r2.ID})
	checkFederated(t, got[0], r2)
	// The token path finds what the plan created.
	found, err := fs.FindFederatedCredentials(ctx, r2.Issuer, r2.Subject)
	must(t, "FindFederatedCredentials", err)
	wantIDs(t, "rules found", ids(found, federatedID), []string{r2.ID})
	want := before
	for _, ch := range changes {
		want = append(want, ch.Audit.Kind+" "+ch.Audit.Subject)
	}
	wantIDs(t, "audit records", auditKinds(t, ctx, s), want)
	if rr, ok := s.(mint.RuleReader); ok {
		every, err := rr.EveryFederatedCredential(ctx)
		must(t, "EveryFederatedCredential", err)
		wantIDs(t, "every rule", ids(every, federatedID), []string{r3.ID, r2.ID})
		for _, fc := range every {
			if fc.ID == r2.ID {
				checkFederated(t, fc, r2)
			}
		}
	}

	// A missing rule to delete, a rule of a missing client: nothing is
	// applied.
	api2 := newAPI(2)
	missing := newFederated(9, c1.ID)
	orphan := newFederated(10, "client_404")
	for _, last := range []mint.Change{{Op: mint.OpDelete, Federated: &missing}, {Op: mint.OpCreate, Federated: &orphan}} {
		err := applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s), []mint.Change{
			{Op: mint.OpCreate, API: &api2, Audit: auditOf("admin.apis.create", api2.ID)}, last})
		wantErr(t, "ApplyPlan ending in "+string(last.Op)+" of "+last.Federated.ID, err, mint.ErrNotFound)
		_, err = s.GetAPI(ctx, api2.ID)
		wantErr(t, "GetAPI of the API created before the failure", err, mint.ErrNotFound)
	}
}

// testApplyRulesBound: a plan cannot give a client more rules than
// mint.MaxFederatedCredentials, and fails whole.
func testApplyRulesBound(t *testing.T, ctx context.Context, s mint.Store) {
	_, c1, _ := applyFixture(t, ctx, s)
	var changes []mint.Change
	for i := range mint.MaxFederatedCredentials + 1 {
		fc := newFederated(i+1, c1.ID)
		fc.Subject = fmt.Sprintf("repo:acme/r%d", i)
		changes = append(changes, mint.Change{Op: mint.OpCreate, Federated: &fc, Audit: auditOf("admin.clients.federated-credentials.create", fc.ID)})
	}
	err := applier(t, s).ApplyPlan(ctx, fingerprint(t, ctx, s), changes)
	wantErr(t, "ApplyPlan of one rule too many", err, mint.ErrConflict)
	got, err := federated(t, s).ListFederatedCredentials(ctx, c1.ID)
	must(t, "ListFederatedCredentials", err)
	if len(got) != 0 {
		t.Fatalf("rules after a failed plan = %d, want 0", len(got))
	}
}

// testApplyStaleRule: a rule another admin created or deleted since the
// plan moves the fingerprint; the plan is refused.
func testApplyStaleRule(t *testing.T, ctx context.Context, s mint.Store) {
	_, c1, _ := applyFixture(t, ctx, s)
	fs := federated(t, s)
	planned := fingerprint(t, ctx, s)
	fc := newFederated(1, c1.ID)
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, fc))
	api2 := newAPI(2)
	plan := []mint.Change{{Op: mint.OpCreate, API: &api2, Audit: auditOf("admin.apis.create", api2.ID)}}
	wantErr(t, "ApplyPlan after a rule was created", applier(t, s).ApplyPlan(ctx, planned, plan), mint.ErrStateChanged)
	planned = fingerprint(t, ctx, s)
	must(t, "DeleteFederatedCredential", fs.DeleteFederatedCredential(ctx, c1.ID, fc.ID))
	wantErr(t, "ApplyPlan after a rule was deleted", applier(t, s).ApplyPlan(ctx, planned, plan), mint.ErrStateChanged)
	_, err := s.GetAPI(ctx, api2.ID)
	wantErr(t, "GetAPI of the API a refused plan creates", err, mint.ErrNotFound)
}

// testApplyTokenBinding: a plan writes token_binding and a client's RFC
// 8705 registration (TLSAuth) on create and update, and the fingerprint
// covers them.
func testApplyTokenBinding(t *testing.T, ctx context.Context, s mint.Store) {
	api1, c1, _ := applyFixture(t, ctx, s)
	api2, c2 := newAPI(2), newClient(2)
	api2.TokenBinding, c2.TokenBinding = mint.BindingDPoP, mint.BindingMTLS
	sec := firstSecret(c2)
	api1.TokenBinding, api1.UpdatedAt = mint.BindingMTLS, at(9)
	c1.TokenBinding, c1.UpdatedAt = mint.BindingDPoP, at(9)
	c1.TLSAuth = mint.TLSAuth{Kind: mint.TLSAuthSANDNS, Value: "cargo.example"}
	c2.TLSAuth = mint.TLSAuth{Kind: mint.TLSAuthSubjectDN, Value: "CN=cargo,O=Example"}
	planned := fingerprint(t, ctx, s)
	must(t, "ApplyPlan", applier(t, s).ApplyPlan(ctx, planned, []mint.Change{
		{Op: mint.OpCreate, API: &api2, Audit: auditOf("admin.apis.create", api2.ID)},
		{Op: mint.OpUpdate, API: &api1, Audit: auditOf("admin.apis.update", api1.ID)},
		{Op: mint.OpCreate, Client: &c2, Secret: &sec, Audit: auditOf("admin.clients.create", c2.ID)},
		{Op: mint.OpUpdate, Client: &c1, Audit: auditOf("admin.clients.update", c1.ID)},
	}))
	for _, want := range []mint.API{api1, api2} {
		got, err := s.GetAPI(ctx, want.ID)
		must(t, "GetAPI", err)
		if got.TokenBinding != want.TokenBinding {
			t.Fatalf("API %s token binding = %q, want %q", want.ID, got.TokenBinding, want.TokenBinding)
		}
	}
	for _, want := range []mint.Client{c1, c2} {
		got, err := s.GetClient(ctx, want.ID)
		must(t, "GetClient", err)
		if got.TokenBinding != want.TokenBinding || got.TLSAuth != want.TLSAuth {
			t.Fatalf("client %s token binding, TLS auth = %q, %+v; want %q, %+v", want.ID, got.TokenBinding, got.TLSAuth, want.TokenBinding, want.TLSAuth)
		}
	}
	if fingerprint(t, ctx, s) == planned {
		t.Fatal("the fingerprint did not move when token bindings changed")
	}
}
