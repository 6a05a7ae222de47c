package gateway_test

import (
	"context"
	"flag"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/gateway"
)

func TestFromFlags(t *testing.T) {
	env := map[string]string{
		"MINT_GATEWAY_UPSTREAM": "http://127.0.0.1:9000", "MINT_ISSUER": "https://mint.example",
		"MINT_GATEWAY_AUDIENCE": "api", "MINT_GATEWAY_RULES": "GET /a read; POST /a write",
	}
	tests := []struct {
		args   []string
		listen string
		rules  string
	}{
		{nil, gateway.DefaultListen, "GET /a read; POST /a write"},
		{[]string{"--listen", "127.0.0.1:0", "--rule", "/b x,y", "--rule", "PUT /c"}, "127.0.0.1:0", "/b x,y; PUT /c"},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
		o := gateway.FromFlags(fs, func(k string) string { return env[k] })
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, r := range o.Rules {
			rules = append(rules, r.String())
		}
		if o.Listen != tt.listen || strings.Join(rules, "; ") != tt.rules || o.Issuer != "https://mint.example" ||
			o.Audience != "api" || o.Upstream != env["MINT_GATEWAY_UPSTREAM"] {
			t.Errorf("%v: %+v", tt.args, o)
		}
	}
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	gateway.FromFlags(fs, func(string) string { return "" })
	if err := fs.Parse([]string{"--rule", "GET"}); err == nil {
		t.Error("bad --rule accepted")
	}
	for _, tt := range []struct {
		env   string
		args  []string
		allow bool
	}{
		{"", nil, false}, {"", []string{"--default-deny"}, false}, {"", []string{"--default-deny=false"}, true},
		{"false", nil, true}, {"0", nil, true}, {"true", nil, false}, {"false", []string{"--default-deny"}, false},
	} {
		fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
		o := gateway.FromFlags(fs, func(k string) string { return map[string]string{"MINT_GATEWAY_DEFAULT_DENY": tt.env}[k] })
		if err := fs.Parse(tt.args); err != nil || o.AllowUnmatched != tt.allow {
			t.Errorf("env %q, args %q: AllowUnmatched %v, %v; want %v", tt.env, tt.args, o.AllowUnmatched, err, tt.allow)
		}
	}
	bad := gateway.FromFlags(flag.NewFlagSet("g", flag.ContinueOnError), func(k string) string {
		return map[string]string{"MINT_GATEWAY_DEFAULT_DENY": "maybe", "MINT_GATEWAY_UPSTREAM": "http://u",
			"MINT_ISSUER": "http://i", "MINT_GATEWAY_AUDIENCE": "a"}[k]
	})
	if err := gateway.Run(t.Context(), bad); err == nil || !strings.Contains(err.Error(), "MINT_GATEWAY_DEFAULT_DENY") {
		t.Errorf("Run with MINT_GATEWAY_DEFAULT_DENY=maybe: %v", err)
	}
	o := gateway.FromFlags(flag.NewFlagSet("g", flag.ContinueOnError), func(string) string { return "" })
	if err := gateway.Run(t.Context(), o); err == nil || !strings.Contains(err.Error(), "--upstream, --issuer, --audience") {
		t.Errorf("Run without settings: %v", err)
	}
}

// TestServe runs the gateway as "mint gateway" does and stops it.
func TestServe(t *testing.T) {
	iss := newIssuer(t)
	up, _ := headerEcho(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- gateway.Serve(ctx, ln, &gateway.Options{
			Upstream: up.URL, Issuer: iss.srv.URL, Audience: audience, AllowUnmatched: true,
		})
	}()
	url := "http://" + ln.Addr().String() + "/x"
	resp, body := do(t, "GET", url, map[string][]string{"Authorization": {"Bearer " + iss.token(t, "")}})
	if resp.StatusCode != 200 {
		t.Errorf("status %d: %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not stop")
	}
}
