package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mintauth/mint/internal/server"
)

// The Auth0 tenant of these tests: internal/auth0/testdata/api holds one
// page of each Management API list, in Auth0's documented shape.
const (
	auth0MgmtToken = "auth0-mgmt-token-never-shown-0123456789"
	auth0ClientID  = "G99j845dM4MtckQlKt8E6oAbCdEfGhIj"
	auth0Secret    = "-mMElVOMzvht2SyQPfVh-WIaPCbOxRdWN5YngBxtBKybQmli-Tq8sVb3kLpW9xYzA1"
	auth0Audience  = "https://dataloy"
)

// fakeAuth0 plays a tenant's Management API over loopback.
type fakeAuth0 struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]string // list → its page, TENANT standing for the host
}

func newFakeAuth0(t *testing.T) *fakeAuth0 {
	t.Helper()
	f := &fakeAuth0{answers: map[string]string{}}
	for _, name := range []string{"resource-servers", "clients", "client-grants"} {
		data, err := os.ReadFile(filepath.Join("..", "auth0", "testdata", "api", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		f.answers[name] = string(data)
	}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+auth0MgmtToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		answer, ok := f.answers[strings.TrimPrefix(r.URL.Path, "/api/v2/")]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, strings.ReplaceAll(answer, "https://TENANT", "http://"+r.Host))
	}))
	t.Cleanup(f.Close)
	return f
}

// auth0DB is a fresh SQLite database, as `mint serve` leaves it: no API yet.
func auth0DB(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "mint.db")
	s, err := server.OpenStore(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return db
}

// runImportAuth0 runs `mint import auth0` with env; no output may show a
// secret or the Management API token.
func runImportAuth0(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(context.Background(), append([]string{"import", "auth0"}, args...), func(k string) string { return env[k] },
		strings.NewReader(""), &out, &errOut, Extensions{OpenStore: server.OpenStore})
	for _, s := range []string{auth0Secret, auth0MgmtToken} {
		if strings.Contains(out.String()+errOut.String(), s) {
			t.Errorf("output shows a secret or the token:\n%s%s", out.String(), errOut.String())
		}
	}
	return code, out.String(), errOut.String()
}

// takeToken asks a real mint server on db for a token with the request of
// the seeds' documentation: a JSON body with client_id, client_secret,
// audience and grant_type. It returns the status and the token's claims.
func takeToken(t *testing.T, db, clientID, clientSecret, audience string) (int, map[string]any) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	srv, err := server.New(t.Context(), server.Config{DB: db, Issuer: "http://" + ts.Listener.Addr().String(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	defer func() { ts.Close(); srv.Close() }()
	body, _ := json.Marshal(map[string]string{"client_id": clientID, "client_secret": clientSecret,
		"audience": audience, "grant_type": "client_credentials"})
	resp, err := http.Post(ts.URL+server.DefaultTokenPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	parts := strings.Split(answer.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("access_token is not a JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, claims
}

// From the Management API to a token: the partner's unchanged request
// (Auth0's client id and secret, same audience) gets a token from mint.
func TestImportAuth0FromManagementAPI(t *testing.T) {
	f := newFakeAuth0(t)
	db := auth0DB(t)
	env := map[string]string{"AUTH0_MGMT_TOKEN": auth0MgmtToken}

	code, stdout, stderr := runImportAuth0(t, env, "--db", db, "--domain", f.URL, "--dry-run")
	if code != 0 || !strings.Contains(stdout, "create client "+auth0ClientID) || !strings.Contains(stdout, "--dry-run") {
		t.Fatalf("dry run: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := len(storedClients(t, db)); n != 0 {
		t.Fatalf("the dry run wrote %d clients", n)
	}

	code, stdout, stderr = runImportAuth0(t, env, "--db", db, "--domain", f.URL)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"create API https://dataloy (Dataloy): scopes [read:voyages write:voyages], token lifetime 3600s, RS256",
		"create client " + auth0ClientID + " (Shipping Partner), same secret, 1 grants",
		"grant https://dataloy [read:voyages]",
		"skipped API " + f.URL + "/api/v2/: the Auth0 Management API stays with Auth0",
		`skipped application Dataloy Web: not machine-to-machine (app_type "spa")`,
		"skipped application All Applications: the tenant's global client",
		"skipped grant " + auth0ClientID + " → " + f.URL + "/api/v2/: its API is not moved",
		"    metadata partner_region\n    metadata tier\n",
		"skipped metadata " + auth0ClientID + `: 1st_contact: key "1st_contact" must start with an ASCII letter`,
		"skipped metadata " + auth0ClientID + `: notes: the value of "notes" has 400 bytes, at most 256`,
		"created 1 APIs, 1 clients and 1 grants; 0 identical left alone, 0 different left alone, 6 skipped",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}

	// client_metadata within mint's limits is the client's metadata.
	if clients := storedClients(t, db); len(clients) != 1 ||
		!maps.Equal(clients[0].Metadata, map[string]string{"tier": "gold", "partner_region": "eu-west"}) {
		t.Fatalf("stored clients %+v, want Shipping Partner with its tier and partner_region", clients)
	}

	// Run again: everything is there already, identical.
	code, stdout, stderr = runImportAuth0(t, env, "--db", db, "--domain", f.URL)
	if code != 0 || !strings.Contains(stdout, "created 0 APIs, 0 clients and 0 grants; 2 identical left alone") {
		t.Fatalf("second run: exit %d\n%s%s", code, stdout, stderr)
	}

	// The tenant changed since: reported, not overwritten.
	f.mu.Lock()
	f.answers["clients"] = strings.Replace(f.answers["clients"], auth0Secret, "Z"+auth0Secret[1:], 1)
	f.answers["resource-servers"] = strings.Replace(f.answers["resource-servers"], `"token_lifetime": 3600,`, `"token_lifetime": 600,`, 1)
	f.mu.Unlock()
	code, stdout, stderr = runImportAuth0(t, env, "--db", db, "--domain", f.URL)
	if code != 0 || !strings.Contains(stdout, "exists, DIFFERENT: client "+auth0ClientID+": secret differ; not overwritten") ||
		!strings.Contains(stdout, "exists, DIFFERENT: API https://dataloy: token lifetime differ") {
		t.Fatalf("run on a changed tenant: exit %d\n%s%s", code, stdout, stderr)
	}

	status, claims := takeToken(t, db, auth0ClientID, auth0Secret, auth0Audience)
	if status != http.StatusOK {
		t.Fatalf("token request with Auth0's client id and secret: HTTP %d", status)
	}
	if claims["aud"] != auth0Audience || claims["scope"] != "read:voyages" {
		t.Errorf("token claims = %v; want aud %s, scope read:voyages", claims, auth0Audience)
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 3600 {
		t.Errorf("token lifetime %vs, want the resource server's 3600", exp-iat)
	}
	if status, _ := takeToken(t, db, auth0ClientID, "Z"+auth0Secret[1:], auth0Audience); status == http.StatusOK {
		t.Errorf("the changed secret was imported over the first one")
	}
}

func TestImportAuth0Refuses(t *testing.T) {
	f := newFakeAuth0(t)
	export := filepath.Join("..", "auth0", "testdata", "tenant.yaml")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no source", nil, []string{"--db", "DB"}, "give either --domain TENANT or the path"},
		{"both sources", nil, []string{"--db", "DB", "--domain", f.URL, export}, "give either --domain TENANT or the path"},
		{"no token", nil, []string{"--db", "DB", "--domain", f.URL}, "AUTH0_MGMT_TOKEN"},
		{"wrong token", map[string]string{"AUTH0_MGMT_TOKEN": "wrong"}, []string{"--db", "DB", "--domain", f.URL}, "HTTP 401"},
		{"http to a remote host", map[string]string{"AUTH0_MGMT_TOKEN": auth0MgmtToken}, []string{"--db", "DB", "--domain", "http://tenant.auth0.com"}, "use https"},
		{"no database", nil, []string{export}, "--db (or MINT_DB) is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := auth0DB(t)
			args := tc.args
			for i := range args {
				if args[i] == "DB" {
					args = append(append([]string{}, args[:i]...), append([]string{db}, args[i+1:]...)...)
				}
			}
			code, stdout, stderr := runImportAuth0(t, tc.env, args...)
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want a failure saying %q\n%s", code, stderr, tc.want, stdout)
			}
			if n := len(storedClients(t, db)); n != 0 {
				t.Errorf("%d clients written", n)
			}
		})
	}
}

// A Deploy CLI export holds no secrets: the import says so and offers the
// two ways out; with --new-secrets, mint makes new ones, written to a 0600
// file, and they work.
func TestImportAuth0ExportWithoutSecrets(t *testing.T) {
	db := auth0DB(t)
	export := filepath.Join("..", "auth0", "testdata", "tenant-ids.yaml")
	code, stdout, stderr := runImportAuth0(t, nil, "--db", db, export)
	if code == 0 || !strings.Contains(stderr, "2 clients have no secret") || !strings.Contains(stderr, "read:client_keys") ||
		!strings.Contains(stderr, "--new-secrets") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	if n := len(storedClients(t, db)); n != 0 {
		t.Fatalf("%d clients written", n)
	}

	secrets := filepath.Join(t.TempDir(), "new-secrets.jsonl")
	code, stdout, stderr = runImportAuth0(t, nil, "--db", db, export, "--new-secrets", secrets)
	if code != 0 || !strings.Contains(stderr, "partners must change") ||
		!strings.Contains(stdout, "created 1 APIs, 2 clients and 2 grants") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	info, err := os.Stat(secrets)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v, %v; want mode 0600", info, err)
	}
	data, _ := os.ReadFile(secrets)
	var first struct{ ClientID, ClientSecret string }
	if err := json.Unmarshal(bytes.SplitN(data, []byte("\n"), 2)[0], &struct {
		ClientID     *string `json:"client_id"`
		ClientSecret *string `json:"client_secret"`
	}{&first.ClientID, &first.ClientSecret}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout+stderr, first.ClientSecret) {
		t.Errorf("a new secret is shown in the output")
	}
	status, claims := takeToken(t, db, first.ClientID, first.ClientSecret, auth0Audience)
	if status != http.StatusOK || claims["aud"] != auth0Audience {
		t.Fatalf("token with the new secret: HTTP %d, claims %v", status, claims)
	}
}

// A directory export's dry run: the plan shows what is skipped and that
// secrets are missing, and nothing is written.
func TestImportAuth0DirectoryDryRun(t *testing.T) {
	db := auth0DB(t)
	code, stdout, stderr := runImportAuth0(t, nil, "--db", db, filepath.Join("..", "auth0", "testdata", "directory"), "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"create API https://dataloy (Dataloy)",
		"create client " + auth0ClientID + " (Shipping Partner), NO SECRET in the source, 1 grants",
		"grant https://dataloy [read:voyages write:voyages]",
		"skipped API https://legacy.dataloy: signing_alg HS256",
		`skipped application Dataloy Mobile: not machine-to-machine (app_type "native")`,
		"skipped grant Shipping Partner → https://legacy.dataloy: its API is not moved",
		"note: 1 clients have no secret",
		"nothing written (--dry-run)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if n := len(storedClients(t, db)); n != 0 {
		t.Errorf("the dry run wrote %d clients", n)
	}
}
