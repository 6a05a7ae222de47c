package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxSession bounds a session, whatever the lifetime of the admin token.
const MaxSession = time.Hour

// errNoSession means a request carries no session the console can open:
// none, tampered with, sealed under another key, or expired.
var errNoSession = errors.New("console: no valid session")

// session is what the session cookie holds, sealed.
type session struct {
	// Token is the admin access token every admin API call carries.
	Token string `json:"t"`
	// CSRF is the token every form of the session carries.
	CSRF string `json:"c"`
	// ClientID is the signed-in admin client.
	ClientID string `json:"i"`
	// ClientName is its name at sign-in, shown in the header (the id in
	// its tooltip); empty when the client may not read clients.
	ClientName string `json:"n,omitempty"`
	// Expires is the session's end in Unix seconds: the token's expiry,
	// at most MaxSession after sign-in.
	Expires int64 `json:"e"`
}

// flash is a message for the next page, sealed in a cookie of its own: a
// notice, and a client secret shown once.
type flash struct {
	Notice string `json:"n,omitempty"`
	// Secret and SecretClient are a new client secret and its client.
	Secret       string `json:"s,omitempty"`
	SecretClient string `json:"sc,omitempty"`
	// CSRF binds the flash to the session it was made for.
	CSRF    string `json:"c"`
	Expires int64  `json:"e"`
}

// Purposes seal each kind of cookie under its own additional data, so
// that one cannot be passed off as another.
const (
	purposeSession = "mint-console-session-v1"
	purposeFlash   = "mint-console-flash-v1"
)

// sealer seals cookies with AES-256-GCM under a key derived from mint's
// master key.
type sealer struct{ aead cipher.AEAD }

// hkdfInfo names the console's session key among keys derived from the
// master key.
const hkdfInfo = "mint console session key v1"

func newSealer(masterKey []byte) (*sealer, error) {
	if len(masterKey) < 32 {
		return nil, fmt.Errorf("console: master key is %d bytes, want at least 32", len(masterKey))
	}
	key, err := hkdf.Key(sha256.New, masterKey, nil, hkdfInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns base64url(nonce || ciphertext) of v as JSON.
func (s *sealer) seal(purpose string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce) // never fails (crypto/rand)
	sealed := s.aead.Seal(nonce, nonce, plain, []byte(purpose))
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// open reverses seal; any failure is errNoSession.
func (s *sealer) open(purpose, text string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return errNoSession
	}
	nonce, ct := raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():]
	plain, err := s.aead.Open(nil, nonce, ct, []byte(purpose))
	if err != nil {
		return errNoSession
	}
	if json.Unmarshal(plain, v) != nil {
		return errNoSession
	}
	return nil
}

// openSession opens a sealed session and refuses it once expired.
func (s *sealer) openSession(text string, now time.Time) (*session, error) {
	var sess session
	if err := s.open(purposeSession, text, &sess); err != nil {
		return nil, err
	}
	if sess.Token == "" || len(sess.CSRF) < 32 || now.Unix() >= sess.Expires {
		return nil, errNoSession
	}
	return &sess, nil
}

// newSession starts a session for an admin token that expires after
// expiresIn seconds.
func newSession(token, clientID string, expiresIn int64, now time.Time) *session {
	end := now.Add(MaxSession)
	if expiresIn > 0 && now.Add(time.Duration(expiresIn)*time.Second).Before(end) {
		end = now.Add(time.Duration(expiresIn) * time.Second)
	}
	return &session{Token: token, CSRF: randomToken(), ClientID: clientID, Expires: end.Unix()}
}

// randomToken returns 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// sameToken compares a submitted CSRF token with the expected one in
// constant time; an empty expected token never matches.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
