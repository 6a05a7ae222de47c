package main_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/tracing/otlptest"
)

// TestServeExportsTraces: mint serve exports the token request's spans to
// the collector named by --otlp-endpoint or by the standard environment
// variable, continuing the caller's traceparent, with the service name
// OTEL_SERVICE_NAME gives, and the spans still queued leave at shutdown.
func TestServeExportsTraces(t *testing.T) {
	const trace = "5bf92f3577b34da6a3ce929d0e0e4736"
	for _, tc := range []struct {
		name    string
		env     func(url string) []string
		args    func(url string) []string
		service string
	}{
		{"flag", func(string) []string { return nil }, func(u string) []string { return []string{"--otlp-endpoint", u} }, "mint"},
		{"environment", func(u string) []string {
			return []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + u, "OTEL_SERVICE_NAME=mint-eu-1"}
		}, func(string) []string { return nil }, "mint-eu-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			receiver := otlptest.New(t)
			env := append([]string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret}, tc.env(receiver.URL)...)
			m := startMint(t, env, tc.args(receiver.URL)...)
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID}, "client_secret": {adminSecret}, "audience": {"urn:mint:admin"}}
			req, _ := http.NewRequest(http.MethodPost, m.URL+"/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("traceparent", "00-"+trace+"-00f067aa0ba902b7-01")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("token: %d", resp.StatusCode)
			}
			m.Stop(t)
			names := map[string]bool{}
			for _, s := range receiver.Spans() {
				if s.TraceID == trace {
					names[s.Name] = true
					if s.Service != tc.service {
						t.Errorf("span %q: service.name %q, want %q", s.Name, s.Service, tc.service)
					}
				}
			}
			for _, want := range []string{"POST /oauth/token", "client authentication", "grant resolution", "sign", "audit enqueue"} {
				if !names[want] {
					t.Errorf("no span %q in the caller's trace; got %v\n%s", want, names, m.Log())
				}
			}
			if !strings.Contains(m.Log(), `"msg":"traces exported over OTLP/HTTP"`) {
				t.Errorf("the log does not say where traces go:\n%s", m.Log())
			}
		})
	}
}
