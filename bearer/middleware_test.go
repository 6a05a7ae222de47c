package bearer_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	goldenfile "github.com/mintauth/mint/internal/golden"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
)

// seedURL is the request of the seed's example answer.
const seedURL = "http://platform-dev.dataloy.com/ws/rest/Cargo?filter=subCargos.freight%28GTE%292500000"

// protected is an API behind the middleware: /ws/rest/ needs a token,
// /ws/rest/write/ also the write:cargo scope.
func protected(t testing.TB, v *bearer.Verifier, opts ...bearer.Option) http.Handler {
	t.Helper()
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "client=%s scopes=%v aud=%v\n",
			bearer.ClientID(r.Context()), bearer.Scopes(r.Context()), bearer.Audience(r.Context()))
	})
	mux := http.NewServeMux()
	mux.Handle("/ws/rest/", echo)
	mux.Handle("/ws/rest/write/", bearer.RequireScopes("write:cargo", "read:cargo")(echo))
	opts = append([]bearer.Option{bearer.WithClock(func() time.Time { return epoch })}, opts...)
	return bearer.Middleware(v, opts...)(mux)
}

func newVerifier(t testing.TB, iss *issuer, c *clock) *bearer.Verifier {
	t.Helper()
	keys, err := bearer.NewJWKS(t.Context(), bearer.JWKSConfig{Issuer: iss.url(), Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &bearer.Verifier{Issuer: iss.url(), Audiences: []string{testAudience}, Keys: keys, Now: c.Now}
}

func TestMiddlewareAnswers(t *testing.T) {
	key := newKey(t, jose.RS256)
	iss := newIssuer(t, key)
	v := newVerifier(t, iss, newClock())
	other := newKey(t, jose.RS256)
	pubDER, err := x509.MarshalPKIXPublicKey(key.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString

	tests := []struct {
		name   string
		target string
		auth   []string // Authorization header values
		status int
	}{
		{"valid", "", []string{"Bearer " + key.sign(t, iss.claims(nil))}, 200},
		{"valid_lowercase_scheme", "", []string{"bearer " + key.sign(t, iss.claims(nil))}, 200},
		{"missing", "", nil, 401},
		{"other_scheme", "", []string{"Basic Y2xpZW50OnNlY3JldA=="}, 401},
		{"two_headers", "", []string{"Bearer a.b.c", "Bearer d.e.f"}, 400},
		{"empty_token", "", []string{"Bearer "}, 401},
		{"not_b64token", "", []string{"Bearer a.b.c!"}, 401},
		{"not_jwt", "", []string{"Bearer opaque-token"}, 401},
		{"no_exp", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"exp": nil}))}, 401},
		{"exp_not_a_number", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"exp": "tomorrow"}))}, 401},
		{"alg_none", "", []string{"Bearer " + b64([]byte(`{"alg":"none","typ":"at+jwt","kid":"`+key.kid+`"}`)) +
			"." + b64(mustJSON(t, iss.claims(nil))) + "."}, 401},
		{"alg_hs256_with_public_key", "", []string{"Bearer " +
			signWith(t, jose.HS256, jose.JSONWebKey{Key: pubDER, KeyID: key.kid}, "at+jwt", iss.claims(nil))}, 401},
		{"alg_not_allowed", "", []string{"Bearer " +
			signWith(t, jose.RS384, jose.JSONWebKey{Key: key.priv, KeyID: key.kid}, "at+jwt", iss.claims(nil))}, 401},
		{"alg_differs_from_key", "", []string{"Bearer " +
			signWith(t, jose.PS256, jose.JSONWebKey{Key: key.priv, KeyID: key.kid}, "at+jwt", iss.claims(nil))}, 401},
		{"typ_jwt", "", []string{"Bearer " +
			signWith(t, jose.RS256, jose.JSONWebKey{Key: key.priv, KeyID: key.kid}, "JWT", iss.claims(nil))}, 401},
		{"no_kid", "", []string{"Bearer " + signWith(t, jose.RS256, key.priv, "at+jwt", iss.claims(nil))}, 401},
		{"unknown_kid", "", []string{"Bearer " + other.sign(t, iss.claims(nil))}, 401},
		{"wrong_signature", "", []string{"Bearer " +
			signWith(t, jose.RS256, jose.JSONWebKey{Key: other.priv, KeyID: key.kid}, "at+jwt", iss.claims(nil))}, 401},
		{"expired", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"exp": epoch.Add(-time.Minute).Unix()}))}, 401},
		{"expired_within_leeway", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"exp": epoch.Add(-10 * time.Second).Unix()}))}, 200},
		{"not_yet_valid", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"nbf": epoch.Add(time.Hour).Unix()}))}, 401},
		{"issued_in_future", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"iat": epoch.Add(time.Hour).Unix()}))}, 401},
		{"wrong_issuer", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"iss": "https://evil.example"}))}, 401},
		{"wrong_audience", "", []string{"Bearer " + key.sign(t, iss.claims(map[string]any{"aud": "https://other.api"}))}, 401},
		{"insufficient_scope", "http://platform-dev.dataloy.com/ws/rest/write/Cargo", []string{"Bearer " + key.sign(t, iss.claims(nil))}, 403},
		{"sufficient_scope", "http://platform-dev.dataloy.com/ws/rest/write/Cargo", []string{"Bearer " +
			key.sign(t, iss.claims(map[string]any{"scope": "read:cargo write:cargo"}))}, 200},
	}
	h := protected(t, v)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.target
			if target == "" {
				target = seedURL
			}
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.Header["Authorization"] = tt.auth
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d; body %s", w.Code, tt.status, w.Body)
			}
			checkGolden(t, tt.name, w)
		})
	}
}

// TestMiddlewareKeysUnavailable: with the issuer unreachable and nothing
// cached, the server is at fault, not the token: 503.
func TestMiddlewareKeysUnavailable(t *testing.T) {
	key := newKey(t, jose.ES256)
	iss := newIssuer(t, key)
	iss.down.Store(true)
	v := newVerifier(t, iss, newClock())
	r := httptest.NewRequest(http.MethodGet, seedURL, nil)
	r.Header.Set("Authorization", "Bearer "+key.sign(t, iss.claims(nil)))
	w := httptest.NewRecorder()
	protected(t, v).ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", w.Code)
	}
	checkGolden(t, "keys_unavailable", w)
}

func TestMiddlewareMisconfigured(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, seedURL, nil)
	r.Header.Set("Authorization", "Bearer a.b.c")
	v := &bearer.Verifier{Issuer: "https://mint.example", Keys: staticKeys{}} // no audience
	protected(t, v).ServeHTTP(w, r)
	if w.Code != http.StatusInternalServerError || w.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("status %d, challenge %q; want 500 without challenge", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	hs := &bearer.Verifier{Issuer: "https://mint.example", Audiences: []string{"a"}, Keys: staticKeys{},
		Algorithms: []jose.SignatureAlgorithm{jose.HS256}}
	if _, err := hs.Verify(context.Background(), "a.b.c"); err == nil || errors.Is(err, bearer.ErrMalformed) {
		t.Errorf("HS256-only verifier: err %v", err)
	}
}

func TestErrorWriterAndRealm(t *testing.T) {
	var got *bearer.Failure
	h := protected(t, &bearer.Verifier{Issuer: "i", Audiences: []string{"a"}, Keys: staticKeys{}},
		bearer.WithRealm("cargo"),
		bearer.WithErrorWriter(func(w http.ResponseWriter, r *http.Request, f *bearer.Failure) {
			got = f
			w.WriteHeader(f.Status)
		}))
	for _, target := range []string{"/ws/rest/Cargo", "/ws/rest/write/x"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("Authorization", "Bearer x.y.z")
		h.ServeHTTP(w, r)
		want := `Bearer realm="cargo", error="invalid_token", error_description="The access token is not a well-formed JWT."`
		if w.Code != 401 || w.Header().Get("WWW-Authenticate") != want {
			t.Errorf("%s: %d %q, want 401 %q", target, w.Code, w.Header().Get("WWW-Authenticate"), want)
		}
		if got == nil || got.Message != "Token malformed." || got.URI != "http://example.com"+target || !got.Date.Equal(epoch) {
			t.Errorf("%s: failure %+v", target, got)
		}
	}
}

// TestRequestURL checks the "uri" field over real connections.
func TestRequestURL(t *testing.T) {
	var got string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = bearer.RequestURL(r, r.Header.Get("X-Trust") != "")
	})
	plain, tls := httptest.NewServer(h), httptest.NewTLSServer(h)
	defer plain.Close()
	defer tls.Close()
	const path = "/ws/rest/Cargo?filter=subCargos.freight%28GTE%292500000&a=%20b"
	tests := []struct {
		srv     *httptest.Server
		headers map[string]string
		want    string
	}{
		{plain, nil, plain.URL + path},
		{tls, nil, tls.URL + path},
		{plain, map[string]string{"X-Forwarded-Proto": "https"}, plain.URL + path},
		{plain, map[string]string{"X-Trust": "1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"},
			"https://api.example" + path},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(http.MethodGet, tt.srv.URL+path, nil)
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		resp, err := tt.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got != tt.want {
			t.Errorf("uri %q, want %q", got, tt.want)
		}
	}
}

func checkGolden(t *testing.T, name string, w *httptest.ResponseRecorder) {
	t.Helper()
	got := fmt.Sprintf("status: %d\nwww-authenticate: %s\ncontent-type: %s\ncache-control: %s\n\n%s",
		w.Code, w.Header().Get("WWW-Authenticate"), w.Header().Get("Content-Type"),
		w.Header().Get("Cache-Control"), w.Body)
	goldenfile.Assert(t, filepath.Join("testdata", name+".golden"), []byte(got))
}

// staticKeys is a KeySource with fixed keys.
type staticKeys map[string]jose.JSONWebKey

func (s staticKeys) LookupKey(_ context.Context, kid string) (jose.JSONWebKey, bool, error) {
	k, ok := s[kid]
	return k, ok, nil
}
