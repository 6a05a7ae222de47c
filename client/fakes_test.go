package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testClientID     = "m2m client:1"
	testClientSecret = "s3cr&t+/=é:x"
)

// received is what the fake token endpoint saw of one request.
type received struct {
	ContentType string
	Form        map[string]string // the JSON or form body, flattened
	Basic       bool              // whether Basic credentials came
	BasicUser   string            // as sent, before form-decoding
	BasicID     string            // after form-decoding (RFC 6749 §2.3.1)
	BasicSecret string
}

// reply is a canned answer of the fake token endpoint.
type reply struct {
	status int
	header map[string]string
	body   string
}

// tokenServer is a token endpoint speaking the wire dialects: it parses
// JSON and form bodies and Basic credentials, checks them, and issues
// tokens "tok-N" that an apiServer accepts until they expire (real time)
// or are revoked. Canned replies, when queued, are served first.
type tokenServer struct {
	*httptest.Server
	expiresIn int           // 0 leaves expires_in out, as seeds 000 and 001 do
	delay     time.Duration // before answering, so that callers overlap
	stale     int           // how many of the next tokens the API will refuse

	mu       sync.Mutex
	requests []received
	script   []reply
	issued   map[string]time.Time // token → expiry
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn, issued: map[string]time.Time{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	return ts
}

// config is a Config for this endpoint in the given style.
func (ts *tokenServer) config(style Style) *Config {
	return &Config{
		TokenURL:     ts.URL + "/oauth/token",
		ClientID:     testClientID,
		ClientSecret: testClientSecret,
		Audience:     "https://api.example",
		Style:        style,
	}
}

func (ts *tokenServer) queue(r ...reply) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.script = append(ts.script, r...)
}

func (ts *tokenServer) count() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.requests)
}

func (ts *tokenServer) last() received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests[len(ts.requests)-1]
}

func (ts *tokenServer) revokeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	clear(ts.issued)
}

// valid says whether the API should accept tok.
func (ts *tokenServer) valid(tok string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.issued[tok]
	return ok && (exp.IsZero() || time.Now().Before(exp))
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	time.Sleep(ts.delay)
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "invalid_request"})
		return
	}
	rec, err := parseTokenRequest(r)
	ts.mu.Lock()
	ts.requests = append(ts.requests, rec)
	var canned *reply
	if len(ts.script) > 0 {
		canned, ts.script = &ts.script[0], ts.script[1:]
	}
	ts.mu.Unlock()
	switch {
	case canned != nil:
		for k, v := range canned.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(canned.status)
		fmt.Fprint(w, canned.body)
	case err != nil:
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
	default:
		ts.answer(w, rec)
	}
}

// answer checks a parsed request as mint would and issues a token.
func (ts *tokenServer) answer(w http.ResponseWriter, rec received) {
	id, secret := rec.Form["client_id"], rec.Form["client_secret"]
	if rec.Basic {
		id, secret = rec.BasicID, rec.BasicSecret
	}
	switch {
	case rec.Form["grant_type"] != "client_credentials":
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
	case id != testClientID || secret != testClientSecret:
		writeOAuthError(w, http.StatusBadRequest, "invalid_client", "Client authentication failed.")
	default:
		ts.mu.Lock()
		tok := fmt.Sprintf("tok-%d", len(ts.requests))
		var exp time.Time
		if ts.expiresIn > 0 {
			exp = time.Now().Add(time.Duration(ts.expiresIn) * time.Second)
		}
		if ts.stale > 0 {
			ts.stale-- // issued, but the API never takes it (say, a rotated key)
		} else {
			ts.issued[tok] = exp
		}
		ts.mu.Unlock()
		body := map[string]any{"access_token": tok, "token_type": "Bearer", "scope": rec.Form["scope"]}
		if ts.expiresIn > 0 {
			body["expires_in"] = ts.expiresIn
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// parseTokenRequest reads a token request as a server would: by its
// media type, and Basic credentials form-decoded after base64.
func parseTokenRequest(r *http.Request) (received, error) {
	rec := received{ContentType: r.Header.Get("Content-Type"), Form: map[string]string{}}
	if user, pass, ok := r.BasicAuth(); ok {
		rec.Basic, rec.BasicUser = true, user
		rec.BasicID, _ = url.QueryUnescape(user)
		rec.BasicSecret, _ = url.QueryUnescape(pass)
	}
	mt, _, _ := mime.ParseMediaType(rec.ContentType)
	switch mt {
	case "application/json":
		var m map[string]string // every member is a string in this dialect
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return rec, err
		}
		rec.Form = m
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return rec, err
		}
		for k := range r.PostForm {
			rec.Form[k] = r.PostForm.Get(k)
		}
	default:
		return rec, fmt.Errorf("unsupported media type %q", mt)
	}
	return rec, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// How apiServer refuses a request.
const (
	rejectSeed   = iota // 401 with the seed 003 payload for a bad token
	rejectHeader        // 401 with WWW-Authenticate: Bearer error="invalid_token"
	rejectAll           // the seed 003 401 for every token, good or not
	rejectOther         // a 401 that is not about the token's validity
)

// apiServer is a resource server that accepts tokenServer's tokens and
// echoes the request body.
type apiServer struct {
	*httptest.Server
	tokens *tokenServer
	reject int

	mu     sync.Mutex
	hits   int
	bodies []string
	auths  []string
}

func newAPIServer(t *testing.T, tokens *tokenServer, reject int) *apiServer {
	api := &apiServer{tokens: tokens, reject: reject}
	api.Server = httptest.NewServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.Close)
	return api
}

func (api *apiServer) count() int {
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.hits
}

// seen returns the bodies and Authorization headers of the calls so far.
func (api *apiServer) seen() (bodies, auths []string) {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]string(nil), api.bodies...), append([]string(nil), api.auths...)
}

func (api *apiServer) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	auth := r.Header.Get("Authorization")
	api.mu.Lock()
	api.hits++
	api.bodies = append(api.bodies, string(b))
	api.auths = append(api.auths, auth)
	api.mu.Unlock()

	tok, hasToken := strings.CutPrefix(auth, "Bearer ")
	switch {
	case api.reject == rejectOther:
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "message": "Client not allowed."})
	case api.reject == rejectAll:
		writeJSON(w, http.StatusUnauthorized, seed003(r))
	case !hasToken:
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`) // RFC 6750 §3.1: no error code
		w.WriteHeader(http.StatusUnauthorized)
	case api.tokens.valid(tok):
		fmt.Fprint(w, "ok:"+string(b))
	case api.reject == rejectHeader:
		w.Header().Set("WWW-Authenticate",
			`Bearer realm="api", error="invalid_token", error_description="The access token expired"`)
		w.WriteHeader(http.StatusUnauthorized)
	default:
		writeJSON(w, http.StatusUnauthorized, seed003(r))
	}
}

// seed003 is the expired-token payload from the seed 003 API.
func seed003(r *http.Request) map[string]any {
	return map[string]any{
		"statusCode": 401, "statusText": "Unauthorized", "message": "Token expired.",
		"date": "2019-11-13T06:26:01", "statusFamily": "CLIENT_ERROR",
		"method": r.Method, "uri": "http://" + r.Host + r.URL.String(),
	}
}

// fakeClock is an injectable clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2019, 11, 13, 6, 26, 1, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testContext bounds a test in time.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
