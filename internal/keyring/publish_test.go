package keyring_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestPublicKeys(t *testing.T) {
	r, _, _ := newRing(t)
	set := r.PublicKeys()
	if len(set.Keys) != 1 {
		t.Fatalf("PublicKeys has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if !k.IsPublic() || !k.Valid() {
		t.Errorf("published key: public %v, valid %v; want both", k.IsPublic(), k.Valid())
	}
	raw, err := json.Marshal(set)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 1 {
		t.Fatalf("marshalled set has %d keys, want 1", len(doc.Keys))
	}
	member := doc.Keys[0]
	tests := []struct {
		name    string
		member  string
		present bool
		want    any
	}{
		{"KeyType", "kty", true, "RSA"},
		{"Use", "use", true, "sig"},
		{"Algorithm", "alg", true, "RS256"},
		{"KeyID", "kid", true, r.ActiveKeyID()},
		{"Modulus", "n", true, nil},
		{"Exponent", "e", true, "AQAB"},
		{"NoPrivateExponent", "d", false, nil},
		{"NoFirstPrime", "p", false, nil},
		{"NoSecondPrime", "q", false, nil},
		{"NoFirstCRTExponent", "dp", false, nil},
		{"NoSecondCRTExponent", "dq", false, nil},
		{"NoCRTCoefficient", "qi", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := member[tt.member]
			if ok != tt.present {
				t.Fatalf("member %q present = %v, want %v (key: %s)", tt.member, ok, tt.present, raw)
			}
			if tt.want != nil && v != tt.want {
				t.Errorf("member %q = %v, want %v", tt.member, v, tt.want)
			}
		})
	}

	t.Run("ReturnsACopy", func(t *testing.T) {
		got := r.PublicKeys()
		got.Keys[0] = jose.JSONWebKey{KeyID: "clobbered"}
		if kid := r.PublicKeys().Keys[0].KeyID; kid != r.ActiveKeyID() {
			t.Errorf("changing the returned set changed the ring: kid %q", kid)
		}
	})
}

func TestLookupKey(t *testing.T) {
	r, _, _ := newRing(t)
	active := r.ActiveKeyID()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		kid       string
		wantFound bool
	}{
		{"ActiveKey", active, true},
		{"Empty", "", false},
		{"Unknown", "no-such-key", false},
		{"PrefixOfActive", active[:len(active)-1], false},
		{"AnotherKeysThumbprint", thumbprint(t, &ec.PublicKey), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, found, err := r.LookupKey(testContext(t), tt.kid)
			if err != nil {
				t.Fatalf("LookupKey: %v", err)
			}
			if found != tt.wantFound {
				t.Fatalf("LookupKey(%q) found = %v, want %v", tt.kid, found, tt.wantFound)
			}
			if !found {
				if k.Key != nil {
					t.Errorf("not found, yet a key was returned: %+v", k)
				}
				return
			}
			if k.KeyID != tt.kid || !k.IsPublic() || k.Algorithm != "RS256" || k.Use != "sig" {
				t.Errorf("LookupKey = kid %q public %v alg %q use %q", k.KeyID, k.IsPublic(), k.Algorithm, k.Use)
			}
		})
	}
}

func TestServeJWKS(t *testing.T) {
	r, _, _ := newRing(t)
	srv := httptest.NewServer(http.HandlerFunc(r.ServeJWKS))
	t.Cleanup(srv.Close)

	res, err := srv.Client().Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, got, want string
	}{
		{"Status", res.Status, "200 OK"},
		{"ContentType", res.Header.Get("Content-Type"), "application/json"},
		{"CacheControl", res.Header.Get("Cache-Control"), "public, max-age=300"},
		{"NoPragma", res.Header.Get("Pragma"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}

	t.Run("BodyIsAJWKSet", func(t *testing.T) {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(body, &set); err != nil {
			t.Fatalf("body is not a JWK Set: %v\n%s", err, body)
		}
		keys := set.Key(r.ActiveKeyID())
		if len(keys) != 1 {
			t.Fatalf("set holds %d keys with the active kid, want 1: %s", len(keys), body)
		}
		if !keys[0].IsPublic() || keys[0].Use != "sig" || keys[0].Algorithm != "RS256" {
			t.Errorf("served key public %v use %q alg %q", keys[0].IsPublic(), keys[0].Use, keys[0].Algorithm)
		}
		if strings.Contains(string(body), `"d"`) {
			t.Errorf("served JWKS holds a private member: %s", body)
		}
	})
}
