package console

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// trustRuleView is a client's trust rule (issue 18, RFC 7523) as the
// admin API writes it (docs/federation.md).
type trustRuleView struct {
	ID       string            `json:"id"`
	ClientID string            `json:"client_id"`
	Issuer   string            `json:"issuer"`
	Subject  string            `json:"subject"`
	Audience string            `json:"audience"`
	Claims   map[string]string `json:"claims"`
	// MaxAge is in seconds.
	MaxAge    int64     `json:"max_age"`
	JWKSURI   string    `json:"jwks_uri"`
	CreatedAt time.Time `json:"created_at"`
}

// KeyLocation tells whether the rule only says where the client's own
// private_key_jwt keys are (federation.IsKeyLocation): the admin API makes
// one from a form with nothing but a key set URL.
func (r trustRuleView) KeyLocation() bool {
	return r.JWKSURI != "" && r.Issuer == r.ClientID && r.Subject == r.ClientID
}

// ClaimLines are the rule's claim conditions, sorted by name.
func (r trustRuleView) ClaimLines() []string {
	lines := make([]string, 0, len(r.Claims))
	for _, k := range slices.Sorted(maps.Keys(r.Claims)) {
		lines = append(lines, k+"="+r.Claims[k])
	}
	return lines
}

// MaxAgeText is max_age as a duration ("1h0m0s").
func (r trustRuleView) MaxAgeText() string { return (time.Duration(r.MaxAge) * time.Second).String() }

// trustRuleFields are the fields of the add-a-trust-rule form.
var trustRuleFields = []string{"issuer", "subject", "audience", "claims", "max_age", "jwks_uri"}

func trustRulesPath(clientID string) string { return clientPath(clientID) + "/federated-credentials" }

func trustRulePath(clientID, id string) string {
	return trustRulesPath(clientID) + "/" + url.PathEscape(id)
}

// trustRules reads a client's rules: at most mint.MaxFederatedCredentials,
// one answer.
func (c *Console) trustRules(r *http.Request, sess *session, clientID string) ([]trustRuleView, error) {
	var list struct {
		Items []trustRuleView `json:"items"`
	}
	err := c.backend.call(r.Context(), r, "GET", trustRulesPath(clientID), sess.Token, nil, &list)
	return list.Items, err
}

// createTrustRule adds a trust rule through the admin API, which checks it
// as it checks any: its refusal is shown beside the field it names.
func (c *Console) createTrustRule(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, trustRuleFields...)
	body := map[string]any{}
	for _, k := range []string{"issuer", "subject", "audience", "jwks_uri"} {
		if v := strings.TrimSpace(form.Value(k)); v != "" {
			body[k] = v
		}
	}
	if claims, err := parseClaimsText(form.Value("claims")); err != nil {
		form.refuse("claims", err.Error())
	} else if len(claims) > 0 {
		body["claims"] = claims
	}
	if strings.TrimSpace(form.Value("max_age")) != "" {
		if n, ok := form.seconds("max_age"); ok {
			body["max_age"] = n
		}
	}
	if !form.Failed() {
		if err := form.fromAPI(c.backend.call(r.Context(), r, "POST", trustRulesPath(id), sess.Token, body, nil)); err != nil {
			return err
		}
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"trust": form})
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Trust rule added."})
}

// deleteTrustRule deletes a rule once confirmed.
func (c *Console) deleteTrustRule(w http.ResponseWriter, r *http.Request, sess *session) error {
	id, rid := r.PathValue("id"), r.PathValue("rule")
	var rule trustRuleView
	if err := c.backend.call(r.Context(), r, "GET", trustRulePath(id, rid), sess.Token, nil, &rule); err != nil {
		return err
	}
	what := "the trust rule for " + rule.Issuer
	if rule.KeyLocation() {
		what = "the key set URL " + rule.JWKSURI
	}
	if !confirmed(r) {
		c.askConfirmation(w, r, sess, "clients", confirmData{Question: "Delete " + what + "?",
			Detail: "Tokens it accepted no longer authenticate this client.", Button: "Delete trust rule",
			Cancel: consoleClientPath(id)})
		return nil
	}
	if err := c.backend.call(r.Context(), r, "DELETE", trustRulePath(id, rid), sess.Token, nil, nil); err != nil {
		return err
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Trust rule deleted."})
}

// parseClaimsText reads one name=pattern per line, blank lines skipped;
// the pattern is everything after the first "=". The admin API checks
// names and patterns.
func parseClaimsText(s string) (map[string]string, error) {
	claims := map[string]string{}
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, pattern, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, errors.New("write one condition per line as name=value")
		}
		if _, dup := claims[name]; dup {
			return nil, errors.New("the claim " + name + " has two conditions: keep one")
		}
		claims[name] = strings.TrimSpace(pattern)
	}
	return claims, nil
}

// tokenBindingChoice is a token_binding value the forms offer.
type tokenBindingChoice struct{ Value, Label string }

// tokenBindingChoices are mint.TokenBindings, labelled.
var tokenBindingChoices = []tokenBindingChoice{
	{"", "any: bearer, or DPoP-bound when the request sends a proof"},
	{"dpop", "dpop: DPoP-bound tokens only"},
	{"mtls", "mtls: certificate-bound tokens only"},
}

// updateClientBinding saves a client's token_binding.
func (c *Console) updateClientBinding(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, "token_binding")
	body := map[string]any{"token_binding": form.Value("token_binding")}
	if err := form.fromAPI(c.backend.call(r.Context(), r, "PATCH", clientPath(id), sess.Token, body, nil)); err != nil {
		return err
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"binding": form})
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Token binding saved."})
}
