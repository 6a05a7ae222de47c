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
	"time"
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

// resigner writes ans with a token made anew for each answer, as a token
// server must: the claims with a fresh "iat", "exp" and "jti" (claims),
// encoded and signed. What mint does beyond that (parse, authenticate,
// resolve the grant, log, audit, count) is what the comparison measures.
type resigner struct {
	header http.Header
	// prefix is the answer up to the token; jwsHeader, the token's
	// encoded protected header and its dot; suffix, the answer after the
	// token.
	prefix, jwsHeader, suffix []byte
	claims                    *claimsTemplate
	sign                      func(input []byte) ([]byte, error)
	public                    crypto.PublicKey
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
	first, last := bytes.IndexByte(token, '.'), bytes.LastIndexByte(token, '.')
	if at < 0 || first < 0 || first == last {
		return nil, fmt.Errorf("signing baseline: the access token is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(string(token[first+1 : last]))
	if err != nil {
		return nil, fmt.Errorf("signing baseline: the token's payload: %w", err)
	}
	claims, err := newClaimsTemplate(payload)
	if err != nil {
		return nil, err
	}
	sigLen := base64.RawURLEncoding.DecodedLen(len(token) - last - 1)
	sign, public, err := newSigner(ans.Alg(), sigLen)
	if err != nil {
		return nil, err
	}
	return &resigner{
		header:    replayHeader(ans),
		prefix:    bytes.Clone(ans.Body[:at]),
		jwsHeader: bytes.Clone(token[:first+1]),
		suffix:    bytes.Clone(ans.Body[at+len(token):]),
		claims:    claims, sign: sign, public: public,
	}, nil
}

func (rs *resigner) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := rs.answer(time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if startAnswer(w, r, rs.header) {
			_, _ = w.Write(out)
		}
	})
}

// answer is the whole answer with a token issued at now.
func (rs *resigner) answer(now time.Time) ([]byte, error) {
	enc := base64.RawURLEncoding
	var buf [512]byte
	payload := rs.claims.appendFresh(buf[:0], now)
	out := make([]byte, 0, len(rs.prefix)+len(rs.jwsHeader)+enc.EncodedLen(len(payload))+1+enc.EncodedLen(512)+len(rs.suffix))
	out = append(out, rs.prefix...)
	out = append(out, rs.jwsHeader...)
	out = enc.AppendEncode(out, payload)
	sig, err := rs.sign(out[len(rs.prefix):])
	if err != nil {
		return nil, err
	}
	out = append(out, '.')
	out = enc.AppendEncode(out, sig)
	return append(out, rs.suffix...), nil
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
