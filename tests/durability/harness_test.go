// Package durability holds mint's crash and fault tests (issue 8): the
// real binary is killed with SIGKILL while it acknowledges admin writes,
// its PostgreSQL is stopped and started under load, its SQLite disk fills
// up, and its backups are restored and served. It has tests only.
package durability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mintproc"
)

var mintBin string

func TestMain(m *testing.M) { mintproc.Main(m, &mintBin) }

// Test credentials and master key of every mint started here.
const (
	adminID     = "durability-admin"
	adminSecret = "durability-admin-secret-0123456789abcdef"
	masterKey   = "DVwiN/4hX5eJ7SELrNjkbEwSJ7frepcUbev0DR8zdyo="
)

// mintProcess is a running `mint serve`, killed when the test ends.
type mintProcess struct{ *mintproc.Process }

func startMint(t *testing.T, db string, args ...string) *mintProcess {
	t.Helper()
	return startMintEnv(t, []string{"MINT_MASTER_KEY=" + masterKey}, db, args...)
}

// startMintEnv starts mint serve on db with env added to the bootstrap
// client's.
func startMintEnv(t *testing.T, env []string, db string, args ...string) *mintProcess {
	t.Helper()
	env = append([]string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret}, env...)
	p, err := mintproc.Start(mintBin, env, "", append([]string{"--db", db}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return &mintProcess{p}
}

// client is an HTTP client whose timeout tells a hang from an answer.
var client = &http.Client{Timeout: 15 * time.Second}

// answer is one HTTP answer.
type answer struct {
	status int
	body   []byte
	took   time.Duration
	link   string // the Link header: a list's next page
}

// errorCode returns the "error" member of a JSON error answer, "" if none.
func (a answer) errorCode() string {
	var e struct{ Error string }
	json.Unmarshal(a.body, &e)
	return e.Error
}

func send(ctx context.Context, method, url, bearer string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{took: time.Since(start)}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: raw, took: time.Since(start), link: resp.Header.Get("Link")}, err
}

// must sends a request and wants the status, decoding the answer into out.
func must(t *testing.T, method, url, bearer string, body any, want int, out any) answer {
	t.Helper()
	a, err := send(context.Background(), method, url, bearer, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if a.status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, a.status, want, a.body)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, a.body)
		}
	}
	return a
}

// tokenRequest asks for a token with a client's secret.
func tokenRequest(ctx context.Context, base, id, secret, audience string) (answer, error) {
	return send(ctx, "POST", base+"/oauth/token", "", map[string]string{"grant_type": "client_credentials",
		"client_id": id, "client_secret": secret, "audience": audience})
}

// adminToken returns an admin access token of the bootstrap client.
func adminToken(t *testing.T, base string) string {
	t.Helper()
	a, err := tokenRequest(context.Background(), base, adminID, adminSecret, "urn:mint:admin")
	if err != nil || a.status != 200 {
		t.Fatalf("admin token: %v %d %s", err, a.status, a.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(a.body, &tok)
	return tok.AccessToken
}

// creds are a client's credentials.
type creds struct{ id, secret string }

// newClientWithGrant creates a client granted the audience (creating the
// API the first time).
func newClientWithGrant(t *testing.T, base, bearer, audience string) creds {
	t.Helper()
	send(context.Background(), "POST", base+"/admin/v1/apis", bearer, map[string]any{"name": "durability", "audience": audience})
	var c struct{ ClientID, ClientSecret string }
	a := must(t, "POST", base+"/admin/v1/clients", bearer, map[string]any{"name": "durability"}, 201, nil)
	var raw map[string]string
	json.Unmarshal(a.body, &raw)
	c.ClientID, c.ClientSecret = raw["client_id"], raw["client_secret"]
	must(t, "POST", base+"/admin/v1/grants", bearer, map[string]any{"client_id": c.ClientID, "audience": audience}, 201, nil)
	return creds{c.ClientID, c.ClientSecret}
}

// listClientIDs returns every client ID the admin API lists, following
// its pages (the Link header's rel="next").
func listClientIDs(t *testing.T, base, bearer string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for path := "/admin/v1/clients?limit=1000"; path != ""; {
		var clients []struct {
			ClientID string `json:"client_id"`
		}
		a := must(t, "GET", base+path, bearer, nil, 200, &clients)
		for _, c := range clients {
			ids[c.ClientID] = true
		}
		path = ""
		if m := nextLink.FindStringSubmatch(a.link); m != nil {
			path = m[1]
		}
	}
	return ids
}

// nextLink reads the target of a Link header's rel="next".
var nextLink = regexp.MustCompile(`^<([^>]+)>; rel="next"$`)

// auditSubjects returns the subjects of every record of a kind.
func auditSubjects(t *testing.T, base, bearer, kind string) map[string]bool {
	t.Helper()
	subjects := map[string]bool{}
	var after int64
	for {
		var page []struct {
			Seq     int64  `json:"seq"`
			Subject string `json:"subject"`
		}
		must(t, "GET", fmt.Sprintf("%s/admin/v1/audit?kind=%s&after_seq=%d&limit=1000", base, kind, after), bearer, nil, 200, &page)
		for _, r := range page {
			subjects[r.Subject], after = true, r.Seq
		}
		if len(page) < 1000 {
			return subjects
		}
	}
}

// verifyAudit wants GET /admin/v1/audit/verify to say the chain is whole.
func verifyAudit(t *testing.T, base, bearer string) {
	t.Helper()
	var rep struct {
		OK      bool   `json:"ok"`
		Checked int    `json:"checked"`
		Problem string `json:"problem"`
	}
	must(t, "GET", base+"/admin/v1/audit/verify", bearer, nil, 200, &rep)
	if !rep.OK {
		t.Errorf("audit chain broken: %s", rep.Problem)
	}
}

// runMint runs a mint command to completion and returns its output.
func runMint(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(mintBin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
