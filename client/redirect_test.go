package client

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// redirectStatuses are every status net/http's Client follows.
var redirectStatuses = []int{
	http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
	http.StatusTemporaryRedirect, http.StatusPermanentRedirect,
}

// recorder is a second origin (another loopback port) that keeps everything
// it is sent, so a test can say whether a credential reached it.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // each request's header and body as text
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var sb strings.Builder
		_ = r.Header.Write(&sb)
		rec.mu.Lock()
		rec.seen = append(rec.seen, r.Method+" "+r.URL.String()+"\n"+sb.String()+"\n"+string(body))
		rec.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"access_token": "evil", "token_type": "Bearer"})
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) requests() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.seen...)
}

// redirector answers every request with status and a Location of target,
// counting the requests.
func redirector(t *testing.T, status int, target func() string) (*httptest.Server, *int) {
	var mu sync.Mutex
	hits := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*hits++
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, target(), status)
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

func TestTokenRequestNeverFollowsARedirect(t *testing.T) {
	for _, style := range []Style{StyleJSON, StyleFormPost, StyleFormBasic} {
		for _, status := range redirectStatuses {
			for _, where := range []string{"other origin", "same origin"} {
				t.Run(style.String()+"/"+http.StatusText(status)+"/"+where, func(t *testing.T) {
					evil := newRecorder(t)
					var self string
					target := func() string { return evil.URL + "/oauth/token?x=1" }
					if where == "same origin" {
						target = func() string { return self + "/elsewhere" }
					}
					srv, hits := redirector(t, status, target)
					self = srv.URL
					cfg := &Config{TokenURL: srv.URL + "/oauth/token", ClientID: testClientID,
						ClientSecret: testClientSecret, Style: style}

					_, err := cfg.TokenSource(testContext(t)).Token()
					if !errors.Is(err, ErrRedirect) {
						t.Fatalf("err = %v, want ErrRedirect", err)
					}
					wantOrigin := evil.URL
					if where == "same origin" {
						wantOrigin = srv.URL
					}
					msg := err.Error()
					if !strings.Contains(msg, wantOrigin) {
						t.Errorf("error %q does not name the target origin %s", msg, wantOrigin)
					}
					if strings.Contains(msg, "x=1") || strings.Contains(msg, "s3cr") {
						t.Errorf("error %q shows more than the origin", msg)
					}
					if got := evil.requests(); len(got) != 0 {
						t.Errorf("the second origin was sent %q", got)
					}
					if *hits != 1 {
						t.Errorf("token endpoint asked %d times; a redirect is not retried", *hits)
					}
				})
			}
		}
	}
}

// The transport's token belongs to the origin the caller addressed: a hop
// to another origin (here: same host, another port, which net/http treats
// as the same host and copies Authorization to) goes without it, and so
// does every later hop of that chain, even one that comes back.
func TestTransportKeepsTheTokenOnItsOrigin(t *testing.T) {
	for _, status := range redirectStatuses {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			evil := newRecorder(t)
			var apiURL string
			mux := http.NewServeMux()
			mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, evil.URL+"/steal", status)
			})
			mux.HandleFunc("/stay", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/back", status)
			})
			var backAuth []string
			var mu sync.Mutex
			mux.HandleFunc("/back", func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				backAuth = append(backAuth, r.Header.Get("Authorization"))
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			})
			api := httptest.NewServer(mux)
			t.Cleanup(api.Close)
			apiURL = api.URL
			hc := ts.config(StyleJSON).Client(testContext(t))

			get := func(path, body string) {
				t.Helper()
				req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, apiURL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer callers-own") // net/http copies this on redirects
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				discard(resp)
			}
			get("/away", "payload")
			for _, r := range evil.requests() {
				if strings.Contains(r, "tok-") || strings.Contains(r, "callers-own") || strings.Contains(r, "Authorization") {
					t.Errorf("the second origin saw a credential:\n%s", r)
				}
			}
			if len(evil.requests()) != 1 {
				t.Errorf("second origin got %d requests, want the redirect followed once", len(evil.requests()))
			}

			get("/stay", "")
			mu.Lock()
			defer mu.Unlock()
			if len(backAuth) != 1 || !strings.HasPrefix(backAuth[0], "Bearer tok-") {
				t.Errorf("a same-origin hop got Authorization %q, want the token", backAuth)
			}
		})
	}
}

func TestTransportDropsTheTokenForTheRestOfAChainThatLeftItsOrigin(t *testing.T) {
	ts := newTokenServer(t, 3600)
	var home, away *httptest.Server
	var mu sync.Mutex
	var finalAuth []string
	homeMux := http.NewServeMux()
	homeMux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, away.URL+"/bounce", http.StatusTemporaryRedirect)
	})
	homeMux.HandleFunc("/end", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		finalAuth = append(finalAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	home = httptest.NewServer(homeMux)
	t.Cleanup(home.Close)
	away = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, home.URL+"/end", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(away.Close)

	hc := ts.config(StyleJSON).Client(testContext(t))
	resp, err := hc.Get(home.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	discard(resp)
	mu.Lock()
	defer mu.Unlock()
	if len(finalAuth) != 1 || finalAuth[0] != "" {
		t.Errorf("the hop back from another origin got Authorization %q; that origin chose its path and body", finalAuth)
	}
}
