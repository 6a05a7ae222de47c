package replicas_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mintproc"
)

var mintBin string

func TestMain(m *testing.M) { mintproc.Main(m, &mintBin) }

const defaultTestDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testDSN() string {
	if dsn := os.Getenv("MINT_TEST_POSTGRES"); dsn != "" {
		return dsn
	}
	return defaultTestDSN
}

// freshSchema creates an empty schema for this test, dropped when it ends,
// and returns a DSN whose search_path is that schema. It fails the test,
// never skips it, when PostgreSQL cannot be reached.
func freshSchema(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, testDSN())
	if err != nil {
		t.Fatalf("cannot reach the test PostgreSQL at MINT_TEST_POSTGRES or %s: %v\n"+
			"(scripts/test starts the local server; this test does not skip)", defaultTestDSN, err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("mint_replicas_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, testDSN())
		if err == nil {
			defer conn.Close(ctx)
			_, err = conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`)
		}
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testDSN())
	if err != nil || u.Scheme == "" {
		return testDSN() + " search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// replica is a running `mint serve`, stopped when the test ends.
type replica struct {
	name string
	*mintproc.Process
}

// startReplica starts `mint serve` on a free loopback port and waits for
// its "mint serving" log line. It is safe to call from several goroutines;
// it returns an error rather than failing the test for that reason.
func startReplica(t *testing.T, name string, env []string, args ...string) (*replica, error) {
	p, err := mintproc.Start(mintBin, env, t.TempDir(), args...)
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", name, err)
	}
	t.Cleanup(func() { p.Stop(t) })
	return &replica{name: name, Process: p}, nil
}

// kill sends SIGKILL, as a crashed host or the OOM killer would.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.Kill(); err != nil {
		t.Fatalf("replica %s: %v", r.name, err)
	}
}

// httpClient bounds every request, so a hung replica fails the test
// instead of hanging it.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// do sends a JSON request and decodes the JSON answer into into. It
// returns the status, or an error if no answer came.
func do(ctx context.Context, method, url, bearer string, body, into any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if into != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, into); err != nil {
			return resp.StatusCode, fmt.Errorf("status %d, body %q: %w", resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, nil
}

// call is do for the test goroutine: it fails the test unless the answer
// has status want.
func call(t *testing.T, want int, method, url, bearer string, body, into any) {
	t.Helper()
	status, err := do(t.Context(), method, url, bearer, body, into)
	if err != nil || status != want {
		t.Fatalf("%s %s: status %d, error %v; want status %d", method, url, status, err, want)
	}
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	Error       string `json:"error"`
}

// requestToken asks r for a token with the client_credentials grant.
func requestToken(ctx context.Context, r *replica, clientID, secret, audience string) (int, tokenAnswer, error) {
	var ans tokenAnswer
	status, err := do(ctx, "POST", r.URL+"/oauth/token", "", map[string]string{
		"grant_type": "client_credentials", "client_id": clientID,
		"client_secret": secret, "audience": audience,
	}, &ans)
	return status, ans, err
}

// mustToken gets a token from r or fails the test.
func mustToken(t *testing.T, r *replica, clientID, secret, audience string) string {
	t.Helper()
	status, ans, err := requestToken(t.Context(), r, clientID, secret, audience)
	if err != nil || status != http.StatusOK || ans.AccessToken == "" {
		t.Fatalf("token from %s for %s: status %d, answer %+v, error %v", r.name, clientID, status, ans, err)
	}
	return ans.AccessToken
}

// refusedWithin polls r every pollEvery until it refuses the credentials
// with 401 invalid_client, and returns how long that took from start. It
// fails the test if r still issues tokens after limit.
func refusedWithin(t *testing.T, r *replica, clientID, secret, audience string, start time.Time, limit time.Duration) time.Duration {
	t.Helper()
	const pollEvery = 5 * time.Millisecond
	for {
		status, ans, err := requestToken(t.Context(), r, clientID, secret, audience)
		if err != nil {
			t.Fatalf("token request to %s: %v", r.name, err)
		}
		if status == http.StatusUnauthorized && ans.Error == "invalid_client" {
			return time.Since(start)
		}
		if status != http.StatusOK {
			t.Fatalf("token request to %s: status %d, error %q; want 200 or 401 invalid_client", r.name, status, ans.Error)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s still issues tokens for %s %v after the change", r.name, clientID, limit)
		}
		time.Sleep(pollEvery)
	}
}

// trimmed shortens a log for a failure message.
func trimmed(s string) string {
	if len(s) > 4000 {
		return "…" + s[len(s)-4000:]
	}
	return strings.TrimSpace(s)
}
