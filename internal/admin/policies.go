package admin

import (
	"maps"

	"github.com/mintauth/mint/internal/policy"
	"github.com/mintauth/mint/oauth"
)

// validPolicy compiles and type-checks an issuance policy when it is
// saved, so that a bad one is refused with CEL's error instead of refusing
// tokens later (docs/policies.md). "" (none) is always valid.
func validPolicy(src string) error {
	if src == "" {
		return nil
	}
	if _, err := policy.Compile(src); err != nil {
		return invalid("policy", "%s", err)
	}
	return nil
}

// errAdminPolicy refuses a policy on the built-in admin API: a policy that
// refuses, or fails to run, would refuse every admin token, and no admin
// API call could then remove it.
var errAdminPolicy = oauth.ErrConflict.Describe("the built-in admin API takes no issuance policy: one that refused would lock every admin out").
	WithField("policy")

// errAdminBinding refuses a token binding on the built-in admin API: the
// admin API takes bearer tokens only, so every admin would be locked out.
var errAdminBinding = oauth.ErrConflict.Describe("the built-in admin API takes bearer tokens only: binding its tokens would lock every admin out").
	WithField("token_binding")

// validMetadata checks a client's metadata against the bounds of package
// policy.
func validMetadata(m map[string]string) error {
	if err := policy.CheckMetadata(m); err != nil {
		return invalid("metadata", "%s", err)
	}
	return nil
}

// keepPolicy puts a policy just saved in the token path's cache, when this
// server has one, so that its first token does not compile it.
func (a *API) keepPolicy(src string) {
	if a.Policies != nil && src != "" {
		_, _ = a.Policies.Program(src)
	}
}

// metadataView shows metadata, absent when there is none.
func metadataView(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}
