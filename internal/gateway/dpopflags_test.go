package gateway_test

import (
	"bytes"
	"encoding/base64"
	"flag"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/gateway"
)

func TestDPoPFlags(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	base := map[string]string{"MINT_GATEWAY_UPSTREAM": "http://u", "MINT_ISSUER": "http://i", "MINT_GATEWAY_AUDIENCE": "a"}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		required bool
		nonceKey []byte // nil: none; "random": any 32 bytes
		random   bool
		origin   string
		share    int
		runErr   string
	}{
		{name: "defaults"},
		{name: "required by flag", args: []string{"--dpop-required"}, required: true},
		{name: "required by env", env: map[string]string{"MINT_GATEWAY_DPOP_REQUIRED": "true"}, required: true},
		{name: "nonce key from env", env: map[string]string{"MINT_GATEWAY_DPOP_NONCE_KEY": base64.StdEncoding.EncodeToString(key)}, nonceKey: key},
		{name: "nonce key from env, base64url", env: map[string]string{"MINT_GATEWAY_DPOP_NONCE_KEY": base64.RawURLEncoding.EncodeToString(key)}, nonceKey: key},
		{name: "nonce flag keeps the env key", env: map[string]string{"MINT_GATEWAY_DPOP_NONCE_KEY": base64.StdEncoding.EncodeToString(key)}, args: []string{"--dpop-nonce"}, nonceKey: key},
		{name: "nonce flag alone makes a key", args: []string{"--dpop-nonce"}, random: true},
		{name: "nonce off", env: map[string]string{"MINT_GATEWAY_DPOP_NONCE_KEY": base64.StdEncoding.EncodeToString(key)}, args: []string{"--dpop-nonce=false"}},
		{name: "short key", env: map[string]string{"MINT_GATEWAY_DPOP_NONCE_KEY": base64.StdEncoding.EncodeToString(key[:16])}, runErr: "at least 32 bytes"},
		{name: "not base64", env: map[string]string{"MINT_GATEWAY_DPOP_NONCE_KEY": "%%%"}, runErr: "MINT_GATEWAY_DPOP_NONCE_KEY"},
		{name: "public origin", args: []string{"--public-origin", "https://api.example.com"}, origin: "https://api.example.com"},
		{name: "replay share by env", env: map[string]string{"MINT_GATEWAY_DPOP_REPLAY_SHARE": "500"}, share: 500},
		{name: "replay share by flag", env: map[string]string{"MINT_GATEWAY_DPOP_REPLAY_SHARE": "500"}, args: []string{"--dpop-replay-share", "9000"}, share: 9000},
		{name: "bad replay share env", env: map[string]string{"MINT_GATEWAY_DPOP_REPLAY_SHARE": "lots"}, runErr: "MINT_GATEWAY_DPOP_REPLAY_SHARE"},
		{name: "bad cert proxy env", env: map[string]string{"MINT_GATEWAY_CLIENT_CERT_PROXIES": "not-an-ip"}, runErr: "MINT_GATEWAY_CLIENT_CERT_PROXIES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
			o := gateway.FromFlags(fs, func(k string) string { return env[k] })
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if tt.runErr != "" {
				if err := gateway.Run(t.Context(), o); err == nil || !strings.Contains(err.Error(), tt.runErr) {
					t.Fatalf("Run: %v, want %q", err, tt.runErr)
				}
				return
			}
			switch {
			case o.DPoP.Required != tt.required, o.DPoP.PublicOrigin != tt.origin, o.DPoP.ReplayShare != tt.share:
				t.Fatalf("DPoP = %+v", o.DPoP)
			case tt.random && len(o.DPoP.NonceKey) != 32:
				t.Fatalf("no key made: %d bytes", len(o.DPoP.NonceKey))
			case !tt.random && !bytes.Equal(o.DPoP.NonceKey, tt.nonceKey):
				t.Fatalf("NonceKey = %x, want %x", o.DPoP.NonceKey, tt.nonceKey)
			}
		})
	}
}

func TestClientCertFlags(t *testing.T) {
	env := map[string]string{"MINT_GATEWAY_CLIENT_CERT_HEADER": "X-Client-Cert", "MINT_GATEWAY_CLIENT_CERT_PROXIES": "10.0.0.1, 192.168.0.0/16"}
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	o := gateway.FromFlags(fs, func(k string) string { return env[k] })
	if err := fs.Parse([]string{"--client-cert-proxy", "::1"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range o.DPoP.CertProxies {
		got = append(got, p.String())
	}
	if o.DPoP.CertHeader != "X-Client-Cert" || strings.Join(got, " ") != "10.0.0.1/32 192.168.0.0/16 ::1/128" {
		t.Fatalf("%q %v", o.DPoP.CertHeader, got)
	}
	fs = flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	gateway.FromFlags(fs, func(string) string { return "" })
	if err := fs.Parse([]string{"--client-cert-proxy", "example.com"}); err == nil {
		t.Fatal("a host name accepted as a proxy address")
	}
}
