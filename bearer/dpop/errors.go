package dpop

import "errors"

// Why a proof is refused. Each is its own value so that callers can count
// and log them; all of them are answered as invalid_dpop_proof (RFC 9449
// §5, §7.1) except ErrUseNonce, which is use_dpop_nonce.
var (
	ErrMissing     = errors.New("dpop: no DPoP proof")
	ErrMultiple    = errors.New("dpop: more than one DPoP header")
	ErrMalformed   = errors.New("dpop: proof malformed")
	ErrType        = errors.New("dpop: proof typ is not dpop+jwt")
	ErrAlgorithm   = errors.New("dpop: proof algorithm not allowed")
	ErrKey         = errors.New("dpop: proof jwk missing, private or unfit for its alg")
	ErrSignature   = errors.New("dpop: proof signature invalid")
	ErrClaims      = errors.New("dpop: proof claims missing or malformed")
	ErrMethod      = errors.New("dpop: proof htm is not the request's method")
	ErrURL         = errors.New("dpop: proof htu is not the request's URL")
	ErrStale       = errors.New("dpop: proof iat too old")
	ErrFuture      = errors.New("dpop: proof iat in the future")
	ErrTokenHash   = errors.New("dpop: proof ath does not match the access token")
	ErrKeyMismatch = errors.New("dpop: proof key is not the key the token is bound to")
	ErrReplay      = errors.New("dpop: proof jti used already")
	ErrUseNonce    = errors.New("dpop: proof needs a nonce the server issued")
	// ErrBusy: the replay cache is full of proofs still in their window;
	// the request may be retried in a moment.
	ErrBusy = errors.New("dpop: too many proofs to remember; try again")
	// ErrTooMany: the token's holder sent more proofs within a window
	// than its share of the replay cache (a *TooManyError says for how
	// long); everyone else's are still accepted.
	ErrTooMany = errors.New("dpop: too many proofs from this token holder; slow down")
)
