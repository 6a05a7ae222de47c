package apply

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/admin"
	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
)

// A client's trust rules (docs/federation.md) in the files. A rule has no
// name and no mutable field: it is identified by its content, once the
// admin API's defaults are applied. A rule declared and stored alike is
// left alone; one declared and not stored is created; one stored and not
// declared is deleted, with --prune only. Changing a field of a rule is
// therefore a create and (with --prune) a delete, which is also what the
// admin API offers.

// ruleKey is the content of a rule as the store keeps it, ID and creation
// time aside: what names the rule in a plan's comparisons.
func ruleKey(fc mint.FederatedCredential) string {
	b, _ := json.Marshal([]any{fc.Issuer, fc.Subject, fc.Audience, fc.Claims, fc.MaxAge.Milliseconds(), fc.JWKSURI})
	return string(b)
}

func (r FederatedCredential) admin() admin.FederatedRule {
	return admin.FederatedRule{Issuer: r.Issuer, Subject: r.Subject, Audience: r.Audience, Claims: r.Claims,
		MaxAge: r.MaxAge, JWKSURI: r.JWKSURI}
}

// desiredRules are the rules of a client as the store would keep them.
func desiredRules(v Client) []mint.FederatedCredential {
	out := make([]mint.FederatedCredential, len(v.FederatedCredentials))
	for i, r := range v.FederatedCredentials {
		out[i] = admin.StoredFederated(v.ID, r.admin())
	}
	return out
}

// checkRules applies the admin API's rules to a client's trust rules, and
// refuses a rule declared twice and more rules than a client may hold.
func checkRules(c at[Client], problems *Problems) {
	if n := len(c.V.FederatedCredentials); n > mint.MaxFederatedCredentials {
		report(problems, c.problem("federated_credentials", "a client holds at most %d federated credentials; %d are declared", mint.MaxFederatedCredentials, n))
	}
	seen := map[string]int{}
	for i, r := range c.V.FederatedCredentials {
		path := fmt.Sprintf("federated_credentials[%d]", i)
		if err := admin.CheckFederated(r.admin()); err != nil {
			field := path
			if f := fieldOf(err); f != "" {
				field = join(path, f)
			}
			report(problems, c.problem(field, "%s", describe(err)))
			continue
		}
		fc := admin.StoredFederated(c.V.ID, r.admin())
		if !federation.IsKeyLocation(fc) && r.Audience == "" {
			report(problems, c.problem(join(path, "audience"), "audience is required in a file: the value the external token's aud must contain (the admin API defaults it to the server's issuer URL, which a file cannot know)"))
			continue
		}
		key := ruleKey(fc)
		if first, ok := seen[key]; ok {
			report(problems, c.problem(path, "the same federated credential is declared twice (first as federated_credentials[%d])", first))
			continue
		}
		seen[key] = i
	}
}

// checkRuleAudiences refuses a rule whose audience is an API's (in apis,
// what will exist): a rule must never accept this server's own access
// tokens, as the admin API says. It also refuses, without --prune, more
// rules for a client than it may hold with those it keeps.
func (cfg *Config) checkRuleAudiences(apis map[string]mint.API, ix index, prune bool, problems *Problems) {
	for _, c := range cfg.Clients {
		for i, r := range c.V.FederatedCredentials {
			if _, ok := apis[r.Audience]; ok || r.Audience == mint.AdminAudience {
				report(problems, c.problem(fmt.Sprintf("federated_credentials[%d].audience", i),
					"audience must not be an API's audience on this server: a rule must never accept this server's own access tokens"))
			}
		}
		if prune {
			continue
		}
		declared := map[string]bool{}
		for _, fc := range desiredRules(c.V) {
			declared[ruleKey(fc)] = true
		}
		n := len(declared)
		for _, fc := range ix.rules[c.V.ID] {
			if !declared[ruleKey(fc)] {
				n++
			}
		}
		if n > mint.MaxFederatedCredentials {
			report(problems, c.problem("federated_credentials", "the client would hold %d federated credentials with those stored and not declared, more than %d: declare fewer, or apply with --prune", n, mint.MaxFederatedCredentials))
		}
	}
}

// planRules are the creations of a declared client's rules, and with
// prune the deletions of its stored rules the files do not declare.
func planRules(v Client, ix index, prune bool) (deletes, creates []Step) {
	stored := map[string]bool{}
	for _, fc := range ix.rules[v.ID] {
		stored[ruleKey(fc)] = true
	}
	declared := map[string]bool{}
	for _, fc := range desiredRules(v) {
		key := ruleKey(fc)
		declared[key] = true
		if !stored[key] {
			creates = append(creates, Step{Op: mint.OpCreate, Kind: kindRule, Name: ruleName(fc), Fields: ruleFields(fc), rule: &fc})
		}
	}
	if prune {
		for _, fc := range ix.rules[v.ID] {
			if !declared[ruleKey(fc)] {
				deletes = append(deletes, deleteRule(fc))
			}
		}
	}
	return deletes, creates
}

const kindRule = "federated credential"

func deleteRule(fc mint.FederatedCredential) Step {
	return Step{Op: mint.OpDelete, Kind: kindRule, Name: ruleName(fc), rule: &fc, before: auditRule(&fc)}
}

// ruleName names a rule in a plan: its client, issuer and subject.
func ruleName(fc mint.FederatedCredential) string {
	if federation.IsKeyLocation(fc) {
		return fc.ClientID + " ← its keys at " + fc.JWKSURI
	}
	return fc.ClientID + " ← " + fc.Issuer + " sub " + strconv.Quote(fc.Subject)
}

func ruleFields(fc mint.FederatedCredential) []FieldChange {
	if federation.IsKeyLocation(fc) {
		return []FieldChange{{Field: "jwks_uri", To: strconv.Quote(fc.JWKSURI)}}
	}
	f := []FieldChange{
		{Field: "issuer", To: strconv.Quote(fc.Issuer)},
		{Field: "subject", To: strconv.Quote(fc.Subject)},
		{Field: "audience", To: strconv.Quote(fc.Audience)},
	}
	if len(fc.Claims) > 0 {
		f = append(f, FieldChange{Field: "claims", To: showMetadata(fc.Claims)})
	}
	f = append(f, FieldChange{Field: "max_age", To: strconv.FormatInt(int64(fc.MaxAge/time.Second), 10)})
	if fc.JWKSURI != "" {
		f = append(f, FieldChange{Field: "jwks_uri", To: strconv.Quote(fc.JWKSURI)})
	}
	return f
}

// auditRule is a rule as the admin API's audit records show it.
func auditRule(fc *mint.FederatedCredential) any {
	claims := fc.Claims
	if claims == nil {
		claims = map[string]string{}
	}
	return map[string]any{"id": fc.ID, "client_id": fc.ClientID, "issuer": fc.Issuer, "subject": fc.Subject,
		"audience": fc.Audience, "claims": claims, "max_age": int64(fc.MaxAge / time.Second), "jwks_uri": fc.JWKSURI,
		"created_at": fc.CreatedAt.UTC()}
}

// exportRules are a client's stored rules in the file format, in a stable
// order.
func exportRules(rules []mint.FederatedCredential) []FederatedCredential {
	rules = sorted(rules, func(a, b mint.FederatedCredential) int { return strings.Compare(ruleKey(a), ruleKey(b)) })
	var out []FederatedCredential
	for _, fc := range rules {
		if federation.IsKeyLocation(fc) {
			out = append(out, FederatedCredential{JWKSURI: fc.JWKSURI})
			continue
		}
		maxAge := int64(fc.MaxAge / time.Second)
		out = append(out, FederatedCredential{Issuer: fc.Issuer, Subject: fc.Subject, Audience: fc.Audience,
			Claims: fc.Claims, MaxAge: &maxAge, JWKSURI: fc.JWKSURI})
	}
	return out
}

// rulesOf groups rules by client.
func rulesOf(rules []mint.FederatedCredential) map[string][]mint.FederatedCredential {
	out := map[string][]mint.FederatedCredential{}
	for _, fc := range rules {
		out[fc.ClientID] = append(out[fc.ClientID], fc)
	}
	for _, rs := range out {
		slices.SortStableFunc(rs, func(a, b mint.FederatedCredential) int { return a.CreatedAt.Compare(b.CreatedAt) })
	}
	return out
}
