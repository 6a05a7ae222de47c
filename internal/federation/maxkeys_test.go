package federation_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
)

// TestPartnerKeySetBounded: a partner's key set (or a client's key URL)
// is a stranger's choice of work: every key costs a check on each fetch,
// and a made-up kid triggers one. A set of more than federation.MaxKeys
// keys is refused whole; one at the bound serves.
func TestPartnerKeySetBounded(t *testing.T) {
	for _, tt := range []struct {
		n     int
		found bool
	}{{federation.MaxKeys, true}, {federation.MaxKeys + 1, false}, {1000, false}} {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			set := jose.JSONWebKeySet{}
			for i := range tt.n {
				k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public(), KeyID: fmt.Sprintf("k%d", i), Algorithm: "ES256", Use: "sig"})
			}
			body, _ := json.Marshal(set)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
			t.Cleanup(srv.Close)
			f := &federation.KeyFetcher{LookupWait: 5 * time.Second}
			rule := mint.FederatedCredential{ID: "fed_1", ClientID: "partner", Issuer: "https://partner.example", Subject: "ci", JWKSURI: srv.URL + "/jwks"}
			_, err := f.Key(context.Background(), rule, "k0")
			if found := err == nil; found != tt.found {
				t.Fatalf("a set of %d keys: found %v (%v), want %v", tt.n, found, err, tt.found)
			}
		})
	}
}
