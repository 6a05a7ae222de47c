package bearer

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mintauth/mint/internal/redirect"
	"github.com/mintauth/mint/oauth"
)

// A metadata fetch follows few redirects, and none from https to http:
// whoever answers the plain request could name keys of their own.
func TestDiscoveryRedirectCap(t *testing.T) {
	var tlsSrv *httptest.Server
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oauth.WriteJSON(w, 200, map[string]string{"issuer": tlsSrv.URL, "jwks_uri": tlsSrv.URL + "/keys"})
	}))
	defer plain.Close()
	tlsSrv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, ok := strings.CutPrefix(r.URL.Path, "/hop/"); ok {
			left, _ := strconv.Atoi(n)
			if left > 0 {
				http.Redirect(w, r, "/hop/"+strconv.Itoa(left-1), http.StatusFound)
				return
			}
			oauth.WriteJSON(w, 200, map[string]string{"issuer": tlsSrv.URL, "jwks_uri": tlsSrv.URL + "/keys"})
			return
		}
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer tlsSrv.Close()

	if _, err := discover(t.Context(), tlsSrv.Client(), tlsSrv.URL); err == nil || !strings.Contains(err.Error(), "https to http") {
		t.Errorf("discovery through an https to http redirect: err %v, want refused", err)
	}

	for hops, ok := range map[int]bool{0: true, maxDocumentRedirects: true, maxDocumentRedirects + 1: false} {
		_, err := jwksURIFrom(t.Context(), documentClient(tlsSrv.Client()), tlsSrv.URL+"/hop/"+strconv.Itoa(hops), tlsSrv.URL)
		if (err == nil) != ok {
			t.Errorf("%d redirects: err %v, want ok=%v", hops, err, ok)
		}
		if err != nil && !errors.Is(err, redirect.ErrRefused) {
			t.Errorf("%d redirects: err %v is not a refused redirect", hops, err)
		}
	}
}

// TestKeySetRedirectCap: the key set is fetched under the same redirect
// rule as the metadata, so an https JWKS URL that redirects to http (where
// anyone on the path could answer with keys of their own) yields no keys.
func TestKeySetRedirectCap(t *testing.T) {
	var plainHits atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainHits.Add(1)
		oauth.WriteJSON(w, 200, map[string]any{"keys": []any{}})
	}))
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/keys", http.StatusTemporaryRedirect)
	}))
	defer tlsSrv.Close()
	j, err := NewJWKS(t.Context(), JWKSConfig{URL: tlsSrv.URL + "/keys", HTTPClient: tlsSrv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Refresh(t.Context()); err == nil || !errors.Is(err, redirect.ErrRefused) {
		t.Errorf("key set through an https to http redirect: err %v, want a refused redirect", err)
	}
	if n := plainHits.Load(); n != 0 {
		t.Errorf("the plain-http key server was asked %d times", n)
	}
}
