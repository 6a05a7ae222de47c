package federation_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
)

// TestPartnerCannotAimFetchesAtMintsNetwork: an admin trusts a partner's
// issuer; the partner's discovery document (or a redirect it answers
// with) names a host of mint's own network — another loopback port (a
// local admin API), "localhost" (a DNS name resolving to loopback), the
// cloud metadata address, a private address. mint must not connect
// there, even with --federation-allow-http, the most permissive setting.
func TestPartnerCannotAimFetchesAtMintsNetwork(t *testing.T) {
	var victimHits atomic.Int64
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		victimHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"keys":[]}`)
	}))
	t.Cleanup(victim.Close)
	port := victim.URL[strings.LastIndexByte(victim.URL, ':')+1:]

	targets := []struct{ name, url string }{
		{"other loopback port", victim.URL + "/jwks"},
		{"localhost resolving to loopback", "http://localhost:" + port + "/jwks"},
		{"ipv6 loopback", "http://[::1]:" + port + "/jwks"},
		{"ipv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/jwks"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data/"},
		{"private", "http://10.0.0.1/jwks"},
		{"unspecified", "http://0.0.0.0:" + port + "/jwks"},
	}
	for _, via := range []string{"discovery", "redirect"} {
		for _, target := range targets {
			t.Run(via+"/"+target.name, func(t *testing.T) {
				var partner *httptest.Server
				partner = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch {
					case strings.HasSuffix(r.URL.Path, "/openid-configuration") && via == "discovery":
						fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, partner.URL, target.url)
					case strings.HasSuffix(r.URL.Path, "/openid-configuration"):
						fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, partner.URL, partner.URL+"/jwks")
					case r.URL.Path == "/jwks":
						http.Redirect(w, r, target.url, http.StatusFound)
					default:
						http.NotFound(w, r)
					}
				}))
				t.Cleanup(partner.Close)
				before := victimHits.Load()
				f := &federation.KeyFetcher{AllowHTTP: true, LookupWait: 5 * time.Second}
				rule := mint.FederatedCredential{ID: "fed_1", ClientID: "partner", Issuer: partner.URL, Subject: "ci"}
				_, err := f.Key(context.Background(), rule, "k1")
				if err == nil {
					t.Fatal("a key was found")
				}
				if n := victimHits.Load() - before; n != 0 {
					t.Fatalf("mint fetched from %s %d times on the partner's word", target.url, n)
				}
			})
		}
	}

	// What the admin names is fetched, loopback included: the admin's
	// choice, not the partner's.
	t.Run("named by the rule", func(t *testing.T) {
		f := &federation.KeyFetcher{AllowHTTP: true, LookupWait: 5 * time.Second}
		before := victimHits.Load()
		rule := mint.FederatedCredential{ID: "fed_2", ClientID: "partner", Issuer: "https://partner.example", Subject: "ci", JWKSURI: victim.URL + "/jwks"}
		_, _ = f.Key(context.Background(), rule, "k1")
		if victimHits.Load() == before {
			t.Fatal("the key set URL the rule names was not fetched")
		}
	})
}
