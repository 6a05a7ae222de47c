package bearer_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/bearer/dpop"
)

// TestAttackReplayWithCheckerOfOwn: docs/sender-constrained.md tells Go
// APIs to turn nonces on with bearer.WithDPoP(&dpop.Checker{Nonces: …}).
// A Checker's zero Replay checks no replay: following the doc turned jti
// replay detection off, and a proof (with the token it was sent with)
// captured from a log or a proxy worked again and again for its minute.
// A Checker given without a replay cache must still refuse the second
// use, with or without nonces, and keep a window as long as its own.
func TestAttackReplayWithCheckerOfOwn(t *testing.T) {
	c := newClock()
	nonces := &dpop.Nonces{Key: []byte("0123456789abcdef0123456789abcdef"), Now: c.Now}
	for _, tt := range []struct {
		name    string
		checker *dpop.Checker
		later   time.Duration // when the replay comes, within the proof's window
	}{
		{"nonces, as the doc says", &dpop.Checker{Nonces: nonces, Now: c.Now}, 30 * time.Second},
		{"a longer window of its own", &dpop.Checker{MaxAge: 10 * time.Minute, Now: c.Now}, 5 * time.Minute},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.now = epoch
			key := newKey(t, jose.ES256)
			iss := newIssuer(t, key)
			srv := httptest.NewServer(protected(t, newVerifier(t, iss, c), bearer.WithDPoP(tt.checker)))
			t.Cleanup(srv.Close)
			p := newProver(t)
			tok := key.sign(t, iss.claims(map[string]any{"cnf": map[string]string{"jkt": p.JKT()}, "scope": "read:cargo"}))
			raw := proof(t, p, "GET", srv.URL+"/ws/rest/Cargo", tok, nonces.Issue())
			send := func() int {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ws/rest/Cargo", nil)
				req.Header.Set("Authorization", "DPoP "+tok)
				req.Header.Set("DPoP", raw)
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if got := send(); got != 200 {
				t.Fatalf("first use: %d", got)
			}
			c.now = epoch.Add(tt.later)
			if got := send(); got != 401 {
				t.Fatalf("the same proof %v later: %d, want 401", tt.later, got)
			}
		})
	}
}
