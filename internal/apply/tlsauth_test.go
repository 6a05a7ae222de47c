package apply

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

const tlsClients = `version: 1
clients:
  - id: cargo
    name: Cargo
    tls_client_auth_subject_dn: 'CN=cargo,O=Example\, Inc.,C=DE'
  - id: ledger
    name: Ledger
    tls_client_auth_san_ip: "2001:db8::1"
  - id: signer
    name: Signer
    jwks: {keys: [{kty: OKP, crv: Ed25519, kid: k1, x: 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo}]}
    self_signed_tls_client_auth: true
`

// TestApplyTLSAuth: a file carries a client's RFC 8705 registration
// through apply and export, across both backends: created, exported
// identically, changed from one kind to another, removed with its line.
func TestApplyTLSAuth(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := ctxOf(t)
			s := testdb.Open(t, backend)
			applyPlan(t, ctx, s, planFile(t, ctx, s, tlsClients, false))
			want := map[string]mint.TLSAuth{
				"cargo":  {Kind: mint.TLSAuthSubjectDN, Value: `CN=cargo,O=Example\, Inc.,C=DE`},
				"ledger": {Kind: mint.TLSAuthSANIP, Value: "2001:db8::1"},
				"signer": {Kind: mint.TLSAuthSelfSigned},
			}
			for id, reg := range want {
				c, err := s.GetClient(ctx, id)
				must(t, err)
				if c.TLSAuth != reg {
					t.Fatalf("client %s: TLSAuth %+v, want %+v", id, c.TLSAuth, reg)
				}
			}
			wantSteps(t, planFile(t, ctx, s, tlsClients, false))

			// export → apply to an empty database → export: the same bytes.
			state, err := ReadState(ctx, s)
			must(t, err)
			out, err := Export(state)
			must(t, err)
			for _, line := range []string{`tls_client_auth_subject_dn: CN=cargo,O=Example\, Inc.,C=DE`, `tls_client_auth_san_ip: 2001:db8::1`, "self_signed_tls_client_auth: true"} {
				if !bytes.Contains(out, []byte(line)) {
					t.Fatalf("export lacks %q:\n%s", line, out)
				}
			}
			fresh := testdb.Open(t, backend)
			applyPlan(t, ctx, fresh, planFile(t, ctx, fresh, string(out), true))
			copied, err := ReadState(ctx, fresh)
			must(t, err)
			if again, _ := Export(copied); !bytes.Equal(again, out) {
				t.Fatalf("export → apply → export differs:\n%s\nnot\n%s", again, out)
			}

			edited := strings.Replace(tlsClients, `tls_client_auth_subject_dn: 'CN=cargo,O=Example\, Inc.,C=DE'`, "tls_client_auth_san_dns: cargo.example.com", 1)
			edited = strings.Replace(edited, "    tls_client_auth_san_ip: \"2001:db8::1\"\n", "", 1)
			p := planFile(t, ctx, s, edited, false)
			wantSteps(t, p,
				"~ client cargo", `  tls_client_auth: tls_client_auth_subject_dn "CN=cargo,O=Example\\, Inc.,C=DE" → tls_client_auth_san_dns "cargo.example.com"`,
				"~ client ledger", `  tls_client_auth: tls_client_auth_san_ip "2001:db8::1" → none`)
			applyPlan(t, ctx, s, p)
			c, err := s.GetClient(ctx, "ledger")
			must(t, err)
			if c.TLSAuth != (mint.TLSAuth{}) {
				t.Fatalf("ledger's registration after its line went: %+v", c.TLSAuth)
			}
			wantSteps(t, planFile(t, ctx, s, edited, false))
		})
	}
}

// TestTLSAuthProblems: a registration the admin API refuses is refused
// before anything changes, at its line, naming the field.
func TestTLSAuthProblems(t *testing.T) {
	const head = "version: 1\nclients:\n  - id: c\n    name: C\n"
	tests := []struct {
		name, src string
		field     string
		msg       string
	}{
		{"TwoRegistrations", head + "    tls_client_auth_san_dns: a.example\n    tls_client_auth_san_uri: spiffe://x/y\n",
			"clients[0].tls_client_auth_san_uri", "tls_client_auth_san_dns is set too"},
		{"SelfSignedBeside", head + "    tls_client_auth_san_dns: a.example\n    self_signed_tls_client_auth: true\n",
			"clients[0].self_signed_tls_client_auth", "one TLS client authentication"},
		{"DNNotADN", head + "    tls_client_auth_subject_dn: cargo\n", "clients[0].tls_client_auth_subject_dn", "tls_client_auth_subject_dn"},
		{"DNHexValue", head + "    tls_client_auth_subject_dn: 'CN=#0403616263'\n", "clients[0].tls_client_auth_subject_dn", "tls_client_auth_subject_dn"},
		{"NotAnIP", head + "    tls_client_auth_san_ip: 10.0.0.300\n", "clients[0].tls_client_auth_san_ip", "not an IP address"},
		{"TooLong", head + "    tls_client_auth_san_uri: https://x/" + strings.Repeat("a", 1100) + "\n", "clients[0].tls_client_auth_san_uri", "1 to 1024 bytes"},
		{"SelfSignedNoKeys", head + "    self_signed_tls_client_auth: true\n", "clients[0].self_signed_tls_client_auth", "needs the client's jwks"},
		{"NotABool", head + "    self_signed_tls_client_auth: yes please\n", "clients[0].self_signed_tls_client_auth", "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := problemsOf(t, tt.src)
			if len(ps) != 1 || ps[0].Field != tt.field || !strings.Contains(ps[0].Msg, tt.msg) || ps[0].Line < 5 {
				t.Fatalf("problems %v; want one at %s, line 5 or after, saying %q", ps, tt.field, tt.msg)
			}
		})
	}
}

// TestTLSAuthPlanFromStore: a registration set through the admin API (in
// the store) and absent from the file is removed, as every field a file
// leaves out; the plan says so.
func TestTLSAuthPlanFromStore(t *testing.T) {
	ctx := context.Background()
	state := State{Clients: []mint.Client{{ID: "c", Name: "C", TLSAuth: mint.TLSAuth{Kind: mint.TLSAuthSANEmail, Value: "ops@example.com"}}}}
	cfg, err := LoadBytes("f.yaml", []byte("version: 1\nclients:\n  - id: c\n    name: C\n"))
	must(t, err)
	p, err := MakePlan(cfg, state, false)
	must(t, err)
	_ = ctx
	wantSteps(t, p, "~ client c", `  tls_client_auth: tls_client_auth_san_email "ops@example.com" → none`)
}
