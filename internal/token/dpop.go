package token

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// The errors of RFC 9449 §5 and §8: a refused proof, and a proof without
// the nonce the server now requires.
var (
	ErrInvalidDPoPProof = &oauth.Error{Code: "invalid_dpop_proof", Status: http.StatusBadRequest}
	ErrUseDPoPNonce     = &oauth.Error{Code: "use_dpop_nonce", Status: http.StatusBadRequest,
		Description: "resend the request with a DPoP proof carrying the nonce in the DPoP-Nonce header"}
)

// errCertRequired: the policy wants a certificate-bound token and the
// request presented no TLS client certificate.
var errCertRequired = oauth.ErrInvalidRequest.Describe(
	"this token must be bound to a TLS client certificate (RFC 8705): connect with one")

// NewDPoPChecker returns the token endpoint's proof checker: jti replay is
// refused through store (UseAssertion, under a namespace of its own, so
// that every replica sees every proof), after a first look in this
// process's memory, and nonces, when nonces is set, are required.
func NewDPoPChecker(store mint.Store, nonces *dpop.Nonces, now func() time.Time) *dpop.Checker {
	seen := dpop.NewMemory(replayMemory)
	seen.Now = now
	return &dpop.Checker{Replay: storeReplay{store: store, seen: seen}, Nonces: nonces, Now: now}
}

// replayMemory bounds the proofs the first look remembers per window
// (under 80 bytes each, dpop's TestMemoryBytes: 5 MB per generation at
// most), an eighth of it from one key. Past either bound proofs go to the
// store alone, which decides anyway.
const replayMemory = 1 << 16

// storeReplay is dpop.ReplayCache over the store's used assertions. The
// "client" of a proof's jti is "dpop:" and the key's thumbprint, which no
// assertion's jti shares a row with unless a client is named so; even
// then the worst is a refused proof.
//
// seen is a first look in memory: a proof this replica took already is
// refused at once, without a write. It decides nothing else: a proof it
// has not seen is accepted only once the store recorded it (the store
// groups the writes of proofs arriving together into one commit), so a
// proof sent to two replicas at once gets one token. A proof the store
// could not record is forgotten again and answered 503, so that the
// client's retry is not mistaken for a replay.
type storeReplay struct {
	store mint.Store
	seen  *dpop.Memory
}

func (s storeReplay) Use(ctx context.Context, jkt, jti string, until time.Time) error {
	if err := s.seen.Use(ctx, jkt, jti, until); errors.Is(err, dpop.ErrReplay) {
		return err
	} // else remembered here, or not (ErrBusy, ErrTooMany): the store decides
	err := s.store.UseAssertion(ctx, "dpop:"+jkt, jti, until)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mint.ErrConflict):
		return dpop.ErrReplay
	}
	s.seen.Forget(jkt, jti)
	return errors.Join(errReplayUnrecorded, err)
}

// errReplayUnrecorded: the store did not record the proof (down, slow,
// or too many waiting), so it is not accepted: 503, whatever the cause.
var errReplayUnrecorded = errors.New("the DPoP proof's jti could not be recorded")

// binding is what a token is bound to: a DPoP key (cnf.jkt) or a TLS
// client certificate (cnf.x5t#S256); neither for a bearer token.
type binding struct{ jkt, x5t string }

// bind checks the request's DPoP proof, if any, and returns what to bind
// the token to: the proof's key; else the TLS client certificate the
// request presented (RFC 8705 §3); else nothing. An API or client that
// requires DPoP gets no other token.
func (e *Endpoint) bind(ctx context.Context, req *Request, client mint.Client, api mint.API) (binding, error) {
	if req.Credentials.Method == clientauth.TLSClientAuth {
		return tlsAuthBinding(req, client, api)
	}
	if len(req.DPoP) == 0 || e.DPoP == nil {
		switch {
		case mint.RequiresDPoP(client, api):
			return binding{}, ErrInvalidDPoPProof.Describe("this token must be DPoP-bound: send a DPoP proof (RFC 9449) in the DPoP header")
		case mint.RequiresCert(client, api) && req.CertThumbprint == "":
			return binding{}, errCertRequired
		}
		return binding{x5t: req.CertThumbprint}, nil
	}
	if mint.RequiresCert(client, api) {
		return binding{}, errCertRequired.Describe("this token must be bound to the TLS client certificate (RFC 8705), not to a DPoP key: send no DPoP proof")
	}
	proof, err := e.DPoP.Check(ctx, http.Header{"Dpop": req.DPoP},
		dpop.Request{Method: http.MethodPost, URL: req.ProofURL})
	if err != nil {
		return binding{}, e.refuseProof(err)
	}
	return binding{jkt: proof.JKT}, nil
}

// certThumbprint is the x5t#S256 of cert (RFC 8705 §3.1).
func certThumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// refuseProof turns a dpop error into the token endpoint's answer.
func (e *Endpoint) refuseProof(err error) error {
	switch {
	case errors.Is(err, dpop.ErrUseNonce):
		return ErrUseDPoPNonce.WithHeader("DPoP-Nonce", e.DPoP.Nonces.Issue())
	case errors.Is(err, dpop.ErrBusy), errors.Is(err, errReplayUnrecorded):
		return oauth.ErrUnavailable.WithCause(err)
	}
	for _, known := range proofErrors {
		if errors.Is(err, known) {
			return ErrInvalidDPoPProof.Describe("%s", strings.TrimPrefix(err.Error(), "dpop: "))
		}
	}
	return oauth.ErrServer.WithCause(err)
}

var proofErrors = []error{dpop.ErrMissing, dpop.ErrMultiple, dpop.ErrReplay, dpop.ErrMalformed, dpop.ErrType, dpop.ErrAlgorithm, dpop.ErrKey,
	dpop.ErrSignature, dpop.ErrClaims, dpop.ErrMethod, dpop.ErrURL, dpop.ErrStale, dpop.ErrFuture,
	dpop.ErrTokenHash, dpop.ErrKeyMismatch}

// proofURL is the URL a token request's proof names: the endpoint's URL
// as the metadata advertises it, the issuer and the path the request came
// to (an alias path included).
func (e *Endpoint) proofURL(r *http.Request) string {
	return strings.TrimSuffix(e.Issuer, "/") + r.URL.EscapedPath()
}

// nonceHeader adds the current nonce to a successful answer, so that the
// client has it for its next request (RFC 9449 §8.2).
func (e *Endpoint) nonceHeader(w http.ResponseWriter, jkt string) {
	if jkt != "" && e.DPoP != nil && e.DPoP.Nonces != nil {
		w.Header().Set("DPoP-Nonce", e.DPoP.Nonces.Issue())
	}
}
