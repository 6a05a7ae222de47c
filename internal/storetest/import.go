package storetest

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// importCases pin down mint.Importer: a batch is stored whole or not at
// all, IDs are kept as given, a taken ID is a conflict naming it.
var importCases = []testCase{
	{"RoundTrip", testImportRoundTrip},
	{"TakenIDConflictsAndStoresNothing", testImportTakenID},
	{"IDTwiceInBatchConflicts", testImportTwice},
	{"UnknownAudienceStoresNothing", testImportUnknownAudience},
	{"DeletedIDKeepsOldTokensRevoked", testImportDeletedID},
	{"AuditedOncePerBatch", testImportAudited},
	{"LargeBatch", testImportLarge},
}

func runImportCases(t *testing.T, open func(t *testing.T) mint.Store) {
	for _, tc := range importCases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if _, ok := s.(mint.Importer); !ok {
				t.Skipf("%T does not implement mint.Importer", s)
			}
			tc.run(t, testContext(t), s)
		})
	}
}

// imported returns client_N with secret_N_first and a grant per API given.
func imported(n int, apis ...mint.API) mint.ImportedClient {
	c := newClient(n)
	ic := mint.ImportedClient{Client: c, Secret: firstSecret(c)}
	for i, api := range apis {
		g := newGrant(n*10+i, n, api)
		g.ID = fmt.Sprintf("grant_%d_%d", n, i)
		ic.Grants = append(ic.Grants, g)
	}
	return ic
}

func importBatch(ctx context.Context, s mint.Store, batch ...mint.ImportedClient) error {
	return s.(mint.Importer).ImportClients(ctx, batch)
}

// wantNoClients fails unless none of the clients named exists.
func wantNoClients(t *testing.T, ctx context.Context, s mint.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := s.GetClient(ctx, id); err == nil {
			t.Errorf("client %s was stored by a batch that failed", id)
		}
	}
	if grants, err := mint.EveryGrant(ctx, s); err != nil || len(grants) != 0 {
		t.Errorf("ListGrants after a failed batch = %d grants, %v; want none", len(grants), err)
	}
}

func testImportRoundTrip(t *testing.T, ctx context.Context, s mint.Store) {
	api1, api2 := newAPI(1), newAPI(2)
	createAPIs(t, ctx, s, api1, api2)
	batch := []mint.ImportedClient{imported(1, api1, api2), imported(2), imported(3, api2)}
	batch[1].Client.ID = "Auth0-Like_id.~9" // kept as given
	batch[1].Secret.ID = "secret_auth0"
	batch[2].Client.Metadata = map[string]string{"tier": "gold", "team": "billing"} // as Auth0's client_metadata
	must(t, "ImportClients", importBatch(ctx, s, batch...))
	if got, err := s.GetClient(ctx, batch[2].Client.ID); err != nil || !maps.Equal(got.Metadata, batch[2].Client.Metadata) {
		t.Errorf("imported metadata = %v (%v), want %v", got.Metadata, err, batch[2].Client.Metadata)
	}
	for _, ic := range batch {
		checkStoredClient(t, ctx, s, ic.Client)
		sec := ic.Secret
		sec.ClientID = ic.Client.ID
		checkSecrets(t, ctx, s, ic.Client.ID, sec)
		for _, g := range ic.Grants {
			got, err := s.FindGrant(ctx, ic.Client.ID, g.Audience)
			must(t, "FindGrant", err)
			checkGrant(t, got, g)
		}
		if grants, _ := s.ListGrants(ctx, ic.Client.ID); len(grants) != len(ic.Grants) {
			t.Errorf("client %s has %d grants, want %d", ic.Client.ID, len(grants), len(ic.Grants))
		}
	}
}

func testImportTakenID(t *testing.T, ctx context.Context, s mint.Store) {
	api := newAPI(1)
	createAPIs(t, ctx, s, api)
	createClients(t, ctx, s, newClient(1))
	err := importBatch(ctx, s, imported(2, api), imported(1, api), imported(3, api))
	wantErr(t, "ImportClients with a taken ID", err, mint.ErrConflict)
	if !strings.Contains(err.Error(), "client_1") {
		t.Errorf("error %q does not name the taken client_1", err)
	}
	for _, id := range []string{"client_2", "client_3"} {
		if _, err := s.GetClient(ctx, id); err == nil {
			t.Errorf("client %s was stored by a batch that failed", id)
		}
	}
	if grants, _ := mint.EveryGrant(ctx, s); len(grants) != 0 {
		t.Errorf("%d grants stored by a batch that failed", len(grants))
	}
}

func testImportTwice(t *testing.T, ctx context.Context, s mint.Store) {
	a, b := imported(1), imported(1)
	b.Secret.ID = "secret_other"
	wantErr(t, "ImportClients with an ID twice", importBatch(ctx, s, a, b), mint.ErrConflict)
	wantNoClients(t, ctx, s, "client_1")
}

func testImportUnknownAudience(t *testing.T, ctx context.Context, s mint.Store) {
	api := newAPI(1)
	createAPIs(t, ctx, s, api)
	err := importBatch(ctx, s, imported(1, api), imported(2, newAPI(9)))
	wantErr(t, "ImportClients with an unknown audience", err, mint.ErrNotFound)
	if !strings.Contains(err.Error(), newAPI(9).Audience) {
		t.Errorf("error %q does not name the unknown audience", err)
	}
	wantNoClients(t, ctx, s, "client_1", "client_2")
}

func testImportDeletedID(t *testing.T, ctx context.Context, s mint.Store) {
	createClients(t, ctx, s, newClient(1))
	must(t, "DeleteClient", s.DeleteClient(ctx, "client_1"))
	ic := imported(1)
	ic.Client.CreatedAt, ic.Client.UpdatedAt = at(5), at(5)
	ic.Secret.ID = "secret_again"
	must(t, "ImportClients", importBatch(ctx, s, ic))
	want := ic.Client
	want.TokensRevokedBefore = at(5)
	checkStoredClient(t, ctx, s, want)
}

func testImportAudited(t *testing.T, ctx context.Context, s mint.Store) {
	as, ok := s.(mint.AuditStore)
	if !ok {
		t.Skipf("%T does not implement mint.AuditStore", s)
	}
	record := func() mint.AuditRecord { return rec(1, "admin.clients.import", "") }
	must(t, "ImportClients", importBatch(mint.WithAudit(ctx, record), s, imported(1), imported(2)))
	err := importBatch(mint.WithAudit(ctx, record), s, imported(3), imported(1))
	wantErr(t, "ImportClients with a taken ID", err, mint.ErrConflict)
	got, err := as.ListAudit(ctx, mint.AuditFilter{})
	must(t, "ListAudit", err)
	if len(got) != 1 || got[0].Kind != "admin.clients.import" {
		t.Fatalf("audit log after one batch stored and one refused = %d records, want 1 admin.clients.import", len(got))
	}
}

func testImportLarge(t *testing.T, ctx context.Context, s mint.Store) {
	api := newAPI(1)
	createAPIs(t, ctx, s, api)
	const n = 2000
	batch := make([]mint.ImportedClient, n)
	for i := range batch {
		batch[i] = imported(i+1, api)
	}
	must(t, "ImportClients", importBatch(ctx, s, batch...))
	clients, err := mint.EveryClient(ctx, s)
	must(t, "ListClients", err)
	grants, err := mint.EveryGrant(ctx, s)
	must(t, "ListGrants", err)
	if len(clients) != n || len(grants) != n {
		t.Fatalf("after importing %d clients: %d clients, %d grants stored", n, len(clients), len(grants))
	}
	checkSecrets(t, ctx, s, "client_1234", batch[1233].Secret)
}
