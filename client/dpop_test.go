package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/client"
)

// nonceServer is a token endpoint and an API that each demand their own
// DPoP nonce once, as RFC 9449 §8 and §9 servers do, and check every proof
// with the real checker.
type nonceServer struct {
	srv                    *httptest.Server
	tokenCalls, apiCalls   atomic.Int32
	tokenNonce, apiNonce   string
	sawTokenAth, apiScheme atomic.Value
}

func newNonceServer(t *testing.T) *nonceServer {
	s := &nonceServer{tokenNonce: "token-nonce-1", apiNonce: "api-nonce-1"}
	checker := &dpop.Checker{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		s.tokenCalls.Add(1)
		p, err := checker.Check(r.Context(), r.Header, dpop.Request{Method: "POST", URL: s.srv.URL + "/oauth/token"})
		w.Header().Set("Content-Type", "application/json")
		switch {
		case err != nil:
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":"invalid_dpop_proof","error_description":%q}`, err.Error())
		case p.Nonce != s.tokenNonce:
			w.Header().Set("DPoP-Nonce", s.tokenNonce)
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"use_dpop_nonce"}`)
		default:
			fmt.Fprint(w, `{"access_token":"tok-123","token_type":"DPoP","expires_in":3600}`)
		}
	})
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		s.apiCalls.Add(1)
		s.apiScheme.Store(r.Header.Get("Authorization"))
		p, err := checker.Check(r.Context(), r.Header, dpop.Request{Method: "GET", URL: s.srv.URL + "/api", AccessToken: "tok-123"})
		switch {
		case err != nil:
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_dpop_proof"`)
			w.WriteHeader(401)
		case p.Nonce != s.apiNonce:
			w.Header().Set("DPoP-Nonce", s.apiNonce)
			w.Header().Set("WWW-Authenticate", `DPoP error="use_dpop_nonce", algs="ES256"`)
			w.WriteHeader(401)
		default:
			fmt.Fprint(w, "ok")
		}
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func TestDPoPAnswersNonceChallenges(t *testing.T) {
	s := newNonceServer(t)
	p, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &client.Config{TokenURL: s.srv.URL + "/oauth/token", ClientID: "c", ClientSecret: "s", DPoP: p}
	hc := cfg.Client(context.Background())
	for i := range 3 {
		resp, err := hc.Get(s.srv.URL + "/api?page=" + fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %s", i, resp.Status)
		}
	}
	// One nonce challenge at each, then the nonce is reused.
	if got := s.tokenCalls.Load(); got != 2 {
		t.Errorf("token requests = %d, want 2 (one challenged)", got)
	}
	if got := s.apiCalls.Load(); got != 4 {
		t.Errorf("API requests = %d, want 4 (one challenged, then 3)", got)
	}
	if got, _ := s.apiScheme.Load().(string); !strings.HasPrefix(got, "DPoP tok-123") {
		t.Errorf("Authorization = %q", got)
	}
}

// TestDPoPNonceChallengeAnsweredOnce: a server that keeps asking for a
// new nonce gets two tries, not a loop.
func TestDPoPNonceChallengeAnsweredOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		w.Header().Set("DPoP-Nonce", fmt.Sprint("nonce-", n))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"use_dpop_nonce"}`)
	}))
	defer srv.Close()
	p, _ := dpop.GenerateProver()
	cfg := &client.Config{TokenURL: srv.URL, ClientID: "c", ClientSecret: "s", DPoP: p}
	_, err := cfg.TokenSource(context.Background()).Token()
	if err == nil || !strings.Contains(err.Error(), "use_dpop_nonce") {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d token requests, want 2", calls.Load())
	}
}
