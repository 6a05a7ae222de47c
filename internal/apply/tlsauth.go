package apply

import (
	"strconv"

	"github.com/mintauth/mint/internal/admin"
	"github.com/mintauth/mint/internal/mint"
)

// tlsValues are the RFC 8705 registration fields a client sets, by their
// names (mint.TLSAuthKinds), in that order.
func tlsValues(v Client) [][2]string {
	var out [][2]string
	for _, kv := range [][2]string{{mint.TLSAuthSubjectDN, v.TLSSubjectDN}, {mint.TLSAuthSANDNS, v.TLSSANDNS},
		{mint.TLSAuthSANURI, v.TLSSANURI}, {mint.TLSAuthSANIP, v.TLSSANIP}, {mint.TLSAuthSANEmail, v.TLSSANEmail}} {
		if kv[1] != "" {
			out = append(out, kv)
		}
	}
	return out
}

// checkTLSAuth applies the admin API's rules to a client's registration:
// one at most, a well-formed value, self-signed only with jwks (the
// client's key set as stored, nil for none). Each problem names the field.
func checkTLSAuth(c at[Client], jwks []byte, problems *Problems) {
	set := tlsValues(c.V)
	if c.V.SelfSignedTLS {
		set = append(set, [2]string{mint.TLSAuthSelfSigned, "true"})
	}
	if len(set) > 1 {
		report(problems, c.problem(set[1][0], "a client registers one TLS client authentication, and %s is set too: keep one of them", set[0][0]))
		return
	}
	values := map[string]string{}
	for _, kv := range tlsValues(c.V) {
		values[kv[0]] = kv[1]
	}
	if _, err := admin.CheckTLSAuth(values, c.V.SelfSignedTLS, jwks); err != nil {
		field := fieldOf(err)
		if field == "" || field == "tls_client_auth" {
			field = set[0][0]
		}
		report(problems, c.problem(field, "%s", describe(err)))
	}
}

// tlsAuthOf is the registration a checked client declares.
func tlsAuthOf(v Client) mint.TLSAuth {
	if v.SelfSignedTLS {
		return mint.TLSAuth{Kind: mint.TLSAuthSelfSigned}
	}
	if set := tlsValues(v); len(set) > 0 {
		return mint.TLSAuth{Kind: set[0][0], Value: set[0][1]}
	}
	return mint.TLSAuth{}
}

// setTLSAuth writes reg into the file's fields of v.
func setTLSAuth(v *Client, reg mint.TLSAuth) {
	switch reg.Kind {
	case mint.TLSAuthSubjectDN:
		v.TLSSubjectDN = reg.Value
	case mint.TLSAuthSANDNS:
		v.TLSSANDNS = reg.Value
	case mint.TLSAuthSANURI:
		v.TLSSANURI = reg.Value
	case mint.TLSAuthSANIP:
		v.TLSSANIP = reg.Value
	case mint.TLSAuthSANEmail:
		v.TLSSANEmail = reg.Value
	case mint.TLSAuthSelfSigned:
		v.SelfSignedTLS = true
	}
}

// showTLSAuth shows a registration in a plan: its field and value.
func showTLSAuth(reg mint.TLSAuth) string {
	switch reg.Kind {
	case mint.TLSAuthNone:
		return "none"
	case mint.TLSAuthSelfSigned:
		return reg.Kind
	}
	return reg.Kind + " " + strconv.Quote(reg.Value)
}

// tlsAuth shows a change of registration as the field tls_client_auth; a
// create without one shows nothing.
func (f *fieldDiff) tlsAuth(old, next mint.TLSAuth) {
	if f.create && next.Kind == mint.TLSAuthNone {
		return
	}
	f.add("tls_client_auth", showTLSAuth(old), showTLSAuth(next))
}

// auditTLSAuth adds reg to a client's audit view under the admin API's
// field, as the admin API's view shows it.
func auditTLSAuth(view map[string]any, reg mint.TLSAuth) {
	switch reg.Kind {
	case mint.TLSAuthNone:
	case mint.TLSAuthSelfSigned:
		view[reg.Kind] = true
	default:
		view[reg.Kind] = reg.Value
	}
}
