package clientauth

// SPIFFEAssertionType is the client_assertion_type of a JWT-SVID sent as
// a client assertion (draft-ietf-oauth-spiffe-client-auth-00 §4.1): the
// SVID's sub is a SPIFFE ID, it needs no iss nor jti, and the client's
// SPIFFE trust rules (package federation) decide which client it proves.
const SPIFFEAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-spiffe"

// SPIFFEJWT is the method of a client proved by a JWT-SVID, as logs and
// the audit log name it.
const SPIFFEJWT Method = "spiffe_jwt"

// assertionMethod is the method of client_assertion_type typ, or "".
func assertionMethod(typ string) Method {
	switch typ {
	case AssertionType:
		return PrivateKeyJWT
	case SPIFFEAssertionType:
		return SPIFFEJWT
	}
	return ""
}
