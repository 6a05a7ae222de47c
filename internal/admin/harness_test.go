package admin

import (
	"bytes"
	"context"
	"encoding/json"
	goldenfile "github.com/mintauth/mint/internal/golden"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/sqlite"
)

const (
	testIssuer      = "https://mint.test"
	testAdminClient = "admin-client-1"
)

// harness is a real admin API on loopback HTTP over a real SQLite file,
// verifying tokens signed by a real key ring.
type harness struct {
	t      *testing.T
	srv    *httptest.Server
	store  *sqlite.Store
	ring   *keyring.Ring
	now    time.Time // the admin API's and key ring's clock
	logs   *syncBuffer
	admin  mint.API // the built-in admin API
	bearer string   // a token with every admin scope (mint.AdminScopes)
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, nil)
}

// newHarnessWith is newHarness with the admin API's store wrapped by wrap
// (nil: unwrapped), for tests that make something happen in the middle of
// a store call.
func newHarnessWith(t *testing.T, wrap func(mint.Store) mint.Store) *harness {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "mint.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h := &harness{t: t, store: store, logs: &syncBuffer{},
		now: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	// The ring runs on the admin API's clock, so that key dates are fixed.
	ring, err := keyring.Open(ctx, store, keyring.Config{MasterKey: keyring.NewMasterKey(), Now: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.ring = ring
	h.admin = mint.API{ID: "api_admin", Name: "mint admin", Audience: mint.AdminAudience,
		Scopes: mint.AdminScopes, TokenLifetime: time.Hour, CreatedAt: h.now, UpdatedAt: h.now}
	if err := store.CreateAPI(ctx, h.admin); err != nil {
		t.Fatal(err)
	}
	// The admin API refuses tokens whose client does not exist.
	adminClient := mint.Client{ID: testAdminClient, Name: "test admin", CreatedAt: h.now, UpdatedAt: h.now}
	adminSecret := mint.Secret{ID: "sec_testadmin", ClientID: testAdminClient, Digest: secret.Digest("mint_test-admin-secret"), CreatedAt: h.now}
	if err := store.CreateClient(ctx, adminClient, adminSecret); err != nil {
		t.Fatal(err)
	}
	// Nor does a token hold a scope its client's grant no longer holds.
	adminGrant := mint.Grant{ID: "grant_testadmin", ClientID: testAdminClient, Audience: mint.AdminAudience,
		Scopes: mint.AdminScopes, CreatedAt: h.now, UpdatedAt: h.now}
	if err := store.CreateGrant(ctx, adminGrant); err != nil {
		t.Fatal(err)
	}
	var apiStore mint.Store = store
	if wrap != nil {
		apiStore = wrap(store)
	}
	api := &API{
		Store:    apiStore,
		Audit:    store,
		Keys:     ring,
		Verifier: &bearer.Verifier{Issuer: testIssuer, Audiences: []string{mint.AdminAudience}, Keys: ring},
		Issuer:   testIssuer,
		Now:      h.clock,
		Log:      slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", api.Handler())
	h.srv = httptest.NewServer(mux) // listens on 127.0.0.1
	t.Cleanup(h.srv.Close)
	h.bearer = h.token(mint.AdminScopes...)
	return h
}

// token signs an admin access token carrying scopes.
func (h *harness) token(scopes ...string) string {
	return h.tokenFor(testAdminClient, scopes...)
}

// tokenFor signs an admin access token of clientID carrying scopes.
func (h *harness) tokenFor(clientID string, scopes ...string) string {
	now := time.Now()
	return h.sign(map[string]any{
		"iss": testIssuer, "sub": clientID, "aud": mint.AdminAudience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": mint.NewID("jti"),
		"client_id": clientID, "scope": strings.Join(scopes, " "),
	})
}

func (h *harness) sign(claims map[string]any) string {
	h.t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		h.t.Fatal(err)
	}
	tok, err := h.ring.Sign(context.Background(), mint.AlgRS256, payload)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// clock is the admin API's and the key ring's clock: h.now, which tests
// move between requests.
func (h *harness) clock() time.Time { return h.now }

// call sends one request; token "" sends no Authorization, contentType ""
// no Content-Type.
type call struct {
	method, path, token, contentType, body string
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) do(c call) answer {
	h.t.Helper()
	if c.token == "" {
		return h.doHeader(c, "")
	}
	return h.doHeader(c, "Bearer "+c.token)
}

// doHeader sends c with the given Authorization header, none if "".
func (h *harness) doHeader(c call, authorization string) answer {
	h.t.Helper()
	req, err := http.NewRequest(c.method, h.srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		h.t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// json sends body (a string of JSON, or nil) with every admin scope, checks
// the status and decodes the answer into out when out is not nil.
func (h *harness) json(method, path string, body any, want int, out any) answer {
	h.t.Helper()
	c := call{method: method, path: path, token: h.bearer}
	if body != nil {
		c.contentType, c.body = "application/json", body.(string)
	}
	a := h.do(c)
	if a.status != want {
		h.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, a.status, want, a.body)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			h.t.Fatalf("%s %s: %v in %s", method, path, err, a.body)
		}
	}
	return a
}

// golden compares got with testdata/<test name>.golden, or rewrites it with
// -update.
func golden(t *testing.T, got []byte) {
	t.Helper()
	goldenfile.Assert(t, filepath.Join("testdata", t.Name()+".golden"), got)
}

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// syncBuffer collects log lines written by server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
