package storetest

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// federated returns the store's mint.FederatedStore; every backend must
// implement it.
func federated(t *testing.T, s mint.Store) mint.FederatedStore {
	t.Helper()
	fs, ok := s.(mint.FederatedStore)
	if !ok {
		t.Fatalf("%T does not implement mint.FederatedStore", s)
	}
	return fs
}

func newFederated(n int, clientID string) mint.FederatedCredential {
	return mint.FederatedCredential{
		ID:        fmt.Sprintf("fed_%d", n),
		ClientID:  clientID,
		Issuer:    "https://token.actions.githubusercontent.com",
		Subject:   "repo:acme/deploy:ref:refs/heads/main",
		Audience:  "https://mint.example.com",
		Claims:    map[string]string{"repository": "acme/deploy", "job_workflow_ref": "acme/*/.github/workflows/deploy.yml@refs/heads/main"},
		MaxAge:    90 * time.Minute,
		JWKSURI:   "",
		CreatedAt: at(n),
	}
}

func checkFederated(t *testing.T, got, want mint.FederatedCredential) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("ClientID", got.ClientID, want.ClientID)
	d.str("Issuer", got.Issuer, want.Issuer)
	d.str("Subject", got.Subject, want.Subject)
	d.str("Audience", got.Audience, want.Audience)
	d.str("JWKSURI", got.JWKSURI, want.JWKSURI)
	d.str("Bundle", got.Bundle, want.Bundle)
	if !maps.Equal(got.Claims, want.Claims) {
		d = append(d, fmt.Sprintf("Claims = %q, want %q", got.Claims, want.Claims))
	}
	if got.MaxAge != want.MaxAge {
		d = append(d, fmt.Sprintf("MaxAge = %v, want %v", got.MaxAge, want.MaxAge))
	}
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.check(t, "federated credential "+want.ID)
}

func federatedID(fc mint.FederatedCredential) string { return fc.ID }

var federatedCases = []testCase{
	{"RoundTrip", testFederatedRoundTrip},
	{"UnknownClient", testFederatedUnknownClient},
	{"TakenID", testFederatedTakenID},
	{"Bound", testFederatedBound},
	{"FindByIssuerAndSubject", testFederatedFind},
	{"DeleteOnlyOfItsClient", testFederatedDelete},
	{"GoWithTheirClient", testFederatedCascade},
	{"Audited", testFederatedAudited},
	{"SPIFFEBundle", testFederatedSPIFFEBundle},
}

// testFederatedSPIFFEBundle: a SPIFFE rule keeps its static bundle, and
// a pattern rule is found under its stored subject "*".
func testFederatedSPIFFEBundle(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	c := newClient(1)
	createClients(t, ctx, s, c)
	r := newFederated(1, c.ID)
	r.Issuer, r.Subject, r.Claims = "spiffe://example.org", "*", map[string]string{"sub": "spiffe://example.org/ns/*"}
	r.Bundle = `{"keys":[{"kty":"EC","crv":"P-256","use":"jwt-svid","kid":"k1","x":"…","y":"…"}],"spiffe_sequence":7}`
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, r))
	got, err := fs.GetFederatedCredential(ctx, c.ID, r.ID)
	must(t, "GetFederatedCredential", err)
	checkFederated(t, got, r)
	found, err := fs.FindFederatedCredentials(ctx, r.Issuer, "*")
	must(t, "FindFederatedCredentials", err)
	wantIDs(t, "FindFederatedCredentials of the pattern rule", ids(found, federatedID), []string{r.ID})
	checkFederated(t, found[0], r)
}

func testFederatedRoundTrip(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	c := newClient(1)
	createClients(t, ctx, s, c)
	a, b := newFederated(2, c.ID), newFederated(1, c.ID)
	b.Claims, b.MaxAge, b.JWKSURI = nil, 0, "https://keys.example.com/jwks.json"
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, a))
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, b))
	got, err := fs.GetFederatedCredential(ctx, c.ID, a.ID)
	must(t, "GetFederatedCredential", err)
	checkFederated(t, got, a)
	list, err := fs.ListFederatedCredentials(ctx, c.ID)
	must(t, "ListFederatedCredentials", err)
	wantIDs(t, "ListFederatedCredentials", ids(list, federatedID), []string{b.ID, a.ID})
	checkFederated(t, list[0], b)
	other := newClient(3)
	createClients(t, ctx, s, other)
	list, err = fs.ListFederatedCredentials(ctx, other.ID)
	must(t, "ListFederatedCredentials of a client without any", err)
	wantIDs(t, "ListFederatedCredentials of a client without any", ids(list, federatedID), nil)
}

func testFederatedUnknownClient(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	err := fs.CreateFederatedCredential(ctx, newFederated(1, "client_missing"))
	wantErr(t, "CreateFederatedCredential for an unknown client", err, mint.ErrNotFound)
	_, err = fs.ListFederatedCredentials(ctx, "client_missing")
	wantErr(t, "ListFederatedCredentials of an unknown client", err, mint.ErrNotFound)
	_, err = fs.GetFederatedCredential(ctx, "client_missing", "fed_1")
	wantErr(t, "GetFederatedCredential of an unknown client", err, mint.ErrNotFound)
}

func testFederatedTakenID(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	c1, c2 := newClient(1), newClient(2)
	createClients(t, ctx, s, c1, c2)
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, newFederated(1, c1.ID)))
	err := fs.CreateFederatedCredential(ctx, newFederated(1, c2.ID))
	wantErr(t, "CreateFederatedCredential with a taken ID", err, mint.ErrConflict)
}

// testFederatedBound: racing creations cannot pass the bound together.
func testFederatedBound(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	c := newClient(1)
	createClients(t, ctx, s, c)
	n := mint.MaxFederatedCredentials + 5
	errs := concurrently(n, func(i int) error {
		return fs.CreateFederatedCredential(ctx, newFederated(i, c.ID))
	})
	stored := 0
	for i, err := range errs {
		switch {
		case err == nil:
			stored++
		default:
			wantErr(t, fmt.Sprintf("creation %d past the bound", i), err, mint.ErrConflict)
		}
	}
	list, err := fs.ListFederatedCredentials(ctx, c.ID)
	must(t, "ListFederatedCredentials", err)
	if stored != mint.MaxFederatedCredentials || len(list) != stored {
		t.Fatalf("%d racing creations stored %d and list %d, want %d", n, stored, len(list), mint.MaxFederatedCredentials)
	}
}

func testFederatedFind(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	c1, c2 := newClient(1), newClient(2)
	createClients(t, ctx, s, c1, c2)
	a, b, other := newFederated(1, c1.ID), newFederated(2, c2.ID), newFederated(3, c1.ID)
	other.Subject = "repo:acme/deploy:ref:refs/heads/dev"
	for _, fc := range []mint.FederatedCredential{b, a, other} {
		must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, fc))
	}
	got, err := fs.FindFederatedCredentials(ctx, a.Issuer, a.Subject)
	must(t, "FindFederatedCredentials", err)
	wantIDs(t, "FindFederatedCredentials", ids(got, federatedID), []string{a.ID, b.ID})
	checkFederated(t, got[0], a)
	for _, q := range [][2]string{
		{a.Issuer + "/", a.Subject},
		{a.Issuer, a.Subject + " "},
		{"HTTPS://TOKEN.ACTIONS.GITHUBUSERCONTENT.COM", a.Subject},
		{a.Issuer, ""},
	} {
		got, err := fs.FindFederatedCredentials(ctx, q[0], q[1])
		must(t, "FindFederatedCredentials", err)
		wantIDs(t, fmt.Sprintf("FindFederatedCredentials(%q, %q): only exact matches", q[0], q[1]), ids(got, federatedID), nil)
	}
}

func testFederatedDelete(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	c1, c2 := newClient(1), newClient(2)
	createClients(t, ctx, s, c1, c2)
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, newFederated(1, c1.ID)))
	err := fs.DeleteFederatedCredential(ctx, c2.ID, "fed_1")
	wantErr(t, "DeleteFederatedCredential through another client", err, mint.ErrNotFound)
	_, err = fs.GetFederatedCredential(ctx, c2.ID, "fed_1")
	wantErr(t, "GetFederatedCredential through another client", err, mint.ErrNotFound)
	must(t, "DeleteFederatedCredential", fs.DeleteFederatedCredential(ctx, c1.ID, "fed_1"))
	err = fs.DeleteFederatedCredential(ctx, c1.ID, "fed_1")
	wantErr(t, "DeleteFederatedCredential twice", err, mint.ErrNotFound)
	got, err := fs.FindFederatedCredentials(ctx, newFederated(1, "").Issuer, newFederated(1, "").Subject)
	must(t, "FindFederatedCredentials", err)
	wantIDs(t, "FindFederatedCredentials after the delete", ids(got, federatedID), nil)
}

func testFederatedCascade(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	c := newClient(1)
	createClients(t, ctx, s, c)
	fc := newFederated(1, c.ID)
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(ctx, fc))
	must(t, "DeleteClient", s.DeleteClient(ctx, c.ID))
	got, err := fs.FindFederatedCredentials(ctx, fc.Issuer, fc.Subject)
	must(t, "FindFederatedCredentials", err)
	wantIDs(t, "FindFederatedCredentials after the client's deletion", ids(got, federatedID), nil)
	createClients(t, ctx, s, c)
	list, err := fs.ListFederatedCredentials(ctx, c.ID)
	must(t, "ListFederatedCredentials", err)
	wantIDs(t, "rules of a client created again with a deleted one's ID", ids(list, federatedID), nil)
}

func testFederatedAudited(t *testing.T, ctx context.Context, s mint.Store) {
	fs := federated(t, s)
	as, ok := s.(mint.AuditStore)
	if !ok {
		t.Skipf("%T does not implement mint.AuditStore", s)
	}
	c := newClient(1)
	createClients(t, ctx, s, c)
	audited := func(kind string) context.Context {
		return mint.WithAudit(ctx, func() mint.AuditRecord { return rec(1, kind, c.ID) })
	}
	must(t, "CreateFederatedCredential", fs.CreateFederatedCredential(audited("admin.federated.create"), newFederated(1, c.ID)))
	err := fs.CreateFederatedCredential(audited("admin.federated.refused"), newFederated(1, c.ID))
	wantErr(t, "CreateFederatedCredential with a taken ID", err, mint.ErrConflict)
	err = fs.DeleteFederatedCredential(audited("admin.federated.refused"), c.ID, "fed_9")
	wantErr(t, "DeleteFederatedCredential of an unknown rule", err, mint.ErrNotFound)
	must(t, "DeleteFederatedCredential", fs.DeleteFederatedCredential(audited("admin.federated.delete"), c.ID, "fed_1"))
	got, err := as.ListAudit(ctx, mint.AuditFilter{})
	must(t, "ListAudit", err)
	var kinds []string
	for _, r := range got {
		kinds = append(kinds, r.Kind)
	}
	wantIDs(t, "audit kinds", kinds, []string{"admin.federated.create", "admin.federated.delete"})
}
