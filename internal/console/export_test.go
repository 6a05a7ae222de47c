package console

import "time"

// SealSession seals a session as the console does, under a key derived from
// masterKey, for tests of refused cookies.
func SealSession(masterKey []byte, token, clientID, csrf string, expires time.Time) (string, error) {
	s, err := newSealer(masterKey)
	if err != nil {
		return "", err
	}
	return s.seal(purposeSession, session{Token: token, CSRF: csrf, ClientID: clientID, Expires: expires.Unix()})
}

// SealFlash seals a flash cookie, which must never pass for a session.
func SealFlash(masterKey []byte, csrf string, expires time.Time) (string, error) {
	s, err := newSealer(masterKey)
	if err != nil {
		return "", err
	}
	return s.seal(purposeFlash, flash{Notice: "hello", CSRF: csrf, Expires: expires.Unix()})
}

// Snippets exposes the snippet generator: id → code.
func Snippets(tokenURL, clientID, audience string) map[string]string {
	out := map[string]string{}
	for _, s := range snippets(snippetInput{TokenURL: tokenURL, ClientID: clientID, Audience: audience}) {
		out[s.ID] = s.Code
	}
	return out
}

// PageSize is how many rows a console list page shows.
const PageSize = consolePageSize

// ParseClaimsText reads the trust rule form's claims text area.
var ParseClaimsText = parseClaimsText
