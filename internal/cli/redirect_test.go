package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// secondOrigin is another loopback port that keeps everything it is sent.
type secondOrigin struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newSecondOrigin(t *testing.T) *secondOrigin {
	o := &secondOrigin{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var sb strings.Builder
		_ = r.Header.Write(&sb)
		o.mu.Lock()
		o.seen = append(o.seen, r.Method+" "+r.URL.String()+"\n"+sb.String()+string(body))
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "evil", "data": []any{}})
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *secondOrigin) requests() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// redirectingServer is a server that issues a token honestly (when
// tokenOK) and redirects everything else to target with status.
func redirectingServer(t *testing.T, status int, tokenOK bool, target string) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if tokenOK && r.URL.Path == "/oauth/token" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"admin-token-do-not-leak","token_type":"Bearer","expires_in":60}`)
			return
		}
		http.Redirect(w, r, target+r.URL.Path, status)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// No command sends the caller's secret or token to a second origin,
// whatever redirect the server answers with.
func TestCommandsNeverFollowRedirects(t *testing.T) {
	const secret = "cli-secret-do-not-leak"
	statuses := []int{301, 302, 303, 307, 308}
	cases := []struct {
		name    string
		tokenOK bool // the token is issued, the admin call redirects
		args    []string
	}{
		{"token", false, []string{"token"}},
		{"admin token", false, []string{"clients", "list"}},
		{"admin call", true, []string{"clients", "list"}},
		{"admin write", true, []string{"clients", "create", "--name", "x"}},
		{"verify", false, []string{"verify", "--audience", "a", "x.y.z"}},
	}
	for _, tc := range cases {
		for _, status := range statuses {
			t.Run(tc.name+"/"+http.StatusText(status), func(t *testing.T) {
				evil := newSecondOrigin(t)
				server := redirectingServer(t, status, tc.tokenOK, evil.URL)
				env := map[string]string{"MINT_SERVER": server, "MINT_CLIENT_ID": "id", "MINT_CLIENT_SECRET": secret}
				h := &harness{t: t}
				r := h.runEnv(env, tc.args...)
				r.wantCode(t, exitUnreachable)
				r.wantStderr(t, evil.URL, "redirect")
				if strings.Contains(r.stderr, secret) || strings.Contains(r.stderr, "admin-token") {
					t.Errorf("stderr shows a credential: %s", r.stderr)
				}
				if got := evil.requests(); len(got) != 0 {
					t.Errorf("the second origin was sent:\n%s", strings.Join(got, "\n---\n"))
				}
			})
		}
	}
}
