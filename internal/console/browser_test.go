package console_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

var screenshots = flag.Bool("screenshots", false, "write screenshots of the main pages to ../docs/console/")

// chromiumPath is Debian's chromium, which ./scripts/test installs.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab's context, bounded in time; Chromium is killed at the end of the
// test.
func newBrowser(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("%s is missing: run ./scripts/test, which installs Debian's chromium package (%v)", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTime := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts Chromium
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	return ctx
}

type step = chromedp.Action[chromedp.Void]

// run runs chromedp steps and fails the test on an error.
func run(t *testing.T, ctx context.Context, what string, steps ...step) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: %v (page %s)", what, err, loc)
	}
}

// value runs an action that returns a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s: %v (page %s)", what, err, loc)
	}
	return v
}

// waitFor polls a JavaScript condition until it holds, across navigations.
func waitFor(js string) step {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		for {
			if ok, err := chromedp.Evaluate[bool](js)(ctx, tgt); err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", js, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// waitPath waits until the tab is at path (without query) and loaded.
func waitPath(path string) step {
	return waitFor(fmt.Sprintf(`location.pathname === %q && document.readyState === "complete"`, path))
}

// waitText waits until the element sel exists and its text holds want.
func waitText(sel, want string) step {
	return waitFor(fmt.Sprintf(`(document.querySelector(%q)?.textContent || "").includes(%q)`, sel, want))
}

// TestBrowserTour drives the console in headless Chromium as an operator
// would: sign in with the keyboard, create an API, a client (secret read
// and copied), a grant; get a token over HTTP with the secret; rotate the
// secret, delete the client and sign out.
func TestBrowserTour(t *testing.T) {
	m := startMint(t)
	ctx := newBrowser(t, 2*time.Minute)

	run(t, ctx, "an unsigned visit is sent to sign in",
		chromedp.Navigate(m.URL+"/console/clients"), waitPath("/console/sign-in"))
	signInWithKeyboard(t, ctx)
	shoot(t, ctx, "apis")

	run(t, ctx, "create an API",
		chromedp.SendKeys(chromedp.CSS("#api-name"), "Cargo"),
		chromedp.SendKeys(chromedp.CSS("#api-audience"), "https://cargo.example"),
		chromedp.SendKeys(chromedp.CSS("#api-scopes"), "read:cargo write:cargo"),
		chromedp.SetValue(chromedp.CSS("#api-lifetime"), "3600"),
		chromedp.SetValue(chromedp.CSS("#api-alg"), "ES256"),
		chromedp.Click(chromedp.CSS("#create-api-submit")),
		waitText("#notice", "API “Cargo” created."),
		waitText("table", "https://cargo.example"))

	run(t, ctx, "create a client",
		chromedp.Navigate(m.URL+"/console/clients"),
		chromedp.SendKeys(chromedp.CSS("#client-name"), "cargo partner"),
		chromedp.Click(chromedp.CSS("#create-client-submit")),
		chromedp.WaitVisible(chromedp.CSS("#new-secret")))
	secret := value(t, ctx, "read the secret", chromedp.Text(chromedp.CSS("#new-secret")))
	clientID := value(t, ctx, "read the client id", chromedp.Text(chromedp.CSS("#client-id")))
	if !strings.HasPrefix(secret, "mint_") || clientID == "" {
		t.Fatalf("secret %q, client id %q", secret, clientID)
	}
	copySecret(t, ctx, m.URL, secret)

	run(t, ctx, "add a grant",
		chromedp.SetValue(chromedp.CSS("#grant-audience"), "https://cargo.example"),
		chromedp.SendKeys(chromedp.CSS("#grant-scopes"), "read:cargo"),
		chromedp.Click(chromedp.CSS("#add-grant")),
		waitText("#notice", "Grant on https://cargo.example added."),
		waitFor(`document.querySelector('input[name="scope"][value="read:cargo"]').checked === true`),
		waitFor(`document.querySelector('input[name="scope"][value="write:cargo"]').checked === false`))
	if !strings.Contains(outerHTML(t, ctx, "main"), "cargo partner") {
		t.Error("the client page does not name the client")
	}
	shoot(t, ctx, "client")

	tok, status := m.token(t, clientID, secret, "https://cargo.example")
	if status != http.StatusOK || claim(t, tok, "scope") != "read:cargo" {
		t.Fatalf("token with the secret read from the page: %d, scope %q", status, claim(t, tok, "scope"))
	}

	run(t, ctx, "rotate the secret, old one kept an hour",
		chromedp.SetValue(chromedp.CSS("#old-secret-ttl"), "3600"),
		chromedp.Click(chromedp.CSS("#rotate-secret")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")),
		chromedp.Click(chromedp.CSS("#confirm-yes")),
		waitText("#notice", "Secret rotated"))
	newSecret := value(t, ctx, "read the new secret", chromedp.Text(chromedp.CSS("#new-secret")))
	expiries := value(t, ctx, "read the secrets' expiry",
		chromedp.Evaluate[[]string](`[...document.querySelectorAll("#secrets td.expires")].map(td => td.textContent.trim())`))
	if newSecret == secret || !strings.HasPrefix(newSecret, "mint_") {
		t.Fatalf("new secret %q", newSecret)
	}
	if len(expiries) != 2 || !slicesHas(expiries, "never") || !slicesHasPrefix(expiries, time.Now().UTC().Add(time.Hour).Format("2006-01-02")) {
		t.Errorf("secrets' expiry column = %q, want the new one never and the old one in an hour", expiries)
	}
	for _, s := range []string{secret, newSecret} {
		if _, status := m.token(t, clientID, s, "https://cargo.example"); status != http.StatusOK {
			t.Errorf("token with a secret live after rotation: %d", status)
		}
	}

	run(t, ctx, "delete the client, confirmed in the dialog",
		chromedp.Click(chromedp.CSS("#delete-client")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")),
		chromedp.Click(chromedp.CSS("#confirm-yes")),
		waitPath("/console/clients"),
		waitText("#notice", "Client “cargo partner” deleted."))
	if status := m.admin(t, "GET", "/admin/v1/clients/"+clientID, nil, nil); status != http.StatusNotFound {
		t.Errorf("client after delete: %d, want 404", status)
	}
	if _, status := m.token(t, clientID, newSecret, "https://cargo.example"); status == http.StatusOK {
		t.Error("a deleted client still gets tokens")
	}

	run(t, ctx, "sign out",
		chromedp.Click(chromedp.CSS("#sign-out")),
		waitPath("/console/sign-in"), waitText("#notice", "You are signed out."),
		chromedp.Navigate(m.URL+"/console/apis"), waitPath("/console/sign-in"))
}

// signInWithKeyboard tabs to the sign-in fields, types, and submits with
// Enter.
func signInWithKeyboard(t *testing.T, ctx context.Context) {
	t.Helper()
	shoot(t, ctx, "sign-in")
	active := func() string {
		return value(t, ctx, "focused element", chromedp.Evaluate[string](`document.activeElement.id`))
	}
	for i := 0; i < 6 && active() != "client_id"; i++ {
		run(t, ctx, "tab", chromedp.KeyEvent("\t"))
	}
	if a := active(); a != "client_id" {
		t.Fatalf("tabbing never reached the client id field (at %q)", a)
	}
	run(t, ctx, "sign in with the keyboard", chromedp.KeyEvent(adminID), chromedp.KeyEvent("\t"))
	if a := active(); a != "client_secret" {
		t.Fatalf("tab from the client id went to %q, want the secret field", a)
	}
	run(t, ctx, "submit with Enter", chromedp.KeyEvent(adminSecret), chromedp.KeyEvent("\r"), waitPath("/console/apis"))
}

// copySecret clicks the secret's copy button and checks the clipboard when
// the browser lets the page read it back.
func copySecret(t *testing.T, ctx context.Context, origin, secret string) {
	t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: origin})
		if err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	run(t, ctx, "copy the secret",
		chromedp.Click(chromedp.CSS(`button[data-copy="new-secret"]`)),
		waitFor(`document.querySelector('[data-copy-status="new-secret"]').textContent !== ""`))
	status := value(t, ctx, "copy status", chromedp.Text(chromedp.CSS(`[data-copy-status="new-secret"]`)))
	pasted := value(t, ctx, "read the clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if status != "Copied" {
		t.Errorf("copy status %q, want Copied", status)
	}
	if pasted != secret {
		t.Errorf("clipboard holds %q, want the secret", pasted)
	}
}

// TestBrowserRefusals: a fresh browser without sign-in is sent to the
// sign-in page, and a form on another site that posts to the console of a
// signed-in browser is refused and changes nothing.
func TestBrowserRefusals(t *testing.T) {
	m := startMint(t)
	ctx := newBrowser(t, time.Minute)
	run(t, ctx, "fresh session", chromedp.Navigate(m.URL+"/console/keys"), waitPath("/console/sign-in"))

	// The attacker's page is on another site: localhost, where mint is
	// on 127.0.0.1.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(m.URL, "http://"))
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="http://127.0.0.1:%s/console/apis">
<input name="name" value="Evil"><input name="audience" value="https://evil.example">
<input name="token_lifetime" value="3600"><input name="signing_alg" value="RS256"><input name="csrf" value="guess">
</form><script>document.getElementById("f").submit()</script>`, port)
	}))
	defer evil.Close()
	_, evilPort, _ := net.SplitHostPort(strings.TrimPrefix(evil.URL, "http://"))
	evilURL := "http://localhost:" + evilPort

	signInWithKeyboard(t, ctx)
	before := m.apiCount(t)
	run(t, ctx, "cross-site form post",
		chromedp.Navigate(evilURL+"/"),
		waitFor(`location.pathname === "/console/apis" && document.readyState === "complete"`))
	body := value(t, ctx, "read the answer", chromedp.Text(chromedp.CSS("body")))
	if !strings.Contains(body, "cross-site request refused") {
		t.Errorf("the cross-site post was answered with %q, want a refusal", body)
	}
	if n := m.apiCount(t); n != before {
		t.Errorf("APIs: %d, want %d: the cross-site post created one", n, before)
	}
	run(t, ctx, "still signed in", chromedp.Navigate(m.URL+"/console/apis"), waitPath("/console/apis"))
}

// TestBrowserScreenshots writes the main pages at laptop and phone width
// to docs/console/ when run with -screenshots.
func TestBrowserScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write docs/console/*.png")
	}
	m := startMint(t)
	var api struct{ ID string }
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Dataloy", "audience": "https://dataloy",
		"scopes": []string{"read:cargo", "write:cargo"}}, &api)
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Dataloy (dev)", "audience": "https://dataloy.dev",
		"scopes": []string{"read:cargo"}, "token_lifetime": 3600}, nil)
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "cargo partner"}, &c)
	m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": "https://dataloy", "scopes": []string{"read:cargo"}}, nil)
	for range 14 { // a client that takes a token per call, to be flagged
		m.token(t, c.ID, c.Secret, "https://dataloy")
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "billing batch job"}, nil)
	m.admin(t, "POST", "/admin/v1/clients/"+c.ID+"/rotate-secret", map[string]any{"old_secret_ttl": 86400}, nil)
	m.admin(t, "POST", "/admin/v1/keys/rotate", map[string]any{"algorithm": "RS256"}, nil)
	for _, width := range []int64{1280, 390} {
		ctx := newBrowser(t, time.Minute)
		suffix := "-laptop"
		if width < 600 {
			suffix = "-phone"
		}
		run(t, ctx, "viewport", chromedp.EmulateViewport(width, 800), chromedp.Navigate(m.URL+"/console/sign-in"), waitPath("/console/sign-in"))
		writeShot(t, ctx, "sign-in"+suffix)
		signInWithKeyboard(t, ctx)
		for name, path := range map[string]string{"apis": "/console/apis", "client": "/console/clients/" + c.ID,
			"keys": "/console/keys", "snippets": "/console/snippets?client=" + c.ID + "&api=" + api.ID, "clients": "/console/clients"} {
			run(t, ctx, name, chromedp.Navigate(m.URL+path), waitFor(`document.readyState === "complete"`))
			writeShot(t, ctx, name+suffix)
		}
	}
}

// shoot is a no-op hook in the tour; screenshots come from
// TestBrowserScreenshots.
func shoot(*testing.T, context.Context, string) {}

func writeShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	dir := filepath.Join("..", "..", "docs", "console")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func outerHTML(t *testing.T, ctx context.Context, sel string) string {
	return value(t, ctx, "read "+sel, chromedp.OuterHTML(chromedp.CSS(sel)))
}

// claim reads one claim of a JWT without verifying it.
func claim(t *testing.T, token, name string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	s, _ := claims[name].(string)
	return s
}

func slicesHas(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func slicesHasPrefix(list []string, prefix string) bool {
	for _, v := range list {
		if strings.HasPrefix(v, prefix) {
			return true
		}
	}
	return false
}

// TestBrowserAuditFitsALaptop: the audit log, its details opened, fits a
// 1280-pixel-wide window without scrolling sideways, and lists the newest
// records first, 50 a page, the older ones a link away.
func TestBrowserAuditFitsALaptop(t *testing.T) {
	m := startMint(t)
	// Long audiences, ids and details, as a real deployment has them.
	for i := range 12 {
		aud := fmt.Sprintf("https://cargo-tracking-%02d.eu-west-1.partners.example.com/api/v2/shipments", i)
		m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Cargo tracking, region " + fmt.Sprint(i), "audience": aud,
			"scopes": []string{"read:cargo", "write:cargo", "read:manifests", "write:manifests"}}, nil)
		var c struct {
			ID string `json:"client_id"`
		}
		m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "partner with a rather long name " + fmt.Sprint(i)}, &c)
		m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": aud,
			"scopes": []string{"read:cargo", "read:manifests"}}, nil)
	}
	ctx := newBrowser(t, time.Minute)
	run(t, ctx, "sign in", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(m.URL+"/console/sign-in"), waitPath("/console/sign-in"))
	signInWithKeyboard(t, ctx)
	run(t, ctx, "open the audit log, every record's details shown",
		chromedp.Navigate(m.URL+"/console/audit"), waitPath("/console/audit"),
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("#audit details").forEach(d => d.open = true)`))
	widths := value(t, ctx, "measure", chromedp.Evaluate[map[string]int](`(() => {
		const wrap = document.querySelector("#audit").closest(".table-wrap");
		return {page: document.documentElement.scrollWidth, window: window.innerWidth,
			table: wrap.scrollWidth, box: wrap.clientWidth};
	})()`))
	if widths["page"] > widths["window"] || widths["table"] > widths["box"] {
		t.Errorf("the audit log is wider than a 1280-pixel window: page %d in a window of %d, table %d in a box of %d",
			widths["page"], widths["window"], widths["table"], widths["box"])
	}
	seqs := value(t, ctx, "read the record numbers", chromedp.Evaluate[[]int](
		`[...document.querySelectorAll("#audit tbody th")].map(th => Number(th.textContent))`))
	if len(seqs) != 50 || !slices.IsSortedFunc(seqs, func(a, b int) int { return b - a }) {
		t.Errorf("records on the first page: %v, want 50, newest first", seqs)
	}
	run(t, ctx, "older records", chromedp.Click(chromedp.CSS("#audit-older")), waitFor(`location.search.includes("before_seq=")`),
		waitFor(`document.readyState === "complete"`))
	older := value(t, ctx, "read the older record numbers", chromedp.Evaluate[[]int](
		`[...document.querySelectorAll("#audit tbody th")].map(th => Number(th.textContent))`))
	if len(seqs) == 0 || len(older) == 0 || older[0] != seqs[len(seqs)-1]-1 {
		t.Errorf("the older page starts at %v, want the record before %v", older, seqs[len(seqs)-1:])
	}
}

// TestBrowserTrustRule adds a trust rule to a client on its page, sees a
// refused field explained beside it, and deletes the rule in the dialog.
func TestBrowserTrustRule(t *testing.T) {
	m := startMint(t)
	id, _ := m.newClient(t, "ci deployer")
	ctx := newBrowser(t, time.Minute)
	run(t, ctx, "sign in", chromedp.Navigate(m.URL+"/console/sign-in"))
	signInWithKeyboard(t, ctx)

	run(t, ctx, "a rule whose subject is its issuer is refused beside the subject",
		chromedp.Navigate(m.URL+"/console/clients/"+id),
		chromedp.SendKeys(chromedp.CSS("#rule-issuer"), "https://token.actions.example"),
		chromedp.SendKeys(chromedp.CSS("#rule-subject"), "https://token.actions.example"),
		chromedp.SendKeys(chromedp.CSS("#rule-audience"), "https://mint.example"),
		chromedp.Click(chromedp.CSS("#add-rule")),
		waitText("#rule-subject-error", "subject must differ from issuer"),
		waitFor(`document.querySelector("#rule-subject").getAttribute("aria-invalid") === "true"`),
		waitFor(`document.querySelector("#rule-issuer").value === "https://token.actions.example"`))

	run(t, ctx, "add a rule",
		chromedp.SetValue(chromedp.CSS("#rule-subject"), "repo:acme/cargo:ref:refs/heads/main"),
		chromedp.SendKeys(chromedp.CSS("#rule-claims"), "environment=prod"),
		chromedp.SendKeys(chromedp.CSS("#rule-max_age"), "600"),
		chromedp.Click(chromedp.CSS("#add-rule")),
		waitText("#notice", "Trust rule added."),
		waitText("#trust-rules", "repo:acme/cargo:ref:refs/heads/main"),
		waitText("#trust-rules", "environment=prod"))
	rules := m.rules(t, id)
	if len(rules) != 1 || rules[0].Subject != "repo:acme/cargo:ref:refs/heads/main" || rules[0].MaxAge != 600 {
		t.Fatalf("rules after adding one in the browser: %+v", rules)
	}
	// A rule with long URLs, as an EKS cluster's are: the table still fits
	// a laptop's window, without scrolling sideways.
	eks := "https://oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
	m.admin(t, "POST", "/admin/v1/clients/"+id+"/federated-credentials", map[string]any{"issuer": eks,
		"subject": "system:serviceaccount:cargo:deployer", "audience": "https://mint.example", "jwks_uri": eks + "/keys"}, nil)
	run(t, ctx, "reload", chromedp.Reload(), waitText("#trust-rules", "system:serviceaccount:cargo:deployer"))
	if fits := value(t, ctx, "table width", chromedp.Evaluate[bool](
		`(w => w.scrollWidth <= w.clientWidth)(document.querySelector("#trust-rules").parentElement)`)); !fits {
		t.Error("the trust rules table scrolls sideways at laptop width")
	}

	run(t, ctx, "delete it, confirmed in the dialog",
		chromedp.Click(chromedp.CSS("#delete-rule-"+rules[0].ID)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")),
		chromedp.Click(chromedp.CSS("#confirm-yes")),
		waitText("#notice", "Trust rule deleted."),
		waitFor(`!document.querySelector("#trust-rules").textContent.includes("repo:acme/cargo")`))
	if rules := m.rules(t, id); len(rules) != 1 || rules[0].Issuer != eks {
		t.Errorf("rules after deleting one in the browser: %+v, want the EKS rule left", rules)
	}
}
