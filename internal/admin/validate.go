package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/oauth"
)

// Limits of the admin API's fields.
const (
	maxName          = 200
	maxAudience      = 500
	maxScope         = 100
	minTokenLifetime = 60
	maxTokenLifetime = 365 * 24 * 3600
	maxOldSecretTTL  = 30 * 24 * 3600
)

func invalid(field, format string, args ...any) error {
	return oauth.ErrInvalidRequest.Describe(format, args...).WithField(field)
}

func validName(name string) error {
	if name == "" {
		return invalid("name", "name is required")
	}
	if utf8.RuneCountInString(name) > maxName {
		return invalid("name", "name must be at most %d characters", maxName)
	}
	if hasRune(name, unicode.IsControl) {
		return invalid("name", "name must not contain control characters")
	}
	return nil
}

// validAudience accepts any identifier, not only URLs: "https://dataloy" and
// "https://dataloy.dev" are two audiences.
func validAudience(audience string) error {
	if audience == "" {
		return invalid("audience", "audience is required")
	}
	if utf8.RuneCountInString(audience) > maxAudience {
		return invalid("audience", "audience must be at most %d characters", maxAudience)
	}
	if hasRune(audience, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return invalid("audience", "audience must not contain whitespace or control characters")
	}
	return nil
}

// validScopes checks each scope is an RFC 6749 §3.3 scope-token and none
// repeats.
func validScopes(scopes []string) error {
	for i, s := range scopes {
		if s == "" || len(s) > maxScope {
			return invalid("scopes", "each scope must be 1 to %d characters", maxScope)
		}
		for _, c := range []byte(s) {
			if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
				return invalid("scopes", "scope %q must be printable ASCII without space, '\"' or '\\'", s)
			}
		}
		if slices.Contains(scopes[:i], s) {
			return invalid("scopes", "scope %q is listed twice", s)
		}
	}
	return nil
}

func validTokenLifetime(seconds int64) error {
	if seconds < minTokenLifetime || seconds > maxTokenLifetime {
		return invalid("token_lifetime", "token_lifetime must be %d to %d seconds",
			minTokenLifetime, maxTokenLifetime)
	}
	return nil
}

func hasRune(s string, f func(rune) bool) bool {
	for _, r := range s {
		if f(r) {
			return true
		}
	}
	return false
}

// seconds turns a lifetime from the store into whole seconds for the wire.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// nonNil makes a nil list render as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// validJWKS checks a client's jwks field: absent or null leaves it as it
// is (set false); {"keys":[]} removes the keys; anything else must be a
// public JWK Set private_key_jwt can use (clientauth.ParseJWKS). It
// returns the set as stored: the keys re-encoded, nothing but their public
// members.
func validJWKS(raw json.RawMessage) (stored []byte, set bool, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false, nil
	}
	// Exactly {"keys":[]}: encoding/json would also take {"KEYS":[]}.
	var empty map[string][]json.RawMessage
	if json.Unmarshal(raw, &empty) == nil && len(empty) == 1 && empty["keys"] != nil && len(empty["keys"]) == 0 {
		return nil, true, nil
	}
	keys, err := clientauth.ParseJWKS(raw)
	if err != nil {
		return nil, false, invalid("jwks", "jwks %v", err)
	}
	stored, err = json.Marshal(keys)
	if err != nil {
		return nil, false, invalid("jwks", "jwks cannot be encoded: %v", err)
	}
	return stored, true, nil
}

// validRevokeTokensQuery accepts ?revoke_tokens=true or false, or none.
func validRevokeTokensQuery(r *http.Request) error {
	q, _ := url.ParseQuery(r.URL.RawQuery)
	switch q.Get("revoke_tokens") {
	case "", "true", "false":
		return nil
	}
	return invalid("revoke_tokens", "revoke_tokens must be true or false")
}
