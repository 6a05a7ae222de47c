package federation_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// brokenRule trusts iss for client "other", subject "svc".
func (f *fixture) brokenRule(id string, iss *issuer) {
	f.addRule(mint.FederatedCredential{ID: id, ClientID: "other", Issuer: iss.URL(), Subject: "svc",
		Audience: mintIssuer, MaxAge: time.Hour, CreatedAt: f.clock.now()})
}

func (f *fixture) svcToken(iss *issuer) string {
	now := f.clock.now()
	return iss.sign(map[string]any{"iss": iss.URL(), "sub": "svc", "aud": mintIssuer, "jti": iss.jti(),
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("waited 30 s for %s", what)
	}
	var zero T
	return zero
}

// TestBrokenIssuers: an issuer that is down, hangs or answers 50 MB makes
// its own partners' requests fail (invalid_client, not 500, not a hang),
// and never holds up another client's request.
func TestBrokenIssuers(t *testing.T) {
	f := newFixture(t, "sqlite")
	broken := newIssuer(t, jose.ES256)
	f.brokenRule("fed_broken", broken)

	broken.mode.Store(serveDown)
	wantRefused(t, post(t, f.a, assertion(f.svcToken(broken))), 401, "invalid_client", "no trust rule")

	broken.mode.Store(serveHang)
	f.clock.advance(6 * time.Second) // let the unknown kid fetch again
	hungAnswer := make(chan answer, 1)
	go func() { hungAnswer <- post(t, f.a, assertion(f.svcToken(broken))) }()
	waitFor(t, broken.hung, "the fetch to hang")
	// While the broken issuer holds its fetch, another issuer's partner
	// is served: no lock is held over a fetch.
	wantToken(t, post(t, f.a, assertion(f.k8s.sign(f.k8sClaims()))), "another issuer's partner during the hang")
	wantToken(t, post(t, f.a, assertion(f.gh.sign(f.githubClaims()))), "a third issuer's partner during the hang")
	a := waitFor(t, hungAnswer, "the hung issuer's partner to be answered")
	wantRefused(t, a, 401, "invalid_client", "no trust rule")
	broken.release()

	huge := newIssuer(t, jose.ES256)
	huge.mode.Store(serveHuge)
	f.brokenRule("fed_huge", huge)
	wantRefused(t, post(t, f.a, assertion(f.svcToken(huge))), 401, "invalid_client", "no trust rule")
	if whole := waitFor(t, huge.ended, "the huge answer to end"); whole {
		t.Fatalf("mint read the whole 50 MB answer")
	}
	if sent := huge.sent.Load(); sent > 20<<20 {
		t.Errorf("the issuer wrote %d MB before mint hung up", sent>>20)
	}
}

// TestPartnerMint: a partner running its own mint gives its workload a
// token for an API whose audience is this mint's issuer, and this mint
// trusts that partner's issuer for the workload's client id.
func TestPartnerMint(t *testing.T) {
	f := newFixture(t, "sqlite")
	ts := httptest.NewUnstartedServer(nil)
	partnerIssuer := "http://" + ts.Listener.Addr().String()
	partner, err := server.New(context.Background(), server.Config{DB: testdb.New(t, "sqlite"), Issuer: partnerIssuer,
		MasterKey: keyring.NewMasterKey()})
	must(t, err)
	t.Cleanup(func() { partner.Close() })
	ts.Config.Handler = partner.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	ctx := context.Background()
	s, now := partner.Store(), time.Now()
	must(t, s.CreateAPI(ctx, mint.API{ID: "api_upstream", Name: "upstream mint", Audience: mintIssuer, Scopes: []string{"exchange"},
		TokenLifetime: 10 * time.Minute, CreatedAt: now, UpdatedAt: now}))
	must(t, s.CreateClient(ctx, mint.Client{ID: "ci-bot", Name: "ci-bot", CreatedAt: now, UpdatedAt: now},
		mint.Secret{ID: "sec_bot", ClientID: "ci-bot", Digest: secret.Digest("mint_bot-secret"), CreatedAt: now}))
	must(t, s.CreateGrant(ctx, mint.Grant{ID: "grant_bot", ClientID: "ci-bot", Audience: mintIssuer, Scopes: []string{"exchange"},
		CreatedAt: now, UpdatedAt: now}))
	f.addRule(mint.FederatedCredential{ID: "fed_partner_mint", ClientID: "partner", Issuer: partnerIssuer,
		Subject: "ci-bot@clients", Audience: mintIssuer, MaxAge: 15 * time.Minute, CreatedAt: f.clock.now()})

	up := post(t, replica{srv: partner, url: ts.URL}, url.Values{"grant_type": {"client_credentials"},
		"client_id": {"ci-bot"}, "client_secret": {"mint_bot-secret"}, "audience": {mintIssuer}})
	if up.status != 200 {
		t.Fatalf("partner's mint: %d %v", up.status, up.body)
	}
	wantToken(t, post(t, f.a, assertion(up.str("access_token"))), "the partner mint's token")
	wantRefused(t, post(t, f.a, assertion(up.str("access_token"))), 401, "invalid_client", "used already")
}
