package keyring_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint"
	"github.com/mintauth/mint/keyring"
	"github.com/mintauth/mint/sqlite"
)

// epoch is the fixed clock of these tests.
var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return epoch }

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// openStore opens the SQLite store at path; opening the same path twice is
// what two replicas sharing one database do.
func openStore(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(testContext(t), path)
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func openRing(t testing.TB, store mint.Store) *keyring.Ring {
	t.Helper()
	r, err := keyring.Open(testContext(t), store, clock)
	if err != nil {
		t.Fatalf("keyring.Open: %v", err)
	}
	return r
}

// newRing opens a ring on a fresh database and returns it with the path.
func newRing(t testing.TB) (*keyring.Ring, *sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mint.db")
	store := openStore(t, path)
	return openRing(t, store), store, path
}

func listKeys(t *testing.T, store mint.Store) []mint.SigningKey {
	t.Helper()
	keys, err := store.ListSigningKeys(testContext(t))
	if err != nil {
		t.Fatalf("ListSigningKeys: %v", err)
	}
	return keys
}

// thumbprint computes the RFC 7638 SHA-256 thumbprint of pub, base64url.
func thumbprint(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatalf("Thumbprint: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

func TestOpen(t *testing.T) {
	tests := []struct {
		name string
		// second returns the store the second Open runs on.
		second func(t *testing.T, first *sqlite.Store, path string) *sqlite.Store
	}{
		{"SameStore", func(_ *testing.T, first *sqlite.Store, _ string) *sqlite.Store { return first }},
		{"AnotherReplicaOnTheSameFile", func(t *testing.T, _ *sqlite.Store, path string) *sqlite.Store {
			return openStore(t, path)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mint.db")
			store := openStore(t, path)
			if keys := listKeys(t, store); len(keys) != 0 {
				t.Fatalf("a new store holds %d keys", len(keys))
			}

			first := openRing(t, store)
			keys := listKeys(t, store)
			if len(keys) != 1 {
				t.Fatalf("after the first Open the store holds %d keys, want 1", len(keys))
			}
			k := keys[0]
			if k.Algorithm != "RS256" || k.State != mint.KeyActive {
				t.Errorf("stored key is %s %s, want RS256 active", k.Algorithm, k.State)
			}
			if !k.CreatedAt.Equal(epoch) {
				t.Errorf("stored key created at %v, want the injected clock's %v", k.CreatedAt, epoch)
			}
			priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
			if err != nil {
				t.Fatalf("stored key is not PKCS #8: %v", err)
			}
			rsaKey, ok := priv.(*rsa.PrivateKey)
			if !ok {
				t.Fatalf("stored key is a %T, want *rsa.PrivateKey", priv)
			}
			if bits := rsaKey.N.BitLen(); bits < 2048 {
				t.Errorf("RSA modulus is %d bits, want at least 2048", bits)
			}
			if first.ActiveKeyID() != k.ID {
				t.Errorf("ActiveKeyID = %q, want the stored key %q", first.ActiveKeyID(), k.ID)
			}

			second := openRing(t, tt.second(t, store, path))
			if second.ActiveKeyID() != first.ActiveKeyID() {
				t.Errorf("second Open signs with %q, first with %q", second.ActiveKeyID(), first.ActiveKeyID())
			}
			if keys := listKeys(t, store); len(keys) != 1 {
				t.Errorf("after the second Open the store holds %d keys, want 1", len(keys))
			}
			if got := kids(second.PublicKeys()); !slices.Equal(got, []string{k.ID}) {
				t.Errorf("second ring publishes %v, want [%s]", got, k.ID)
			}
		})
	}
}

// TestOpenConcurrently starts replicas at once on one empty database; they
// must end up with one key between them.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mint.db")
	stores := make([]*sqlite.Store, 4)
	for i := range stores {
		stores[i] = openStore(t, path)
	}
	rings := make([]*keyring.Ring, len(stores))
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { rings[i], errs[i] = keyring.Open(testContext(t), s, clock) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: Open: %v", i, err)
		}
	}
	keys := listKeys(t, stores[0])
	if len(keys) != 1 {
		t.Fatalf("racing replicas stored %d keys, want 1", len(keys))
	}
	for i, r := range rings {
		if r.ActiveKeyID() != keys[0].ID {
			t.Errorf("replica %d signs with %q, want the stored %q", i, r.ActiveKeyID(), keys[0].ID)
		}
	}
}

func TestKeyIDIsThumbprint(t *testing.T) {
	r, store, _ := newRing(t)
	keys := listKeys(t, store)
	priv, err := x509.ParsePKCS8PrivateKey(keys[0].PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"StoredPrivateKey", priv.(crypto.Signer).Public()},
		{"PublishedKey", r.PublicKeys().Keys[0].Key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := thumbprint(t, tt.pub); r.ActiveKeyID() != want {
				t.Errorf("kid = %q, RFC 7638 thumbprint = %q", r.ActiveKeyID(), want)
			}
		})
	}
}

func TestSign(t *testing.T) {
	r, _, _ := newRing(t)
	claims := jwt.Claims{
		Issuer:   "https://mint.example.com/",
		Subject:  "cli_0123456789abcdefABCDEF012345",
		Audience: jwt.Audience{"https://api.example.com"},
		IssuedAt: jwt.NewNumericDate(epoch),
		Expiry:   jwt.NewNumericDate(epoch.Add(time.Hour)),
		ID:       "tok_1",
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	token, err := r.Sign(payload)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}

	t.Run("CompactHeader", func(t *testing.T) {
		parts := strings.Split(token, ".")
		if len(parts) != 3 {
			t.Fatalf("token has %d parts, want 3 (compact JWS)", len(parts))
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[0])
		if err != nil {
			t.Fatalf("header is not base64url: %v", err)
		}
		var header map[string]any
		if err := json.Unmarshal(raw, &header); err != nil {
			t.Fatalf("header is not JSON: %v", err)
		}
		want := map[string]any{"alg": "RS256", "kid": r.ActiveKeyID(), "typ": "at+jwt"}
		if len(header) != len(want) {
			t.Errorf("header = %s, want exactly alg, kid, typ", raw)
		}
		for k, v := range want {
			if header[k] != v {
				t.Errorf("header %q = %v, want %v", k, header[k], v)
			}
		}
	})

	t.Run("ParsedHeader", func(t *testing.T) {
		jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatalf("ParseSigned: %v", err)
		}
		if n := len(jws.Signatures); n != 1 {
			t.Fatalf("%d signatures, want 1", n)
		}
		h := jws.Signatures[0].Protected
		if h.Algorithm != "RS256" || h.KeyID != r.ActiveKeyID() || h.ExtraHeaders[jose.HeaderType] != keyring.TokenType {
			t.Errorf("protected header alg=%q kid=%q typ=%v, want RS256 %q at+jwt",
				h.Algorithm, h.KeyID, h.ExtraHeaders[jose.HeaderType], r.ActiveKeyID())
		}
		if h.JSONWebKey != nil {
			t.Error("header embeds a jwk; verifiers must take keys from the JWKS only")
		}
	})

	published, ok, err := r.LookupKey(testContext(t), r.ActiveKeyID())
	if err != nil || !ok {
		t.Fatalf("LookupKey(active) = %v, %v", ok, err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Split(token, ".")
	forged, err := json.Marshal(jwt.Claims{Subject: "cli_attacker", Audience: claims.Audience})
	if err != nil {
		t.Fatal(err)
	}
	tampered[1] = base64.RawURLEncoding.EncodeToString(forged)

	tests := []struct {
		name   string
		token  string
		key    any
		wantOK bool
	}{
		{"VerifiesWithPublishedKey", token, published, true},
		{"VerifiesWithBareRSAKey", token, published.Key, true},
		{"RejectsAnotherKey", token, &other.PublicKey, false},
		{"RejectsChangedPayload", strings.Join(tampered, "."), published, false},
		{"RejectsTruncatedSignature", token[:len(token)-4], published, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := jwt.ParseSigned(tt.token, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				if tt.wantOK {
					t.Fatalf("jwt.ParseSigned: %v", err)
				}
				return
			}
			var got jwt.Claims
			err = tok.Claims(tt.key, &got)
			if !tt.wantOK {
				if err == nil {
					t.Errorf("Claims verified, want a signature error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Claims: %v", err)
			}
			if got.Subject != claims.Subject || got.ID != claims.ID || !slices.Equal(got.Audience, claims.Audience) ||
				*got.Expiry != *claims.Expiry {
				t.Errorf("claims = %+v, want %+v", got, claims)
			}
		})
	}
}

// TestSignConcurrently signs from many goroutines while the ring reloads;
// run with -race.
func TestSignConcurrently(t *testing.T) {
	r, _, _ := newRing(t)
	pub, _, _ := r.LookupKey(testContext(t), r.ActiveKeyID())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 8 {
		wg.Go(func() {
			for range 4 {
				tok, err := r.Sign([]byte(`{"sub":"x"}`))
				if err == nil {
					var jws *jose.JSONWebSignature
					if jws, err = jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256}); err == nil {
						_, err = jws.Verify(pub)
					}
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for range 4 {
			if err := r.Reload(testContext(t)); err != nil {
				errs <- err
			}
			_ = r.PublicKeys()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

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

// TestReload: a second Open on the same file is another replica; a key it
// sees in the store reaches the first ring on Reload, not before.
func TestReload(t *testing.T) {
	ctx := testContext(t)
	a, storeA, path := newRing(t)
	storeB := openStore(t, path)
	b := openRing(t, storeB)
	if a.ActiveKeyID() != b.ActiveKeyID() {
		t.Fatalf("replicas sign with %q and %q", a.ActiveKeyID(), b.ActiveKeyID())
	}
	first := a.ActiveKeyID()

	t.Run("PublishesAKeyAddedByAnotherReplica", func(t *testing.T) {
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(ec)
		if err != nil {
			t.Fatal(err)
		}
		esKID := thumbprint(t, &ec.PublicKey)
		_, err = storeB.EnsureActiveKey(ctx, mint.SigningKey{
			ID: esKID, Algorithm: "ES256", PrivateKey: der, State: mint.KeyActive, CreatedAt: epoch.Add(time.Minute),
		})
		if err != nil {
			t.Fatalf("EnsureActiveKey(ES256): %v", err)
		}
		if err := b.Reload(ctx); err != nil {
			t.Fatalf("b.Reload: %v", err)
		}
		if _, found, _ := a.LookupKey(ctx, esKID); found {
			t.Error("a published the new key before Reload")
		}
		if err := a.Reload(ctx); err != nil {
			t.Fatalf("a.Reload: %v", err)
		}
		if got, want := kids(a.PublicKeys()), kids(b.PublicKeys()); !slices.Equal(got, want) || len(got) != 2 {
			t.Errorf("after Reload a publishes %v, b publishes %v; want the same two keys", got, want)
		}
		k, found, _ := a.LookupKey(ctx, esKID)
		if !found || !k.IsPublic() || k.Algorithm != "ES256" {
			t.Errorf("LookupKey(ES256 kid) found %v public %v alg %q", found, k.IsPublic(), k.Algorithm)
		}
		if a.ActiveKeyID() != first {
			t.Errorf("a ES256 key changed the RS256 signer to %q", a.ActiveKeyID())
		}
	})

	t.Run("SignsWithTheRotatedKeyAndKeepsPublishingTheOld", func(t *testing.T) {
		next := rotateRS256(t, path)
		if err := a.Reload(ctx); err != nil {
			t.Fatalf("Reload: %v", err)
		}
		if a.ActiveKeyID() != next {
			t.Fatalf("after Reload a signs with %q, want the rotated key %q", a.ActiveKeyID(), next)
		}
		tok, err := a.Sign([]byte(`{"sub":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		if kid := jws.Signatures[0].Protected.KeyID; kid != next {
			t.Errorf("token kid %q, want %q", kid, next)
		}
		pub, found, _ := a.LookupKey(ctx, next)
		if !found {
			t.Fatal("rotated key is not published")
		}
		if _, err := jws.Verify(pub); err != nil {
			t.Errorf("token does not verify with the published rotated key: %v", err)
		}
		if _, found, _ := a.LookupKey(ctx, first); !found {
			t.Error("the retired key is no longer published; tokens it signed stop verifying")
		}
	})

	t.Run("FailedReloadKeepsTheKeys", func(t *testing.T) {
		before := a.ActiveKeyID()
		// A row this ring cannot parse: Reload must fail and change nothing.
		_, err := storeA.EnsureActiveKey(ctx, mint.SigningKey{
			ID: "broken", Algorithm: "PS256", PrivateKey: []byte("not DER"), State: mint.KeyActive, CreatedAt: epoch,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Reload(ctx); err == nil {
			t.Fatal("Reload accepted an unparsable key")
		}
		if a.ActiveKeyID() != before {
			t.Errorf("failed Reload changed the signer to %q", a.ActiveKeyID())
		}
		if _, err := a.Sign([]byte(`{}`)); err != nil {
			t.Errorf("Sign after a failed Reload: %v", err)
		}
	})
}

// rotateRS256 retires the active RS256 key and stores a new active one, in
// the database at path. mint.Store has no rotation method yet, so this goes
// to the table directly, as an operator's rotation would.
func rotateRS256(t *testing.T, path string) string {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	kid := thumbprint(t, &priv.PublicKey)

	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := testContext(t)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx,
		`UPDATE signing_keys SET state = 'retired' WHERE algorithm = 'RS256' AND state = 'active'`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO signing_keys (id, algorithm, private_key, state, created_at) VALUES (?, 'RS256', ?, 'active', ?)`,
		kid, der, epoch.Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return kid
}

// benchPayload is the size of a typical access token's claims.
var benchPayload = []byte(`{"iss":"https://mint.example.com/","sub":"cli_0123456789abcdefABCDEF012345",` +
	`"aud":"https://api.example.com","client_id":"cli_0123456789abcdefABCDEF012345",` +
	`"scope":"read:orders write:orders","iat":1740830400,"exp":1740834000,"jti":"tok_0123456789abcdefghij"}`)

// BenchmarkSign measures the RS256 signing ceiling: every token costs one
// 2048-bit RSA private-key operation.
func BenchmarkSign(b *testing.B) {
	r, _, _ := newRing(b)
	b.Run("Serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Sign(benchPayload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := r.Sign(benchPayload); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
