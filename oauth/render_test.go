package oauth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	goldenfile "github.com/mintauth/mint/internal/golden"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mintauth/mint/oauth"
)

// dump writes a recorded response as the golden files hold it: the status,
// every header sorted, a blank line and the body.
func dump(w *httptest.ResponseRecorder) []byte {
	res := w.Result()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n", res.StatusCode)
	keys := make([]string, 0, len(res.Header))
	for k := range res.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range res.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("\n")
	b.Write(w.Body.Bytes())
	return b.Bytes()
}

// golden compares got with testdata/<test name>.golden, or rewrites it with
// -update.
func golden(t *testing.T, got []byte) {
	t.Helper()
	goldenfile.Assert(t, filepath.Join("testdata", t.Name()+".golden"), got)
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantHeader http.Header // beyond the three every error carries
	}{
		{"InvalidClientWithChallenge",
			oauth.ErrInvalidClient.Describe("client authentication failed").WithHeader("WWW-Authenticate", `Basic realm="mint"`),
			401, http.Header{"Www-Authenticate": {`Basic realm="mint"`}}},
		{"InvalidRequestWithField",
			oauth.ErrInvalidRequest.Describe("grant_type is required").WithField("grant_type"), 400, nil},
		{"MethodNotAllowed", oauth.ErrMethodNotAllowed.WithHeader("Allow", "POST"), 405, http.Header{"Allow": {"POST"}}},
		{"Unavailable", oauth.ErrUnavailable.WithHeader("Retry-After", "5"), 503, http.Header{"Retry-After": {"5"}}},
		{"WrappedError",
			fmt.Errorf("token endpoint: %w", oauth.ErrUnsupportedGrantType.Describe("grant_type %q is not supported", "password")),
			400, nil},
		{"PlainErrorIsServerError", errors.New(`dial tcp 10.0.0.5:5432: password authentication failed for user "mint"`), 500, nil},
		{"HTMLIsNotEscaped", oauth.ErrInvalidScope.Describe(`scope "<admin>" & more is not granted`), 400, nil},
		{"HeaderCannotTurnOnCaching",
			oauth.ErrInvalidRequest.Describe("bad").WithHeader("Cache-Control", "public, max-age=60").WithHeader("Pragma", "public"),
			400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			wrote := oauth.WriteError(w, tt.err)

			if w.Code != tt.wantStatus || wrote.Status != tt.wantStatus {
				t.Errorf("status %d, returned error's %d, want %d", w.Code, wrote.Status, tt.wantStatus)
			}
			want := http.Header{
				"Cache-Control": {"no-store"},
				"Pragma":        {"no-cache"},
				"Content-Type":  {"application/json"},
			}
			for k, v := range tt.wantHeader {
				want[k] = v
			}
			for k, v := range want {
				if got := w.Header().Values(k); !slices.Equal(got, v) {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}

			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if body["error"] != wrote.Code {
				t.Errorf(`body "error" = %v, returned error's code %q`, body["error"], wrote.Code)
			}
			golden(t, dump(w))
		})
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name      string
		write     func(http.ResponseWriter)
		wantCache string
		wantPrag  string
	}{
		{"NoStore", func(w http.ResponseWriter) { oauth.WriteJSON(w, 200, map[string]int{"a": 1}) }, "no-store", "no-cache"},
		{"Cached", func(w http.ResponseWriter) {
			w.Header().Set("Cache-Control", "public, max-age=60")
			oauth.WriteJSONCached(w, 200, map[string]int{"a": 1})
		}, "public, max-age=60", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			tt.write(w)
			if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" || w.Body.String() != "{\"a\":1}\n" {
				t.Errorf("got %d %q %q", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			if got := w.Header().Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if got := w.Header().Get("Pragma"); got != tt.wantPrag {
				t.Errorf("Pragma = %q, want %q", got, tt.wantPrag)
			}
		})
	}
}

// logRecord is one JSON line of slog output.
type logRecord map[string]any

func readLog(t *testing.T, buf *bytes.Buffer) []logRecord {
	t.Helper()
	var recs []logRecord
	for line := range strings.Lines(buf.String()) {
		var r logRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestHandle(t *testing.T) {
	const (
		formSecret = "mint_FormSecretFormSecretFormSecretFormSecret0"
		authValue  = "Basic Y2xpZW50OnN1cGVyLXNlY3JldC1hdXRo"
		dbCause    = "sqlite: database is locked (SQLITE_BUSY)"
	)
	tests := []struct {
		name       string
		logLevel   slog.Level
		err        error
		wantStatus int
		wantLevel  string // "" means nothing is logged
		wantInLog  []string
	}{
		{"ServerErrorAtErrorLevelWithCause", slog.LevelDebug, errors.New(dbCause), 500, "ERROR",
			[]string{dbCause, "server_error"}},
		{"WrappedServerError", slog.LevelInfo, oauth.ErrServer.WithCause(errors.New(dbCause)), 500, "ERROR",
			[]string{dbCause}},
		{"UnavailableIsAServerError", slog.LevelInfo, oauth.ErrUnavailable, 503, "ERROR", []string{"temporarily_unavailable"}},
		{"ClientErrorAtDebugLevel", slog.LevelDebug, oauth.ErrInvalidClient.Describe("unknown client"), 401, "DEBUG",
			[]string{"invalid_client", "unknown client"}},
		{"ClientErrorHiddenAtInfoLevel", slog.LevelInfo, oauth.ErrInvalidScope, 400, "", nil},
		{"NoError", slog.LevelDebug, nil, 200, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tt.logLevel}))
			h := oauth.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
				if err := r.ParseForm(); err != nil {
					return err
				}
				if tt.err == nil {
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write([]byte("ok"))
				}
				return tt.err
			})
			req := httptest.NewRequest(http.MethodPost, "/oauth/token",
				strings.NewReader("grant_type=client_credentials&client_secret="+formSecret))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", authValue)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)

			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if tt.wantStatus >= 500 && strings.Contains(w.Body.String(), "locked") {
				t.Errorf("body leaks the cause: %s", w.Body)
			}
			logged := buf.String()
			for _, secret := range []string{formSecret, "Y2xpZW50", "client_credentials", "x-www-form-urlencoded"} {
				if strings.Contains(logged, secret) {
					t.Errorf("log holds request body or headers (%q): %s", secret, logged)
				}
			}
			recs := readLog(t, &buf)
			if tt.wantLevel == "" {
				if len(recs) != 0 {
					t.Errorf("logged %d lines, want none: %s", len(recs), logged)
				}
				return
			}
			if len(recs) != 1 {
				t.Fatalf("logged %d lines, want 1: %s", len(recs), logged)
			}
			rec := recs[0]
			if rec["level"] != tt.wantLevel {
				t.Errorf("level %v, want %s", rec["level"], tt.wantLevel)
			}
			if rec["method"] != "POST" || rec["path"] != "/oauth/token" || rec["status"] != float64(tt.wantStatus) {
				t.Errorf("log line lacks method, path or status: %s", logged)
			}
			for _, s := range tt.wantInLog {
				if !strings.Contains(logged, s) {
					t.Errorf("log lacks %q: %s", s, logged)
				}
			}
		})
	}
}
