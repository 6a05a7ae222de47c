package cli

import (
	"context"
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
func verifyCmd(ctx context.Context, c *call) error {
	var audience string
	c.fs.StringVar(&audience, "audience", "", "the `audience` the token must be for (required)")
	pos, err := c.parse(1)
	if err != nil {
		return err
	}
	if audience == "" {
		return &usageError{msg: "verify: --audience is required", usage: flagUsage(c.fs)}
	}
	meta, err := discover(ctx, c.http, c.opts.server)
	if err != nil {
		return err
	}
	keys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{URL: meta.JWKSURI, HTTPClient: c.http})
	if err != nil {
		return err
	}
	v := &bearer.Verifier{Issuer: meta.Issuer, Audiences: []string{audience}, Keys: keys}
	claims, err := v.Verify(ctx, strings.TrimSpace(pos[0]))
	if errors.Is(err, bearer.ErrKeysNotReady) {
		return &transportError{msg: fmt.Sprintf("cannot fetch the server's keys: %v", err)}
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
