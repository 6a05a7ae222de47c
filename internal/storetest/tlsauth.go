package storetest

import (
	"context"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// tlsAuthCases pin down a client's RFC 8705 §2 registration (issue 19):
// stored on create, changed and cleared by update, none by default.
var tlsAuthCases = []testCase{
	{"ClientTLSAuth", func(t *testing.T, ctx context.Context, s mint.Store) {
		plain, c := newClient(1), newClient(2)
		want := mint.TLSAuth{Kind: mint.TLSAuthSubjectDN, Value: "CN=cargo,O=Example\\, Inc.,C=DE"}
		c.TLSAuth = want
		must(t, "CreateClient", s.CreateClient(ctx, plain, newSecret(1, plain.ID)))
		must(t, "CreateClient", s.CreateClient(ctx, c, newSecret(2, c.ID)))
		got, err := s.GetClient(ctx, c.ID)
		must(t, "GetClient", err)
		if got.TLSAuth != want {
			t.Fatalf("TLSAuth = %+v, want %+v", got.TLSAuth, want)
		}
		if got, err := s.GetClient(ctx, plain.ID); err != nil || got.TLSAuth != (mint.TLSAuth{}) {
			t.Fatalf("plain client: TLSAuth = %+v, %v; want none", got.TLSAuth, err)
		}
		self := mint.TLSAuth{Kind: mint.TLSAuthSelfSigned}
		updated, err := s.UpdateClient(ctx, c.ID, func(c mint.Client) (mint.Client, error) {
			c.TLSAuth = self
			return c, nil
		})
		must(t, "UpdateClient", err)
		got, err = s.GetClient(ctx, c.ID)
		must(t, "GetClient", err)
		if updated.TLSAuth != self || got.TLSAuth != self {
			t.Fatalf("after update: returned %+v, read %+v; want %+v", updated.TLSAuth, got.TLSAuth, self)
		}
		if _, err := s.UpdateClient(ctx, c.ID, func(c mint.Client) (mint.Client, error) {
			c.TLSAuth = mint.TLSAuth{}
			return c, nil
		}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetClient(ctx, c.ID); got.TLSAuth != (mint.TLSAuth{}) {
			t.Fatalf("after clearing: TLSAuth = %+v", got.TLSAuth)
		}
	}},
}
