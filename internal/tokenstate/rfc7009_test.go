package tokenstate_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/tokenstate"
)

// TestRevocation: RFC 7009 §2.1 and §2.2.
func TestRevocation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		owner := h.newClient(ecKey(t), jose.ES256, false)
		stranger := h.newClient(nil, "", true)
		revoke := func(caller client, tok string) answer {
			return h.post(tokenstate.RevocationPath, secretForm(caller, "token", tok, "token_type_hint", "access_token"), "")
		}
		t.Run("own token, then introspect", func(t *testing.T) {
			tok := h.issue(owner)
			if a := revoke(owner, tok); a.status != http.StatusOK || len(a.body) != 0 || a.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("revoke: %d %v %q", a.status, a.header, a.body)
			}
			wantInactive(t, h, owner, tok)
			wantInactive(t, h, stranger, tok)
			if a := revoke(owner, tok); a.status != http.StatusOK {
				t.Errorf("revoking twice: %d %s", a.status, a.body)
			}
		})
		t.Run("own token with an assertion and a refresh_token hint", func(t *testing.T) {
			tok := h.issue(owner)
			a := h.post(tokenstate.RevocationPath, assertionForm(h.assertion(owner, nil), "token", tok, "token_type_hint", "refresh_token"), "")
			if a.status != http.StatusOK {
				t.Fatalf("revoke: %d %s", a.status, a.body)
			}
			wantInactive(t, h, owner, tok)
		})
		t.Run("another client's token", func(t *testing.T) {
			tok := h.issue(owner)
			a := revoke(stranger, tok)
			if a.status != http.StatusBadRequest {
				t.Fatalf("revoke another's token: %d %s", a.status, a.body)
			}
			golden(t, "errors/revoke/not_yours", a.body)
			if m := h.introspect(owner, tok); m["active"] != true {
				t.Errorf("another client revoked the token: %v", m)
			}
		})
		t.Run("garbage", func(t *testing.T) {
			if a := revoke(owner, "garbage"); a.status != http.StatusOK || len(a.body) != 0 {
				t.Errorf("%d %s", a.status, a.body)
			}
		})
		t.Run("expired", func(t *testing.T) {
			tok := h.issue(stranger)
			h.now = h.now.Add(2 * time.Hour)
			defer func() { h.now = h.now.Add(-2 * time.Hour) }()
			if a := revoke(owner, tok); a.status != http.StatusOK {
				t.Errorf("%d %s", a.status, a.body)
			}
		})
		t.Run("forgotten once expired", func(t *testing.T) {
			tok := h.issue(owner)
			if a := revoke(owner, tok); a.status != http.StatusOK {
				t.Fatal(a.status)
			}
			jti := jtiOf(t, tok)
			h.must(h.store.PruneExpired(context.Background(), h.now.Add(2*time.Hour)))
			if revoked, err := h.store.TokenRevoked(context.Background(), jti); err != nil || revoked {
				t.Errorf("after expiry: revoked %v, %v", revoked, err)
			}
		})
	})
}

// jtiOf reads a token's jti without verifying it.
func jtiOf(t *testing.T, tok string) string {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := parsed.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c.ID
}
