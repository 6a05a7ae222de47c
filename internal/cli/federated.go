package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// federatedGroup is `mint federated`: a client's trust rules (issue 18),
// the admin API's /clients/{id}/federated-credentials.
var federatedGroup = group{name: "federated", summary: "trust rules: other issuers' tokens in place of a client's secret", commands: []command{
	{"add CLIENT --issuer URL --subject SUB [--audience AUD] [--claim NAME=VALUE]... [--max-age SECONDS] [--jwks-uri URL | --bundle-file FILE]", 1, "trust tokens of an issuer with this subject (and claims; '*' matches within one ':' or '/' segment) for a client; --jwks-uri alone: where the client's own private_key_jwt keys are; --trust-domain with --bundle-endpoint or --bundle-file: a SPIFFE rule, --subject a SPIFFE ID or a pattern of one", federatedAdd, argClient, false},
	{"list CLIENT", 1, "list a client's trust rules", federatedList, argClient, false},
	{"get CLIENT ID", 2, "show one trust rule", federatedGet, argClient, false},
	{"delete CLIENT ID", 2, "delete a trust rule", federatedDelete, argClient, false},
}}

// federatedView is a trust rule as the admin API shows it.
type federatedView struct {
	ID        string            `json:"id"`
	ClientID  string            `json:"client_id"`
	Issuer    string            `json:"issuer"`
	Subject   string            `json:"subject"`
	Audience  string            `json:"audience"`
	Claims    map[string]string `json:"claims"`
	MaxAge    int64             `json:"max_age"`
	JWKSURI   string            `json:"jwks_uri"`
	Bundle    json.RawMessage   `json:"bundle"`
	CreatedAt string            `json:"created_at"`
}

func federatedPath(client string) string {
	return "/clients/" + url.PathEscape(client) + "/federated-credentials"
}

func federatedAdd(c *call) runFunc {
	issuer := c.fs.String("issuer", "", "the tokens' exact `iss`, an https URL (its keys come from its OpenID discovery document unless --jwks-uri)")
	subject := c.fs.String("subject", "", "the tokens' exact `sub`")
	audience := c.fs.String("audience", "", "a value the tokens' aud must hold (default: this server's issuer URL)")
	claims := c.fs.StringArray("claim", nil, "a condition `NAME=VALUE` on a string claim; '*' in VALUE matches within one segment (repeatable)")
	maxAge := c.fs.Int64("max-age", 0, "refuse tokens issued more than `SECONDS` ago (default 3600)")
	jwksURI := c.fs.String("jwks-uri", "", "fetch the issuer's keys from this `URL` instead of discovering them")
	trustDomain := c.fs.String("trust-domain", "", "a SPIFFE rule: the `TRUST-DOMAIN` (example.org or spiffe://example.org) of the JWT-SVIDs; the same as --issuer spiffe://TRUST-DOMAIN")
	bundle := c.fs.String("bundle-endpoint", "", "a SPIFFE rule: the trust domain's bundle endpoint `URL`; the same as --jwks-uri")
	bundleFile := c.fs.String("bundle-file", "", "a SPIFFE rule: the trust domain's bundle, a JWK Set read from `FILE`, instead of a bundle endpoint")
	return func(ctx context.Context, pos []string) error {
		if err := spiffeFlags(c, issuer, jwksURI, *trustDomain, *bundle); err != nil {
			return err
		}
		keysOnly := *issuer == "" && *subject == "" && *jwksURI != "" // the client's own private_key_jwt keys
		if err := required(c, "issuer", *issuer, "subject", *subject); err != nil && !keysOnly {
			return err
		}
		body := map[string]any{}
		if !keysOnly {
			body["issuer"], body["subject"] = *issuer, *subject
		}
		if *audience != "" {
			body["audience"] = *audience
		}
		if *jwksURI != "" {
			body["jwks_uri"] = *jwksURI
		}
		if c.fs.Changed("max-age") {
			body["max_age"] = *maxAge
		}
		if *bundleFile != "" {
			data, err := os.ReadFile(*bundleFile)
			if err != nil {
				return usagef(c.cmd, "--bundle-file: %v", err)
			}
			if !json.Valid(data) {
				return usagef(c.cmd, "--bundle-file: %s is not JSON", *bundleFile)
			}
			body["bundle"] = json.RawMessage(data)
		}
		conditions := map[string]string{}
		for _, cl := range *claims {
			name, value, ok := strings.Cut(cl, "=")
			if !ok || name == "" {
				return usagef(c.cmd, "--claim %q: want NAME=VALUE", cl)
			}
			conditions[name] = value
		}
		if len(conditions) > 0 {
			body["claims"] = conditions
		}
		return callAdmin(ctx, c, http.MethodPost, federatedPath(pos[0]), body, federatedDetail)
	}
}

func federatedList(c *call) runFunc {
	return adminGet(c, func(pos []string) string { return federatedPath(pos[0]) }, func(w *tabwriter.Writer, l struct {
		Items []federatedView `json:"items"`
	}) {
		row(w, "ID", "ISSUER", "SUBJECT", "CLAIMS", "CREATED")
		for _, fc := range l.Items {
			row(w, fc.ID, fc.Issuer, fc.Subject, strconv.Itoa(len(fc.Claims)), formatTime(fc.CreatedAt))
		}
	})
}

func federatedGet(c *call) runFunc {
	return adminGet(c, func(pos []string) string { return federatedPath(pos[0]) + "/" + url.PathEscape(pos[1]) }, federatedDetail)
}

func federatedDelete(c *call) runFunc {
	return func(ctx context.Context, pos []string) error {
		api, err := c.admin(ctx)
		if err != nil {
			return err
		}
		if _, err := api.do(ctx, http.MethodDelete, federatedPath(pos[0])+"/"+url.PathEscape(pos[1]), nil); err != nil {
			return err
		}
		return done(c, "deleted trust rule %s of client %s", pos[1], pos[0])
	}
}

func federatedDetail(w *tabwriter.Writer, fc federatedView) {
	row(w, "id", fc.ID)
	row(w, "client_id", fc.ClientID)
	row(w, "issuer", fc.Issuer)
	row(w, "subject", fc.Subject)
	row(w, "audience", fc.Audience)
	names := make([]string, 0, len(fc.Claims))
	for n := range fc.Claims {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		row(w, "claim "+n, fc.Claims[n])
	}
	row(w, "max_age", strconv.FormatInt(fc.MaxAge, 10)+"s")
	if fc.JWKSURI != "" {
		row(w, "jwks_uri", fc.JWKSURI)
	}
	if len(fc.Bundle) != 0 {
		row(w, "bundle", "static, "+strconv.Itoa(len(fc.Bundle))+" bytes (--json shows it)")
	}
	row(w, "created_at", formatTime(fc.CreatedAt))
}

// spiffeFlags turns --trust-domain and --bundle-endpoint into the issuer
// and jwks_uri of a SPIFFE rule, as the admin API takes it.
func spiffeFlags(c *call, issuer, jwksURI *string, trustDomain, bundle string) error {
	if trustDomain != "" {
		if *issuer != "" {
			return usagef(c.cmd, "--trust-domain and --issuer name the same thing: give one")
		}
		*issuer = "spiffe://" + strings.TrimPrefix(trustDomain, "spiffe://")
	}
	if bundle != "" {
		if *jwksURI != "" {
			return usagef(c.cmd, "--bundle-endpoint and --jwks-uri name the same thing: give one")
		}
		*jwksURI = bundle
	}
	return nil
}
