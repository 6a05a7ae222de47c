package storetest

import (
	"context"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// bindingCases pin down the token binding policy (issue 19): stored on
// create, changed by update, read back by every getter, empty by default.
var bindingCases = []testCase{
	{"APIBinding", func(t *testing.T, ctx context.Context, s mint.Store) {
		plain, strict := newAPI(1), newAPI(2)
		strict.TokenBinding = mint.BindingDPoP
		createAPIs(t, ctx, s, plain, strict)
		for _, want := range []mint.API{plain, strict} {
			got, err := s.GetAPIByAudience(ctx, want.Audience)
			must(t, "GetAPIByAudience", err)
			if got.TokenBinding != want.TokenBinding {
				t.Fatalf("API %s: TokenBinding = %q, want %q", want.ID, got.TokenBinding, want.TokenBinding)
			}
		}
		updated, err := s.UpdateAPI(ctx, plain.ID, func(a mint.API) (mint.API, error) {
			a.TokenBinding = mint.BindingDPoP
			return a, nil
		})
		must(t, "UpdateAPI", err)
		apis, err := s.ListAPIs(ctx)
		must(t, "ListAPIs", err)
		if updated.TokenBinding != mint.BindingDPoP || len(apis) != 2 || apis[0].TokenBinding != mint.BindingDPoP {
			t.Fatalf("after update: returned %q, listed %+v", updated.TokenBinding, apis)
		}
	}},
	{"ClientBinding", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		c.TokenBinding = mint.BindingDPoP
		must(t, "CreateClient", s.CreateClient(ctx, c, newSecret(1, c.ID)))
		got, err := s.GetClient(ctx, c.ID)
		must(t, "GetClient", err)
		if got.TokenBinding != mint.BindingDPoP {
			t.Fatalf("TokenBinding = %q, want dpop", got.TokenBinding)
		}
		updated, err := s.UpdateClient(ctx, c.ID, func(c mint.Client) (mint.Client, error) {
			c.TokenBinding = mint.BindingAny
			return c, nil
		})
		must(t, "UpdateClient", err)
		got, err = s.GetClient(ctx, c.ID)
		must(t, "GetClient", err)
		if updated.TokenBinding != "" || got.TokenBinding != "" {
			t.Fatalf("after update: returned %q, read %q", updated.TokenBinding, got.TokenBinding)
		}
	}},
}
