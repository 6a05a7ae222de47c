package storetest

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// policyCases: the issuance-policy fields (API.Policy, Client.Policy,
// Client.Metadata) are kept by every write path and returned by every read.
var policyCases = []testCase{
	{"APIPolicyRoundTrip", testAPIPolicyRoundTrip},
	{"ClientPolicyAndMetadataRoundTrip", testClientPolicyRoundTrip},
	{"UpdateKeepsWhatItDoesNotTouch", testPolicyKeptByOtherUpdates},
	{"ApplyWritesPolicies", testApplyPolicies},
}

const testPolicy = `client.metadata.?tier.orValue("") == "gold" ? {"claims": {"tier": "gold"}} : {}`

func checkPolicyFields(t *testing.T, what string, gotPolicy, wantPolicy string, gotMD, wantMD map[string]string) {
	t.Helper()
	if gotPolicy != wantPolicy {
		t.Errorf("%s: Policy = %q, want %q", what, gotPolicy, wantPolicy)
	}
	if len(gotMD) != len(wantMD) || !maps.Equal(gotMD, wantMD) {
		t.Errorf("%s: Metadata = %v, want %v", what, gotMD, wantMD)
	}
}

func testAPIPolicyRoundTrip(t *testing.T, ctx context.Context, s mint.Store) {
	api := newAPI(1)
	api.Policy = testPolicy
	must(t, "CreateAPI", s.CreateAPI(ctx, api))
	plain := newAPI(2)
	must(t, "CreateAPI", s.CreateAPI(ctx, plain))
	reads := map[string]func() (mint.API, error){
		"GetAPI":           func() (mint.API, error) { return s.GetAPI(ctx, api.ID) },
		"GetAPIByAudience": func() (mint.API, error) { return s.GetAPIByAudience(ctx, api.Audience) },
		"ListAPIs": func() (mint.API, error) {
			all, err := s.ListAPIs(ctx)
			return findAPI(all, api.ID), err
		},
		"ListAPIsPage": func() (mint.API, error) {
			page, _, err := s.ListAPIsPage(ctx, mint.Page{})
			return findAPI(page, api.ID), err
		},
	}
	for name, read := range reads {
		got, err := read()
		must(t, name, err)
		checkPolicyFields(t, name, got.Policy, testPolicy, nil, nil)
	}
	got, err := s.GetAPI(ctx, plain.ID)
	must(t, "GetAPI", err)
	checkPolicyFields(t, "API without policy", got.Policy, "", nil, nil)
	for _, want := range []string{"false", ""} {
		updated, err := s.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) { a.Policy = want; return a, nil })
		must(t, "UpdateAPI", err)
		checkPolicyFields(t, "UpdateAPI result", updated.Policy, want, nil, nil)
		got, err := s.GetAPI(ctx, api.ID)
		must(t, "GetAPI", err)
		checkPolicyFields(t, "GetAPI after update", got.Policy, want, nil, nil)
	}
}

func findAPI(apis []mint.API, id string) mint.API {
	for _, a := range apis {
		if a.ID == id {
			return a
		}
	}
	return mint.API{}
}

func testClientPolicyRoundTrip(t *testing.T, ctx context.Context, s mint.Store) {
	c := newClient(1)
	c.Policy = `client.metadata.?region.orValue("") != "eu" ? {"deny": "EU only"} : true`
	c.Metadata = map[string]string{"tier": "gold", "region": "eu", "note": "Zürich – “quoted” \\ ✓", "empty": ""}
	createClients(t, ctx, s, c, newClient(2))
	got, err := s.GetClient(ctx, c.ID)
	must(t, "GetClient", err)
	checkPolicyFields(t, "GetClient", got.Policy, c.Policy, got.Metadata, c.Metadata)
	page, _, err := s.ListClientsPage(ctx, mint.ClientQuery{})
	must(t, "ListClientsPage", err)
	if len(page) != 2 {
		t.Fatalf("ListClientsPage: %d clients, want 2", len(page))
	}
	checkPolicyFields(t, "ListClientsPage", page[0].Policy, c.Policy, page[0].Metadata, c.Metadata)
	checkPolicyFields(t, "client without policy", page[1].Policy, "", page[1].Metadata, nil)

	want := map[string]string{"tier": "silver"}
	updated, err := s.UpdateClient(ctx, c.ID, func(c mint.Client) (mint.Client, error) {
		c.Metadata, c.Policy = want, ""
		return c, nil
	})
	must(t, "UpdateClient", err)
	checkPolicyFields(t, "UpdateClient result", updated.Policy, "", updated.Metadata, want)
	updated, err = s.UpdateClient(ctx, c.ID, func(c mint.Client) (mint.Client, error) { c.Metadata = nil; return c, nil })
	must(t, "UpdateClient", err)
	got, err = s.GetClient(ctx, c.ID)
	must(t, "GetClient", err)
	checkPolicyFields(t, "metadata cleared", got.Policy, "", got.Metadata, nil)
	checkPolicyFields(t, "metadata cleared (result)", updated.Policy, "", updated.Metadata, nil)
}

func testPolicyKeptByOtherUpdates(t *testing.T, ctx context.Context, s mint.Store) {
	api := newAPI(1)
	api.Policy = testPolicy
	must(t, "CreateAPI", s.CreateAPI(ctx, api))
	c := newClient(1)
	c.Policy, c.Metadata = "true", map[string]string{"tier": "gold"}
	createClients(t, ctx, s, c)
	_, err := s.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) { a.Name = "renamed"; return a, nil })
	must(t, "UpdateAPI", err)
	_, err = s.UpdateClient(ctx, c.ID, func(c mint.Client) (mint.Client, error) { c.Name = "renamed"; return c, nil })
	must(t, "UpdateClient", err)
	gotAPI, err := s.GetAPI(ctx, api.ID)
	must(t, "GetAPI", err)
	checkPolicyFields(t, "API renamed", gotAPI.Policy, api.Policy, nil, nil)
	gotClient, err := s.GetClient(ctx, c.ID)
	must(t, "GetClient", err)
	checkPolicyFields(t, "client renamed", gotClient.Policy, c.Policy, gotClient.Metadata, c.Metadata)
}

func testApplyPolicies(t *testing.T, ctx context.Context, s mint.Store) {
	a := applier(t, s)
	api := newAPI(1)
	api.Policy = testPolicy
	c := newClient(1)
	c.Policy, c.Metadata = "true", map[string]string{"tier": "gold"}
	sec := firstSecret(c)
	must(t, "ApplyPlan create", a.ApplyPlan(ctx, fingerprint(t, ctx, s), []mint.Change{
		{Op: mint.OpCreate, API: &api, Audit: applyAudit("api")},
		{Op: mint.OpCreate, Client: &c, Secret: &sec, Audit: applyAudit("client")},
	}))
	gotAPI, err := s.GetAPI(ctx, api.ID)
	must(t, "GetAPI", err)
	checkPolicyFields(t, "applied API", gotAPI.Policy, api.Policy, nil, nil)
	gotClient, err := s.GetClient(ctx, c.ID)
	must(t, "GetClient", err)
	checkPolicyFields(t, "applied client", gotClient.Policy, c.Policy, gotClient.Metadata, c.Metadata)

	api.Policy, c.Policy, c.Metadata = "", "false", map[string]string{"tier": "silver", "org": "acme"}
	api.UpdatedAt, c.UpdatedAt = at(5), at(5)
	must(t, "ApplyPlan update", a.ApplyPlan(ctx, fingerprint(t, ctx, s), []mint.Change{
		{Op: mint.OpUpdate, API: &api, Audit: applyAudit("api")},
		{Op: mint.OpUpdate, Client: &c, Audit: applyAudit("client")},
	}))
	gotAPI, err = s.GetAPI(ctx, api.ID)
	must(t, "GetAPI", err)
	checkPolicyFields(t, "updated API", gotAPI.Policy, "", nil, nil)
	gotClient, err = s.GetClient(ctx, c.ID)
	must(t, "GetClient", err)
	checkPolicyFields(t, "updated client", gotClient.Policy, c.Policy, gotClient.Metadata, c.Metadata)
}

func applyAudit(what string) mint.AuditRecord {
	return mint.AuditRecord{Time: at(5), Kind: fmt.Sprintf("admin.%s.apply", what), Actor: "storetest"}
}
