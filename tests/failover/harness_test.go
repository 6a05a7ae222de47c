package failover

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mintproc"
)

var mintBin string

func TestMain(m *testing.M) { mintproc.Main(m, &mintBin) }

const (
	adminID     = "failover-admin"
	adminSecret = "failover-admin-secret-0123456789abcdef"
	masterKey   = "DVwiN/4hX5eJ7SELrNjkbEwSJ7frepcUbev0DR8zdyo="
	audience    = "https://failover.test"
)

// startMint starts mint serve on dsn, killed when the test ends.
func startMint(t *testing.T, dsn string, args ...string) *mintproc.Process {
	t.Helper()
	env := []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret,
		"MINT_MASTER_KEY=" + masterKey}
	p, err := mintproc.Start(mintBin, env, "", append([]string{"--db", dsn}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

// client's timeout tells a hang from an answer.
var client = &http.Client{Timeout: 15 * time.Second}

type answer struct {
	status int
	body   []byte
}

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
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: raw}, err
}

func must(t *testing.T, method, url, bearer string, body any, want int) answer {
	t.Helper()
	a, err := send(context.Background(), method, url, bearer, body)
	if err != nil || a.status != want {
		t.Fatalf("%s %s: %v %d %s, want %d", method, url, err, a.status, a.body, want)
	}
	return a
}

func tokenRequest(ctx context.Context, base, id, secret, aud string) (answer, error) {
	return send(ctx, "POST", base+"/oauth/token", "", map[string]string{"grant_type": "client_credentials",
		"client_id": id, "client_secret": secret, "audience": aud})
}

// jti returns the "jti" of a token answer's access token.
func jti(body []byte) string {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(body, &tok)
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		JTI string `json:"jti"`
	}
	json.Unmarshal(payload, &claims)
	return claims.JTI
}

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

type creds struct{ id, secret string }

// newClients creates n clients granted audience.
func newClients(t *testing.T, base, bearer string, n int) []creds {
	t.Helper()
	must(t, "POST", base+"/admin/v1/apis", bearer, map[string]any{"name": "failover", "audience": audience}, 201)
	var out []creds
	for range n {
		a := must(t, "POST", base+"/admin/v1/clients", bearer, map[string]any{"name": "failover"}, 201)
		var c map[string]string
		json.Unmarshal(a.body, &c)
		must(t, "POST", base+"/admin/v1/grants", bearer, map[string]any{"client_id": c["client_id"], "audience": audience}, 201)
		out = append(out, creds{c["client_id"], c["client_secret"]})
	}
	return out
}

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
		a := must(t, "GET", fmt.Sprintf("%s/admin/v1/audit?kind=%s&after_seq=%d&limit=1000", base, kind, after), bearer, nil, 200)
		if err := json.Unmarshal(a.body, &page); err != nil {
			t.Fatalf("audit page: %v", err)
		}
		for _, r := range page {
			subjects[r.Subject], after = true, r.Seq
		}
		if len(page) < 1000 {
			return subjects
		}
	}
}

func verifyAudit(t *testing.T, base, bearer string) {
	t.Helper()
	var rep struct {
		OK      bool   `json:"ok"`
		Problem string `json:"problem"`
	}
	a := must(t, "GET", base+"/admin/v1/audit/verify", bearer, nil, 200)
	json.Unmarshal(a.body, &rep)
	if !rep.OK {
		t.Errorf("audit chain broken: %s", rep.Problem)
	}
}
