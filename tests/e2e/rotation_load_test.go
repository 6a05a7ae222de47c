package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/examples/cargo-api/cargo"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// TestRotationUnderLoad is issue 5's promise that rotation is a non-event:
// a partner fetches fresh tokens and calls a middleware-protected API
// without pause while mint's signing key and the partner's secret are each
// rotated twice. Not one token request and not one API call may fail.
//
// Time is compressed: keys are prepublished 1.5 s before they sign instead
// of 10 minutes, so the API cannot learn them from a cache expiry (its JWKS
// cache honours max-age=300); it learns them the way it would after an
// emergency rotation, by fetching the key set when a token names an unknown
// key, here at most every 200 ms.
func TestRotationUnderLoad(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			m := startMint(t, server.Config{DB: testdb.New(t, backend), MasterKey: randomKey(t), KeyPrepublish: 1500 * time.Millisecond})
			partner := dataloy(t, m, 3600)
			api := protectedAPI(t, m)
			l := &partnerLoad{tokenURL: partner.TokenURL, clientID: partner.ClientID, api: api, kids: map[string]bool{}}
			l.secret.Store(&partner.ClientSecret)
			stop := l.run(4)

			for range 2 {
				rotateSigningKey(t, m)
				rotateSecret(t, m, l)
			}
			time.Sleep(500 * time.Millisecond) // calls with the last key and secret
			stop()

			t.Logf("%d token requests and API calls, %d failed; %d signing keys seen", l.calls.Load(), l.failures.Load(), len(l.kids))
			if f := l.failures.Load(); f != 0 {
				t.Errorf("%d of %d calls failed; first: %v", f, l.calls.Load(), l.firstFailure.Load())
			}
			if len(l.kids) != 3 {
				t.Errorf("tokens were signed by %d keys, want 3 (the first and two rotated in)", len(l.kids))
			}
		})
	}
}

func randomKey(t *testing.T) []byte {
	key := make([]byte, 32)
	rand.Read(key)
	return key
}

// protectedAPI is the example API checking mint's tokens with a JWKS cache
// that may refetch every 200 ms when a token names an unknown key.
func protectedAPI(t *testing.T, m *mintServer) string {
	keys, err := bearer.NewJWKS(context.Background(), bearer.JWKSConfig{Issuer: m.URL, MinRefreshInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(cargo.Handler(cargo.Config{Issuer: m.URL, Audience: prodAudience, Keys: keys}))
	t.Cleanup(hs.Close)
	return hs.URL + seedQuery
}

// partnerLoad is the partner's program: fetch a token with the current
// secret (seed 003's JSON request), call the API with it, again.
type partnerLoad struct {
	tokenURL, clientID, api string
	secret                  atomic.Pointer[string]

	calls, failures atomic.Int64
	firstFailure    atomic.Value
	mu              sync.Mutex
	kids            map[string]bool
}

func (l *partnerLoad) run(workers int) (stop func()) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				l.once(ctx)
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}

func (l *partnerLoad) once(ctx context.Context) {
	token, err := l.token(ctx)
	if err == nil {
		err = l.callAPI(ctx, token)
	}
	if ctx.Err() != nil {
		return // stopped mid-call: not the server's failure
	}
	l.calls.Add(1)
	if err != nil {
		l.failures.Add(1)
		l.firstFailure.CompareAndSwap(nil, err.Error())
	}
}

func (l *partnerLoad) token(ctx context.Context) (string, error) {
	body, _ := json.Marshal(map[string]string{"client_id": l.clientID, "client_secret": *l.secret.Load(),
		"audience": prodAudience, "grant_type": "client_credentials"})
	raw, err := post(ctx, l.tokenURL, "", body)
	if err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return "", err
	}
	l.mu.Lock()
	l.kids[tokenKIDOf(ans.AccessToken)] = true
	l.mu.Unlock()
	return ans.AccessToken, nil
}

func (l *partnerLoad) callAPI(ctx context.Context, token string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.api, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("API call: %s %s", resp.Status, raw)
	}
	return nil
}

func post(ctx context.Context, url, bearerToken string, body []byte) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+bearerToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s", resp.Status, raw)
	}
	return raw, nil
}

// rotateSigningKey rotates with prepublication and waits until the new
// key signs, with load running throughout.
func rotateSigningKey(t *testing.T, m *mintServer) {
	t.Helper()
	var keys []rotatedKey
	if status := m.adminCall(t, "POST", "/admin/v1/keys/rotate", map[string]any{"algorithm": "RS256"}, &keys); status != http.StatusAccepted {
		t.Fatalf("rotate signing key: status %d", status)
	}
	time.Sleep(time.Until(keys[len(keys)-1].ActivateAt) + 700*time.Millisecond)
}

// rotateSecret gives the partner a new secret while the old one keeps
// working for a while, and switches the partner's program over to it the
// way a redeploy would: some calls still use the old one.
func rotateSecret(t *testing.T, m *mintServer, l *partnerLoad) {
	t.Helper()
	raw, err := post(context.Background(), m.URL+"/admin/v1/clients/"+l.clientID+"/rotate-secret", m.adminToken, []byte(`{"old_secret_ttl": 30}`))
	if err != nil {
		t.Fatalf("rotate secret: %v", err)
	}
	var ans struct {
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil || ans.ClientSecret == "" {
		t.Fatalf("rotate secret answered %s: %v", raw, err)
	}
	time.Sleep(300 * time.Millisecond) // the old secret still in use
	l.secret.Store(&ans.ClientSecret)
	time.Sleep(300 * time.Millisecond)
}

// tokenKIDOf returns the "kid" of a token's header, "" if it has none.
func tokenKIDOf(token string) string {
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return ""
	}
	return jws.Signatures[0].Protected.KeyID
}
