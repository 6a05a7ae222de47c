package apply

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// Values chosen to trouble a YAML writer: words YAML reads as null, bools
// or numbers, indicators, quotes, non-ASCII and Unicode line separators.
var (
	trickyNames     = []string{"null", "true", "off", "123", "1e3", "0x1F", ".inf", "- x", "#x", "a: b", "'q'", `"dq"`, " lead", "trail ", "ünï", "日本", "x\u00a0y", "x\u2028y", "{a}", "[b]", "*star", "&amp", "!bang", "%pct", "@at", "`tick`", "|pipe", ">gt", "~", "back\\slash", "plain name"}
	trickyAudiences = []string{"null", "123", "true", "https://x.example.com/y?z=1#f", "urn:a:b", "-", "*", "~", "a,b", "[x]", "{y}", "'s'", "ü"}
	trickyScopes    = []string{"read", "a:b", "123", "null", "true", "*", "-x", "#", "{x}", "[y]", "!x", "&x", "'x'", "%x", "@x", "`x`", "|x", ">x", "~", "yes"}
	trickyIDs       = []string{"123", "null", "true", "-x", ".x", "~", "x_y", "0", "1e3", ".inf", "-.5", "Yes", "a.b-c~d"}
)

// randomState stores a random state in s, every value one the admin API
// accepts, and returns it as read back.
func randomState(t *testing.T, ctx context.Context, s mint.Store, r *mrand.Rand) State {
	t.Helper()
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var apis []mint.API
	for i := range r.IntN(5) {
		scopes := []string{}
		for _, sc := range r.Perm(len(trickyScopes))[:r.IntN(5)] {
			scopes = append(scopes, trickyScopes[sc])
		}
		api := mint.API{ID: fmt.Sprintf("api_%d", i), Name: pick(trickyNames), Audience: fmt.Sprintf("%s%d", pick(trickyAudiences), i),
			Scopes: scopes, TokenLifetime: time.Duration(60+r.IntN(400000)) * time.Second,
			SigningAlg: pick(append([]string{""}, mint.SigningAlgorithms...)), AuditIssuance: pick([]string{"", "all", "off", "sample:7"}),
			TokenReuse: r.IntN(2) == 0, TokenBinding: pick(mint.TokenBindings), CreatedAt: now, UpdatedAt: now}
		must(t, s.CreateAPI(ctx, api))
		apis = append(apis, api)
	}
	var clients []mint.Client
	for i := range r.IntN(6) {
		c := mint.Client{ID: fmt.Sprintf("%s%d", pick(trickyIDs), i), Name: pick(trickyNames), IntrospectAll: r.IntN(2) == 0,
			TokensPerHour: randomQuota(r), TokensPerDay: randomQuota(r), TokenBinding: pick(mint.TokenBindings),
			CreatedAt: now, UpdatedAt: now}
		if r.IntN(3) == 0 {
			c.JWKS = randomJWKS(t)
		}
		c.TLSAuth = randomTLSAuth(r, c.JWKS != nil)
		must(t, s.CreateClient(ctx, c, mint.Secret{ID: "sec_" + c.ID, ClientID: c.ID, Digest: []byte("d"), CreatedAt: now}))
		clients = append(clients, c)
		for j := range r.IntN(3) {
			must(t, s.(mint.FederatedStore).CreateFederatedCredential(ctx, randomRule(r, c.ID, fmt.Sprintf("fed_%d_%d", i, j), now)))
		}
	}
	for i, c := range clients {
		for j, api := range apis {
			if r.IntN(2) == 0 {
				continue
			}
			scopes := []string{}
			for _, k := range r.Perm(len(api.Scopes))[:r.IntN(len(api.Scopes)+1)] {
				scopes = append(scopes, api.Scopes[k])
			}
			must(t, s.CreateGrant(ctx, mint.Grant{ID: fmt.Sprintf("grant_%d_%d", i, j), ClientID: c.ID, Audience: api.Audience,
				Scopes: scopes, CreatedAt: now, UpdatedAt: now}))
		}
	}
	state, err := ReadState(ctx, s)
	must(t, err)
	return state
}

// randomRule is a trust rule the admin API accepts: a key location, or a
// rule with YAML-troubling subjects and claims.
func randomRule(r *mrand.Rand, clientID, id string, now time.Time) mint.FederatedCredential {
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	if r.IntN(4) == 0 {
		return mint.FederatedCredential{ID: id, ClientID: clientID, Issuer: clientID, Subject: clientID,
			MaxAge: 10 * time.Minute, JWKSURI: "https://keys.example.com/" + id, CreatedAt: now}
	}
	fc := mint.FederatedCredential{ID: id, ClientID: clientID, Issuer: "https://idp.example.com/" + pick(trickyIDs),
		Subject: pick(trickyNames) + id, Audience: "https://mint.example.com/" + pick(trickyIDs),
		MaxAge: time.Duration(1+r.IntN(86400)) * time.Second, CreatedAt: now}
	if r.IntN(2) == 0 {
		fc.Claims = map[string]string{"repository": pick(trickyIDs), pick([]string{"ref", "null", "true", "123"}): "refs/heads/*"}
	}
	if r.IntN(3) == 0 {
		fc.JWKSURI = "https://idp.example.com/jwks"
	}
	return fc
}

// randomTLSAuth is an RFC 8705 registration the admin API accepts, with
// values that trouble a YAML writer; self-signed only with keys.
func randomTLSAuth(r *mrand.Rand, keys bool) mint.TLSAuth {
	values := map[string][]string{
		mint.TLSAuthSubjectDN: {`CN=null,O=Example\, Inc.,C=DE`, "CN=123", "CN=true+OU=x", `CN=x\2Cy,O=a\+b`, "UID=ünï,DC=example,DC=com"},
		mint.TLSAuthSANDNS:    {"null", "true.example", "123.example.com"},
		mint.TLSAuthSANURI:    {"spiffe://example.org/ns/null", "urn:a:b", "https://x.example/?q=#f"},
		mint.TLSAuthSANIP:     {"2001:db8::1", "192.0.2.7", "::"},
		mint.TLSAuthSANEmail:  {"null@example.com", "'q'@example.com"},
	}
	switch n := r.IntN(len(mint.TLSAuthKinds) + 2); {
	case n < len(mint.TLSAuthKinds):
		kind := mint.TLSAuthKinds[n]
		return mint.TLSAuth{Kind: kind, Value: values[kind][r.IntN(len(values[kind]))]}
	case n == len(mint.TLSAuthKinds) && keys:
		return mint.TLSAuth{Kind: mint.TLSAuthSelfSigned}
	}
	return mint.TLSAuth{}
}

func randomQuota(r *mrand.Rand) *int64 {
	switch r.IntN(3) {
	case 0:
		return nil
	case 1:
		n := int64(0)
		return &n
	}
	n := r.Int64N(1_000_000_000_000)
	return &n
}

func randomJWKS(t *testing.T) []byte {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	return fmt.Appendf(nil, `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":%q}]}`, base64.RawURLEncoding.EncodeToString(pub))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestExportRoundTrips: for random states, the export loads without a
// problem and plans nothing against its own state, even with --prune; and
// applied to an empty database it gives a state that exports to the same
// bytes.
func TestExportRoundTrips(t *testing.T) {
	rounds := map[string]int{"sqlite": 25, "postgres": 8}
	if testing.Short() {
		rounds = map[string]int{"sqlite": 5, "postgres": 2}
	}
	schema := validator{root: readSchema(t)}
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			seed := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seed)
			r := mrand.New(mrand.NewPCG(seed, 17))
			for i := range rounds[backend] {
				ctx := ctxOf(t)
				state := randomState(t, ctx, testdb.Open(t, backend), r)
				data, err := Export(state)
				must(t, err)
				if again, _ := Export(state); !bytes.Equal(again, data) {
					t.Fatalf("round %d: two exports of one state differ", i)
				}
				var doc any
				must(t, yaml.Unmarshal(data, &doc))
				if errs := schema.validate(schema.root, doc, ""); len(errs) > 0 {
					t.Fatalf("round %d: the export does not pass the JSON Schema: %v\n%s", i, errs, data)
				}
				cfg, err := LoadBytes("export.yaml", data)
				if err != nil {
					t.Fatalf("round %d: the export does not load: %v\n%s", i, err, data)
				}
				p, err := MakePlan(cfg, state, true)
				if err != nil || len(p.Steps) > 0 {
					t.Fatalf("round %d: export then apply plans %v (%v), want nothing\n%s", i, steps(p), err, data)
				}
				fresh := testdb.Open(t, backend)
				applyPlan(t, ctx, fresh, planFile(t, ctx, fresh, string(data), true))
				copied, err := ReadState(ctx, fresh)
				must(t, err)
				if out, _ := Export(copied); !bytes.Equal(out, data) {
					t.Fatalf("round %d: applied to an empty database, the export exports as\n%s\nnot\n%s", i, out, data)
				}
			}
		})
	}
}
