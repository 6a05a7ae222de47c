package bench

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
)

// SigningBaseline starts the second reference server: a plain net/http
// handler that answers every POST with ans, as Baseline does, except that
// it signs the access token anew for each answer, with the standard
// library, a key of its own and ans's algorithm. Its rate is what any token
// server that signs every token could reach here with this load generator;
// mint's rate over it is the share of that mint keeps, after parsing,
// authenticating, logging and auditing.
func SigningBaseline(ctx context.Context, ans *Answer) (url string, stop func(), err error) {
	h, err := resigning(ans)
	if err != nil {
		return "", nil, err
	}
	return serveLoopback(ctx, h.handler())
}

// resigner writes ans with a fresh signature: prefix, the signature in
// base64url, suffix.
type resigner struct {
	header         http.Header
	prefix, suffix []byte
	input          []byte // the JWS signing input: header.payload
	sign           func(input []byte) ([]byte, error)
	public         crypto.PublicKey
}

func resigning(ans *Answer) (*resigner, error) {
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(ans.Body, &body); err != nil {
		return nil, fmt.Errorf("signing baseline: the answer: %w", err)
	}
	token := []byte(body.AccessToken)
	at := bytes.Index(ans.Body, token)
	dot := bytes.LastIndexByte(token, '.')
	if at < 0 || dot < 0 {
		return nil, fmt.Errorf("signing baseline: the access token is not a compact JWS")
	}
	sigLen := base64.RawURLEncoding.DecodedLen(len(token) - dot - 1)
	sign, public, err := newSigner(ans.Alg(), sigLen)
	if err != nil {
		return nil, err
	}
	return &resigner{
		header: replayHeader(ans),
		prefix: bytes.Clone(ans.Body[:at+dot+1]),
		suffix: bytes.Clone(ans.Body[at+len(token):]),
		input:  bytes.Clone(token[:dot]),
		sign:   sign, public: public,
	}, nil
}

func (rs *resigner) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sig, err := rs.sign(rs.input)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if !startAnswer(w, r, rs.header) {
			return
		}
		out := make([]byte, 0, len(rs.prefix)+base64.RawURLEncoding.EncodedLen(len(sig))+len(rs.suffix))
		out = append(out, rs.prefix...)
		out = base64.RawURLEncoding.AppendEncode(out, sig)
		out = append(out, rs.suffix...)
		_, _ = w.Write(out)
	})
}

// newSigner makes a key for alg whose signatures are sigLen bytes, as the
// token's, and returns the function signing with it.
func newSigner(alg string, sigLen int) (sign func([]byte) ([]byte, error), public crypto.PublicKey, err error) {
	switch alg {
	case "EdDSA":
		pub, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		return func(in []byte) ([]byte, error) { return ed25519.Sign(key, in), nil }, pub, nil
	case "ES256":
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		return func(in []byte) ([]byte, error) {
			d := sha256.Sum256(in)
			r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
			if err != nil {
				return nil, err
			}
			sig := make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			return sig, nil
		}, &key.PublicKey, nil
	case "RS256", "PS256":
		key, err := rsa.GenerateKey(rand.Reader, sigLen*8)
		if err != nil {
			return nil, nil, err
		}
		return func(in []byte) ([]byte, error) {
			d := sha256.Sum256(in)
			if alg == "PS256" { // RFC 7518 §3.5: the salt is as long as the hash
				return rsa.SignPSS(rand.Reader, key, crypto.SHA256, d[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
			}
			return rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
		}, &key.PublicKey, nil
	}
	return nil, nil, fmt.Errorf("signing baseline: no signer for alg %q", alg)
}
