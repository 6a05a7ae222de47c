package cli

import (
	"context"
	"net/http"
	"net/url"
	"text/tabwriter"
)

// apiView is an API as the admin API shows it.
type apiView struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Audience      string   `json:"audience"`
	Scopes        []string `json:"scopes"`
	TokenLifetime int64    `json:"token_lifetime"`
	SigningAlg    string   `json:"signing_alg"`
	AuditIssuance string   `json:"audit_issuance"`
	TokenReuse    bool     `json:"token_reuse"`
	Policy        string   `json:"policy"`
	TokenBinding  string   `json:"token_binding"`
	CreatedAt     string   `json:"created_at"`
	UpdatedAt     string   `json:"updated_at"`
}

// apiChange is the body of POST and PATCH /admin/v1/apis: what is left out
// is not sent, so PATCH leaves it unchanged.
type apiChange struct {
	Name          string   `json:"name,omitempty"`
	Audience      string   `json:"audience,omitempty"`
	Scopes        []string `json:"scopes,omitempty"`
	TokenLifetime int64    `json:"token_lifetime,omitempty"`
	SigningAlg    string   `json:"signing_alg,omitempty"`
	AuditIssuance string   `json:"audit_issuance,omitempty"`
	TokenReuse    bool     `json:"token_reuse,omitempty"`
	Policy        string   `json:"policy,omitempty"`
	TokenBinding  string   `json:"token_binding,omitempty"`
}

// apiFlags are the flags that describe an API, as create and update take them.
type apiFlags struct {
	name     string
	audience string
	scopes   scopeFlags
	lifetime int64
	alg      string
	audit    string
	reuse    bool
	policy   policyFlags
	binding  string
}

func (f *apiFlags) register(c *call, withAudience bool) {
	defer c.completeFlag("audience", audiences)
	c.fs.StringVar(&f.name, "name", "", "the API's `name`, for people")
	if withAudience {
		c.fs.StringVar(&f.audience, "audience", "", "the `audience` clients ask tokens for, e.g. https://api.example.com")
	}
	f.scopes.register(c.fs, "the API's scopes")
	c.fs.Int64Var(&f.lifetime, "token-lifetime", 0, "lifetime of its access tokens in `seconds` (server default 86400)")
	c.fs.StringVar(&f.alg, "signing-alg", "", "the `algorithm` of its tokens: RS256 (server default), PS256, ES256 or EdDSA")
	c.fs.StringVar(&f.audit, "audit-issuance", "", "which tokens issued the audit log records: all (server default), sample:N (one in N) or off")
	c.completeFixed("signing-alg", signingAlgs...)
	c.completeFixed("audit-issuance", "all", "sample:10", "off")
	f.policy.register(c.fs, "API")
	c.fs.StringVar(&f.binding, "token-binding", "any", tokenBindingFlag)
	c.completeFixed("token-binding", "any", "dpop", "mtls")
	c.fs.BoolVar(&f.reuse, "token-reuse", false, "answer a repeated request with the token issued before while over half its lifetime remains (--token-reuse=false to stop; docs/limits.md)")
}

func apisCreate(c *call) runFunc {
	var f apiFlags
	f.register(c, true)
	return func(ctx context.Context, _ []string) error {
		if err := required(c, "name", f.name, "audience", f.audience); err != nil {
			return err
		}
		body := apiChange{Name: f.name, Audience: f.audience, Scopes: f.scopes.list(), TokenLifetime: f.lifetime, SigningAlg: f.alg, AuditIssuance: f.audit, TokenReuse: f.reuse}
		withPolicy := map[string]any{}
		if err := f.policy.addTo(c, withPolicy); err != nil {
			return err
		}
		if p, ok := withPolicy["policy"].(string); ok {
			body.Policy = p
		}
		var err error
		if body.TokenBinding, err = tokenBinding(c, f.binding); err != nil {
			return err
		}
		return callAdmin(ctx, c, http.MethodPost, "/apis", body, apiDetail)
	}
}

func apisList(c *call) runFunc {
	return pagedList(c, func() (string, url.Values) { return "/apis", url.Values{} }, apiTable)
}

func apisGet(c *call) runFunc { return adminGet(c, byID("/apis/"), apiDetail) }

func apisUpdate(c *call) runFunc {
	var f apiFlags
	f.register(c, false)
	return func(ctx context.Context, pos []string) error {
		body, err := f.changes(c)
		if err != nil {
			return err
		}
		return callAdmin(ctx, c, http.MethodPatch, "/apis/"+url.PathEscape(pos[0]), body, apiDetail)
	}
}

// changes are the fields `apis update` was given, for PATCH.
func (f *apiFlags) changes(c *call) (map[string]any, error) {
	body := map[string]any{}
	if c.fs.Changed("name") {
		body["name"] = f.name
	}
	if c.fs.Changed("scope") || c.fs.Changed("scopes") {
		body["scopes"] = f.scopes.list()
	}
	if c.fs.Changed("token-lifetime") {
		body["token_lifetime"] = f.lifetime
	}
	if c.fs.Changed("signing-alg") {
		body["signing_alg"] = f.alg
	}
	if c.fs.Changed("audit-issuance") {
		body["audit_issuance"] = f.audit
	}
	if c.fs.Changed("token-reuse") {
		body["token_reuse"] = f.reuse
	}
	if err := f.policy.addTo(c, body); err != nil {
		return nil, err
	}
	if c.fs.Changed("token-binding") {
		b, err := tokenBinding(c, f.binding)
		if err != nil {
			return nil, err
		}
		body["token_binding"] = b
	}
	if len(body) == 0 {
		return nil, usagef(c.cmd, "nothing to change: give --name, --scope, --scopes, --token-lifetime, --signing-alg, --audit-issuance, --token-reuse, --token-binding, --policy or --policy-file")
	}
	return body, nil
}

func apisDelete(c *call) runFunc { return deleteResource(c, "/apis/", "API") }

func apiTable(w *tabwriter.Writer, apis []apiView) {
	row(w, "ID", "NAME", "AUDIENCE", "SCOPES", "TOKEN LIFETIME", "CREATED")
	for _, a := range apis {
		row(w, a.ID, a.Name, a.Audience, joinScopes(a.Scopes), formatLifetime(a.TokenLifetime), formatTime(a.CreatedAt))
	}
}

func apiDetail(w *tabwriter.Writer, a apiView) {
	row(w, "id", a.ID)
	row(w, "name", a.Name)
	row(w, "audience", a.Audience)
	row(w, "scopes", joinScopes(a.Scopes))
	row(w, "token_lifetime", formatLifetime(a.TokenLifetime))
	row(w, "signing_alg", orDash(a.SigningAlg))
	row(w, "audit_issuance", orDash(a.AuditIssuance))
	if a.TokenReuse {
		row(w, "token_reuse", "true")
	}
	policyRow(w, a.Policy)
	if a.TokenBinding != "" {
		row(w, "token_binding", a.TokenBinding)
	}
	row(w, "created_at", formatTime(a.CreatedAt))
	row(w, "updated_at", formatTime(a.UpdatedAt))
}
