package cli

import (
	"io"

	"github.com/spf13/pflag"
)

// tlsAuthFlags are the RFC 8705 §2 registration flags of clients create
// and update, each the admin API field it names (docs/sender-constrained.md).
// The server checks the values; an empty value removes the registration.
type tlsAuthFlags struct {
	values     map[string]*string
	selfSigned bool
}

// tlsAuthFlagFields maps each value flag to its admin API field.
var tlsAuthFlagFields = map[string]string{
	"tls-subject-dn": "tls_client_auth_subject_dn",
	"tls-san-dns":    "tls_client_auth_san_dns",
	"tls-san-uri":    "tls_client_auth_san_uri",
	"tls-san-ip":     "tls_client_auth_san_ip",
	"tls-san-email":  "tls_client_auth_san_email",
}

func (f *tlsAuthFlags) register(fs *pflag.FlagSet) {
	f.values = map[string]*string{}
	for flag, field := range tlsAuthFlagFields {
		f.values[flag] = fs.String(flag, "", "tls_client_auth: the `value` of "+field+
			" the client's CA-issued TLS certificate must carry (RFC 8705 §2.1); \"\" removes it")
	}
	fs.BoolVar(&f.selfSigned, "self-signed-tls", false,
		"self_signed_tls_client_auth: authenticate with a certificate whose key is in --jwks-file (RFC 8705 §2.2)")
}

// addTo puts the flags given into an admin request body.
func (f *tlsAuthFlags) addTo(c *call, body map[string]any) {
	for flag, field := range tlsAuthFlagFields {
		if c.fs.Changed(flag) {
			body[field] = *f.values[flag]
		}
	}
	if c.fs.Changed("self-signed-tls") {
		body["self_signed_tls_client_auth"] = f.selfSigned
	}
}

// tlsAuthView is the registration as the admin API shows it.
type tlsAuthView struct {
	SubjectDN  string `json:"tls_client_auth_subject_dn"`
	SANDNS     string `json:"tls_client_auth_san_dns"`
	SANURI     string `json:"tls_client_auth_san_uri"`
	SANIP      string `json:"tls_client_auth_san_ip"`
	SANEmail   string `json:"tls_client_auth_san_email"`
	SelfSigned bool   `json:"self_signed_tls_client_auth"`
}

func (v tlsAuthView) rows(w io.Writer) {
	for _, r := range []struct{ name, value string }{
		{"tls_client_auth_subject_dn", v.SubjectDN}, {"tls_client_auth_san_dns", v.SANDNS},
		{"tls_client_auth_san_uri", v.SANURI}, {"tls_client_auth_san_ip", v.SANIP},
		{"tls_client_auth_san_email", v.SANEmail},
	} {
		if r.value != "" {
			row(w, r.name, r.value)
		}
	}
	if v.SelfSigned {
		row(w, "self_signed_tls_client_auth", "true")
	}
}
