package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The lifecycle mix renames a client of the list, creates a client,
// rotates the new client's secret and deletes it, in that order, with the
// admin token it signed in for, on keep-alive connections; every write is
// counted by kind, and no client it made is left.
func TestAdminWritesLifecycle(t *testing.T) {
	var (
		mu    sync.Mutex
		calls []string
		conns []string
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ClientSecret string `json:"client_secret"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.ClientSecret != "admin-secret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"access_token":"admin-token","token_type":"Bearer"}`)
	})
	made, live := 0, map[string]bool{}
	mux.HandleFunc("/admin/v1/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer admin-token" {
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		conns = append(conns, r.RemoteAddr)
		calls = append(calls, r.Method+" "+r.URL.Path)
		if r.Method == http.MethodPost && r.URL.Path == "/admin/v1/clients" {
			made++
			live[fmt.Sprint("new-", made)] = true
			fmt.Fprintf(w, `{"client_id":"new-%d","client_secret":"x"}`, made)
			return
		}
		if r.Method == http.MethodDelete {
			delete(live, strings.TrimPrefix(r.URL.Path, "/admin/v1/clients/"))
		}
		fmt.Fprint(w, `{}`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	clients := []Credentials{{ClientID: "c0"}, {ClientID: "c1"}}
	wr, err := newWriter(t.Context(), AdminWrites{Server: srv.URL, ClientID: "admin", ClientSecret: "admin-secret",
		Rate: 200, Mix: MixLifecycle}, clients)
	if err != nil {
		t.Fatal(err)
	}
	// Bounded by count: the run is cancelled once 12 writes were made.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			mu.Lock()
			n := len(calls)
			mu.Unlock()
			if n >= 12 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	now := time.Now()
	wr.run(ctx, window{from: now, to: now.Add(time.Hour)})
	mu.Lock()
	defer mu.Unlock()
	// Cycles may overlap when the server is slow: each is checked alone.
	perClient := map[string][]string{}
	for _, c := range calls {
		method, path, _ := strings.Cut(c, " ")
		rest, ok := strings.CutPrefix(path, "/admin/v1/clients/")
		if !ok {
			perClient["(create)"] = append(perClient["(create)"], c)
			continue
		}
		id, sub, _ := strings.Cut(rest, "/")
		perClient[id] = append(perClient[id], method+" "+sub)
	}
	for id, got := range perClient {
		switch {
		case id == "(create)":
		case id == "c0" || id == "c1":
			for _, c := range got {
				if c != "PATCH " {
					t.Errorf("client %s of the list: %q; want renames only", id, c)
				}
			}
		case strings.HasPrefix(id, "new-"):
			if want := []string{"POST rotate-secret", "DELETE "}; !slices.Equal(got, want) && !slices.Equal(got, want[1:]) {
				t.Errorf("client %s made by the writer: %q, want %q (or the delete alone, when cut short)", id, got, want)
			}
		default:
			t.Errorf("writes to client %s: %q", id, got)
		}
	}
	// A cycle cut short deletes the client it made.
	if len(live) != 0 {
		t.Errorf("clients left behind: %v", live)
	}
	if n := len(distinct(conns)); n > maxWritesInFlight {
		t.Errorf("writes came from %d connections, want at most %d (keep-alive)", n, maxWritesInFlight)
	}
	if wr.rep.Failed != 0 || wr.rep.Kinds["rename"] < 2 || wr.rep.Kinds["create"] < 2 || wr.rep.Kinds["rotate"] < 2 || wr.rep.Kinds["delete"] < 2 {
		t.Errorf("report %+v", wr.rep)
	}
}

// Bad settings are refused before anything is sent.
func TestAdminWritesCheck(t *testing.T) {
	good := AdminWrites{Server: "http://127.0.0.1:1", ClientID: "a", ClientSecret: "s", Rate: 10}
	for _, tc := range []struct {
		name string
		edit func(*AdminWrites)
	}{
		{"zero rate", func(w *AdminWrites) { w.Rate = 0 }},
		{"huge rate", func(w *AdminWrites) { w.Rate = 1e6 }},
		{"unknown mix", func(w *AdminWrites) { w.Mix = "chaos" }},
		{"bad URL", func(w *AdminWrites) { w.Server = "127.0.0.1:8080" }},
		{"no credentials", func(w *AdminWrites) { w.ClientSecret = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := good
			tc.edit(&w)
			if err := w.check(); err == nil {
				t.Errorf("%+v accepted", w)
			}
		})
	}
	if err := good.check(); err != nil || good.Mix != MixRename {
		t.Errorf("good settings: %v, mix %q", err, good.Mix)
	}
}

func distinct(s []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	return m
}
