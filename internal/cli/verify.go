package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mintauth/mint/bearer"
)

// verifyCmd checks a token as an API would: against the keys the server
// publishes, for one audience, with the same verifier the middleware uses.
func verifyCmd(c *call) runFunc {
	var audience string
	c.fs.StringVar(&audience, "audience", "", "the `audience` the token must be for (required)")
	c.completeFlag("audience", audiences)
	return func(ctx context.Context, pos []string) error {
		if audience == "" {
			return usagef(c.cmd, "verify: --audience is required")
		}
		return verifyToken(ctx, c, audience, strings.TrimSpace(pos[0]))
	}
}

func verifyToken(ctx context.Context, c *call, audience, token string) error {
	meta, err := discover(ctx, c.http, c.opts.server)
	if err != nil {
		return err
	}
	keys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{URL: meta.JWKSURI, HTTPClient: c.http})
	if err != nil {
		return err
	}
	v := &bearer.Verifier{Issuer: meta.Issuer, Audiences: []string{audience}, Keys: keys}
	claims, err := v.Verify(ctx, token)
	if errors.Is(err, bearer.ErrKeysNotReady) {
		return &transportError{msg: fmt.Sprintf("cannot fetch the server's keys: %v", err)}
	}
	if errors.Is(err, bearer.ErrAudience) {
		return &remoteError{Code: "invalid_token", Description: fmt.Sprintf("%v: the token is for %s, not %q", err, tokenAudiences(token), audience)}
	}
	if err != nil {
		return &remoteError{Code: "invalid_token", Description: err.Error()}
	}
	return showClaims(c, claims)
}

type serverMetadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// discover reads the server's RFC 8414 metadata: its issuer and key set.
func discover(ctx context.Context, hc *http.Client, server string) (serverMetadata, error) {
	var meta serverMetadata
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/.well-known/oauth-authorization-server", nil)
	if err != nil {
		return meta, &usageError{msg: err.Error()}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return meta, unreachable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&meta) != nil || meta.JWKSURI == "" {
		return meta, &transportError{msg: fmt.Sprintf("%s does not publish OAuth server metadata (status %d)", server, resp.StatusCode)}
	}
	return meta, nil
}

func showClaims(c *call, claims *bearer.Claims) error {
	if c.opts.json {
		body, err := json.Marshal(map[string]any{
			"active": true, "iss": claims.Issuer, "sub": claims.Subject, "aud": claims.Audience,
			"client_id": claims.ClientID, "scope": strings.Join(claims.Scopes, " "), "jti": claims.ID,
			"iat": claims.IssuedAt.Unix(), "exp": claims.ExpiresAt.Unix(),
		})
		if err != nil {
			return err
		}
		return writeJSON(c.stdout, body)
	}
	tw := newTable(c.stdout)
	renderClaims(tw, claims)
	return tw.Flush()
}

func renderClaims(tw *tabwriter.Writer, claims *bearer.Claims) {
	row(tw, "valid", "yes: signature, issuer, audience, type and lifetime check out")
	row(tw, "client_id", claims.ClientID)
	row(tw, "audience", strings.Join(claims.Audience, " "))
	row(tw, "scopes", joinScopes(claims.Scopes))
	row(tw, "issuer", claims.Issuer)
	row(tw, "issued_at", claims.IssuedAt.UTC().Format(time.DateTime+"Z"))
	row(tw, "expires_at", claims.ExpiresAt.UTC().Format(time.DateTime+"Z"))
}

// tokenAudiences names the audiences a token says it is for, read from its
// payload. Verify checks the signature before the audience, so this runs
// only on a token the server signed.
func tokenAudiences(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "(unreadable)"
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Aud json.RawMessage `json:"aud"`
	}
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		return "(unreadable)"
	}
	var many []string
	if json.Unmarshal(claims.Aud, &many) != nil {
		var one string
		if json.Unmarshal(claims.Aud, &one) != nil || one == "" {
			return "no audience"
		}
		many = []string{one}
	}
	if len(many) == 0 {
		return "no audience"
	}
	return strings.Join(quoteEach(many), ", ")
}

func quoteEach(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
