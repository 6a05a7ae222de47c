package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A rotating run sends every client's credentials, each with its own
// audience, and reads the server's audit drop counter before and after.
func TestRotateSpreadsOverEveryClient(t *testing.T) {
	var (
		mu      sync.Mutex
		seen    = map[string]int{}
		dropped = 7
	)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
			Audience     string `json:"audience"`
		}
		dec := json.NewDecoder(r.Body)
		if err := dec.Decode(&body); err != nil || body.ClientSecret != "s-"+body.ClientID || body.Audience != "aud-"+body.ClientID {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		mu.Lock()
		seen[body.ClientID]++
		dropped++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"x","token_type":"Bearer"}`)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "# HELP mint_audit_dropped_total x\nmint_audit_dropped_total_other 99\nmint_audit_dropped_total %d\n", dropped)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var clients []Credentials
	for i := range 5 {
		id := fmt.Sprintf("c%d", i)
		clients = append(clients, Credentials{ClientID: id, ClientSecret: "s-" + id, Audience: "aud-" + id})
	}
	// Bounded by count, not time: the run stops once every client has
	// been asked for twice.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			mu.Lock()
			done := len(seen) == len(clients) && minCount(seen) >= 2
			mu.Unlock()
			if done {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	rep, err := Rotate(ctx, RotateConfig{URL: srv.URL + "/oauth/token", Clients: clients, Connections: 2,
		Duration: 15 * time.Second, MetricsURL: srv.URL + "/metrics"})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(clients) {
		t.Fatalf("clients asked for = %v, want all %d", seen, len(clients))
	}
	if rep.Result.Errors != 0 {
		t.Errorf("errors: %v", rep.Result.ErrorSamples)
	}
	if rep.AuditDropped < 10 || rep.AuditNote != "" {
		t.Errorf("audit dropped = %d (%s), want the counter's growth, at least 10", rep.AuditDropped, rep.AuditNote)
	}
}

func minCount(m map[string]int) int {
	least := -1
	for _, n := range m {
		if least < 0 || n < least {
			least = n
		}
	}
	return least
}

func TestFindCounter(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int64
		ok   bool
	}{
		{"mint_audit_dropped_total 12\n", 12, true},
		{"# TYPE mint_audit_dropped_total counter\nmint_audit_dropped_total 3e+06\n", 3_000_000, true},
		{"mint_audit_dropped_totally 5\n", 0, false},
		{"mint_audit_dropped_total \n", 0, false},
		{"mint_audit_dropped_total abc\n", 0, false},
		{"", 0, false},
	} {
		got, err := findCounter(bufio.NewScanner(strings.NewReader(tc.text)), auditDroppedMetric)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("findCounter(%q) = %d, %v; want %d, ok %v", tc.text, got, err, tc.want, tc.ok)
		}
	}
}

func TestReadClientsFile(t *testing.T) {
	dir := t.TempDir()
	good := `{"client_id":"a","name":"A","secret":"sa","grants":[{"audience":"x","scopes":[]},{"audience":"y"}]}` + "\n\n" +
		`{"client_id":"b","name":"B","secret":"sb"}` + "\n"
	path := filepath.Join(dir, "good.jsonl")
	os.WriteFile(path, []byte(good), 0o600)
	got, err := ReadClientsFile(path)
	want := []Credentials{{"a", "sa", "x"}, {"b", "sb", ""}}
	if err != nil || len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("ReadClientsFile = %v, %v; want %v", got, err, want)
	}
	for name, text := range map[string]string{
		"NoSecret": `{"client_id":"a"}`,
		"NotJSON":  `{"client_id":"a","secret":"topsecret-value"`,
		"Empty":    "\n",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(text), 0o600)
		_, err := ReadClientsFile(path)
		if err == nil || strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: error = %v, want one without the secret", name, err)
		}
	}
}

func FuzzParseClientLine(f *testing.F) {
	f.Add([]byte(`{"client_id":"a","secret":"s","grants":[{"audience":"x"}]}`))
	f.Add([]byte(`{"client_id":1}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		c, err := ParseClientLine(line)
		if err == nil && (c.ClientID == "" || c.ClientSecret == "") {
			t.Fatalf("accepted %q without credentials", line)
		}
	})
}
