package console

import (
	"errors"
	"net/http"
	"strings"
)

// tlsAuthChoice is an RFC 8705 §2 registration the client form offers:
// the admin API's field, and what the value is.
type tlsAuthChoice struct{ Field, Label string }

// tlsAuthChoices are the registrations, none first (docs/sender-constrained.md).
var tlsAuthChoices = []tlsAuthChoice{
	{"", "none: a secret, a key or a trust rule only"},
	{"tls_client_auth_subject_dn", "subject DN (tls_client_auth), for example CN=cargo,O=Example,C=DE"},
	{"tls_client_auth_san_dns", "DNS name SAN (tls_client_auth)"},
	{"tls_client_auth_san_uri", "URI SAN (tls_client_auth), for example a SPIFFE ID"},
	{"tls_client_auth_san_ip", "IP address SAN (tls_client_auth)"},
	{"tls_client_auth_san_email", "email address SAN (tls_client_auth)"},
	{"self_signed_tls_client_auth", "self-signed: a certificate whose key is in the client's JWK Set"},
}

// TLSField is the registration's field, "" for none.
func (c clientView) TLSField() string { f, _ := c.tlsAuth(); return f }

// TLSValue is the registration's value, "" for none and for self-signed.
func (c clientView) TLSValue() string { _, v := c.tlsAuth(); return v }

// tlsAuth is the client's registration as the form holds it: the field
// set, and its value.
func (c clientView) tlsAuth() (field, value string) {
	for _, f := range []struct{ name, v string }{
		{"tls_client_auth_subject_dn", c.TLSSubjectDN}, {"tls_client_auth_san_dns", c.TLSSANDNS},
		{"tls_client_auth_san_uri", c.TLSSANURI}, {"tls_client_auth_san_ip", c.TLSSANIP},
		{"tls_client_auth_san_email", c.TLSSANEmail},
	} {
		if f.v != "" {
			return f.name, f.v
		}
	}
	if c.SelfSignedTLS {
		return "self_signed_tls_client_auth", ""
	}
	return "", ""
}

// tlsAuthForm is the form's starting values for c.
func tlsAuthForm(c clientView) *formState {
	field, value := c.tlsAuth()
	return &formState{Values: map[string]string{"tls_kind": field, "tls_value": value}}
}

// updateClientTLSAuth saves a client's RFC 8705 registration: the one
// field chosen, or every field cleared for none. The admin API checks the
// value (and that a self-signed client has keys); its refusal goes beside
// the value, or beside the choice when it is about the choice.
func (c *Console) updateClientTLSAuth(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, "tls_kind", "tls_value")
	kind, value := form.Value("tls_kind"), strings.TrimSpace(form.Value("tls_value"))
	body := map[string]any{}
	switch {
	case kind == "":
		for _, ch := range tlsAuthChoices[1 : len(tlsAuthChoices)-1] {
			body[ch.Field] = ""
		}
		body["self_signed_tls_client_auth"] = false
	case kind == "self_signed_tls_client_auth":
		body[kind] = true
	case !validTLSChoice(kind):
		form.refuse("tls_kind", "Choose one of the kinds offered.")
	case value == "":
		form.refuse("tls_value", "Enter the value the client's certificate must carry.")
	default:
		body[kind] = value
	}
	if !form.Failed() {
		err := c.backend.call(r.Context(), r, "PATCH", clientPath(id), sess.Token, body, nil)
		var e *apiError
		if errors.As(err, &e) && e.Status < 500 {
			if e.Field == "self_signed_tls_client_auth" || e.Field == "tls_client_auth" {
				e.Field = "tls_kind"
			} else {
				e.Field = "tls_value"
			}
		}
		if err := form.fromAPI(err); err != nil {
			return err
		}
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"tls": form})
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Certificate authentication saved."})
}

func validTLSChoice(field string) bool {
	for _, ch := range tlsAuthChoices[1:] {
		if ch.Field == field {
			return true
		}
	}
	return false
}
