package bearer_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
)

// TestDPoPFloodOneClient is issue 19's attack through the middleware over
// real HTTP: one partner holding one valid DPoP-bound token sends fresh
// proofs without end, under many keys. It is answered 429 with
// Retry-After once past its share, while another partner's requests are
// all still served and a replayed proof is still refused as a replay.
func TestDPoPFloodOneClient(t *testing.T) {
	const share = 16
	mem := &dpop.Memory{Window: time.Minute, Max: 4 * share, PerHolder: share}
	a := newDPoPAPI(t, &dpop.Checker{Replay: mem})
	mem.Now = func() time.Time { return epoch }
	url := a.srv.URL + "/ws/rest/Cargo"

	// The flooder: its client's tokens bound to a key of each, all one
	// holder (the same issuer and client).
	served, limited := 0, 0
	for i := range 200 {
		p := a.prover
		if i%2 == 1 {
			p = newProver(t)
		}
		tok := a.boundToken(t, p, "read:cargo")
		resp, body := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, p, "GET", url, tok, "")}})
		switch resp.StatusCode {
		case http.StatusOK:
			served++
		case http.StatusTooManyRequests:
			limited++
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
				t.Fatalf("Retry-After %q, want 1 to 60 s", resp.Header.Get("Retry-After"))
			}
			if h := resp.Header.Get("WWW-Authenticate"); h != "" {
				t.Fatalf("429 with a challenge %q: no new token would help", h)
			}
		default:
			t.Fatalf("flood request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if served != share || limited != 200-share {
		t.Fatalf("flooder: %d served, %d limited; want %d and the rest", served, limited, share)
	}

	// Another partner: all its requests served under the flood.
	other := newProver(t)
	otherTok := a.key.sign(t, a.iss.claims(map[string]any{"sub": "billing-client", "client_id": "billing-client",
		"cnf": map[string]string{"jkt": other.JKT()}}))
	var first string
	for i := range share {
		pr := proof(t, other, "GET", url, otherTok, "")
		if i == 0 {
			first = pr
		}
		if resp, body := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + otherTok, proofs: []string{pr}}); resp.StatusCode != 200 {
			t.Fatalf("other partner's request %d under the flood: %d %s", i, resp.StatusCode, body)
		}
	}
	// A replay stays a replay (401), not a rate limit.
	resp, body := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + otherTok, proofs: []string{first}})
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
		t.Fatalf("replayed proof under the flood: %d %s", resp.StatusCode, body)
	}
	// Without a client_id or sub, the key is the holder.
	lone := newProver(t)
	loneTok := a.key.sign(t, a.iss.claims(map[string]any{"sub": nil, "client_id": nil, "cnf": map[string]string{"jkt": lone.JKT()}}))
	if resp, body := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + loneTok, proofs: []string{proof(t, lone, "GET", url, loneTok, "")}}); resp.StatusCode != 200 {
		t.Fatalf("token without a client: %d %s", resp.StatusCode, body)
	}
}
