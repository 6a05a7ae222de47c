package federation_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
)

// TestPartnerCannotAimFetchesThroughTheProxy: with an outbound proxy
// (HTTPS_PROXY, or a transport's Proxy), mint dials only the proxy, so the
// dial-time check that keeps partner-chosen hosts off mint's network never
// sees the address the proxy connects to. A partner's discovery document
// naming a DNS name of mint's network ("localhost" here; an internal
// service name in real life) must still be refused before the request is
// handed to the proxy, which would fetch it from inside.
func TestPartnerCannotAimFetchesThroughTheProxy(t *testing.T) {
	const partner = "http://partner.example"
	var mu sync.Mutex
	var fetched []string // the hosts the proxy was asked for
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fetched = append(fetched, r.URL.Host)
		mu.Unlock()
		switch {
		case r.URL.Host == "partner.example" && strings.HasSuffix(r.URL.Path, "/openid-configuration"):
			fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, partner, "http://localhost:9/jwks")
		case r.URL.Host == "partner.example" && r.URL.Path == "/redirect":
			http.Redirect(w, r, "http://localhost:9/jwks", http.StatusFound)
		default:
			fmt.Fprint(w, `{"keys":[]}`)
		}
	}))
	t.Cleanup(proxy.Close)
	proxyURL, _ := url.Parse(proxy.URL)
	client := &http.Client{Transport: &http.Transport{Proxy: func(*http.Request) (*url.URL, error) { return proxyURL, nil }}}
	for _, rule := range []mint.FederatedCredential{
		{ID: "fed_1", ClientID: "partner", Issuer: partner, Subject: "ci"},                                 // discovery names it
		{ID: "fed_2", ClientID: "partner", Issuer: partner, Subject: "ci", JWKSURI: partner + "/redirect"}, // a redirect does
	} {
		t.Run(rule.ID, func(t *testing.T) {
			mu.Lock()
			fetched = nil
			mu.Unlock()
			f := &federation.KeyFetcher{AllowHTTP: true, HTTPClient: client, LookupWait: 5 * time.Second}
			if _, err := f.Key(context.Background(), rule, "k1"); err == nil {
				t.Fatal("a key was found")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(fetched) == 0 {
				t.Fatal("control: the partner's own host was not fetched through the proxy")
			}
			for _, host := range fetched {
				if host != "partner.example" {
					t.Errorf("the proxy was asked for %s on the partner's word (all: %v)", host, fetched)
				}
			}
		})
	}
}
