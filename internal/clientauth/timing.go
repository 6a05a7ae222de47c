package clientauth

import (
	"context"
	"errors"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/mint"
)

// Nothing in the time a refusal takes may say whether the client exists
// (issue 13). Two differences made it:
//
//   - the store cache keeps known clients but never "not found", so a
//     known client was answered from memory and an unknown one read the
//     database (~0.1–0.3 ms more);
//   - an assertion for an unknown client was refused before any signature
//     was checked, one for a known client after.
//
// So every refusal does the same work: one read of the database (a
// refusal decided on a kept answer is confirmed against the database,
// which also lets a secret or key registered a moment ago on another
// replica work at once), one digest compared or one signature checked
// (against a stand-in of the assertion's algorithm when there is no key
// to check it with). The failure floor (throttle.Config.FailureFloor)
// stays as a second line.

// memoryStore is a store that keeps answers in memory
// (*storecache.Store): it says whether an answer came from memory, and
// reads the database again on demand.
type memoryStore interface {
	LookupClient(ctx context.Context, id string) (mint.Client, bool, error)
	ReloadClient(ctx context.Context, id string) (mint.Client, error)
	LookupSecrets(ctx context.Context, clientID string) ([]mint.Secret, bool, error)
	ReloadSecrets(ctx context.Context, clientID string) ([]mint.Secret, error)
}

// lookupSecrets reads a client's secrets, saying whether the answer was
// kept in memory (and so may be confirmed by reloadSecrets).
func (a *Authenticator) lookupSecrets(ctx context.Context, clientID string) ([]mint.Secret, bool, error) {
	if m, ok := a.Store.(memoryStore); ok {
		return m.LookupSecrets(ctx, clientID)
	}
	s, err := a.Store.ListSecrets(ctx, clientID)
	return s, false, err
}

func (a *Authenticator) reloadSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	if m, ok := a.Store.(memoryStore); ok {
		return m.ReloadSecrets(ctx, clientID)
	}
	return a.Store.ListSecrets(ctx, clientID)
}

// lookupClient and reloadClient are lookupSecrets and reloadSecrets for
// the client itself.
func (a *Authenticator) lookupClient(ctx context.Context, id string) (mint.Client, bool, error) {
	if m, ok := a.Store.(memoryStore); ok {
		return m.LookupClient(ctx, id)
	}
	c, err := a.Store.GetClient(ctx, id)
	return c, false, err
}

func (a *Authenticator) reloadClient(ctx context.Context, id string) (mint.Client, error) {
	if m, ok := a.Store.(memoryStore); ok {
		return m.ReloadClient(ctx, id)
	}
	return a.Store.GetClient(ctx, id)
}

// standIns are public keys nobody holds the private half of, one JWKS per
// key type, in the form clients register them: an assertion that has no
// key to be checked with (unknown client, no such kid, wrong algorithm)
// is checked against the one of its algorithm, so that it costs what a
// wrong signature costs.
var standIns = map[jose.SignatureAlgorithm][]byte{
	jose.RS256: []byte(`{"keys":[{"kty":"RSA","n":"yjR7Z-j3OkdIYJvprkrLE5r4j2omx4HVZD4bxrdgx0t7FgI2p-wdf2RLH5EMP_ATJCK4odQRfTKJ1ffKQH_dAeL8bLqxLvqmgq9Dq1UaOD5Cy9itC9ZTBb7idW89Af2VFb-GH0SJZwfsfXAIFens2Xsexy3lK8CMrgHfUoK3ueUOwMxyS7yLLx6J-d8g6jF2FFqTSjpHDwaRaVwFo6AuVr1Qm-NL_Y7FYQfsYBlH5v0YuCB2moglYSRmrbJyipjO3ywwNaJp3oZI4JFX4Vijazy4AOpy2AZUjrt0U2ho6OEjoO2vkMH9rMcsSTjWRb6i3Y-LpwWbAOw53fs_-DQ_ww","e":"AQAB"}]}`),
	jose.PS256: []byte(`{"keys":[{"kty":"RSA","n":"yjR7Z-j3OkdIYJvprkrLE5r4j2omx4HVZD4bxrdgx0t7FgI2p-wdf2RLH5EMP_ATJCK4odQRfTKJ1ffKQH_dAeL8bLqxLvqmgq9Dq1UaOD5Cy9itC9ZTBb7idW89Af2VFb-GH0SJZwfsfXAIFens2Xsexy3lK8CMrgHfUoK3ueUOwMxyS7yLLx6J-d8g6jF2FFqTSjpHDwaRaVwFo6AuVr1Qm-NL_Y7FYQfsYBlH5v0YuCB2moglYSRmrbJyipjO3ywwNaJp3oZI4JFX4Vijazy4AOpy2AZUjrt0U2ho6OEjoO2vkMH9rMcsSTjWRb6i3Y-LpwWbAOw53fs_-DQ_ww","e":"AQAB"}]}`),
	jose.ES256: []byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"qOSxpR8Rc_mEfPGxUdzHdzCsxdH3OtjqxD9bysf2rCg","y":"hWIDXTaG49ZRSaJhY9TMw3-0NWidXxi7symZKNi_46s"}]}`),
	jose.EdDSA: []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"cHhtY9HJLC35VaGv7NK-gY4zZx5iWWDtWaN8RJI97fo"}]}`),
}

// checkAgainstStandIn parses the stand-in JWKS of tok's algorithm and
// checks tok's signature with it; the outcome is thrown away (it cannot
// verify).
func checkAgainstStandIn(tok *jwt.JSONWebToken) {
	set, err := ParseJWKS(standIns[jose.SignatureAlgorithm(tok.Headers[0].Algorithm)])
	if err != nil || len(set.Keys) != 1 {
		return
	}
	var claims jwt.Claims
	_ = tok.Claims(set.Keys[0].Key, &claims)
}

// confirmSecrets is called when the presented secret matched none of the
// secrets read: when they were kept in memory, it reads them again from
// the database and tries once more.
func (a *Authenticator) confirmSecrets(ctx context.Context, clientID string, digest []byte, fromMemory bool) (string, error) {
	if !fromMemory {
		return "", nil
	}
	secrets, err := a.reloadSecrets(ctx, clientID)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return "", err
	}
	id, _ := matchDigest(digest, secrets, a.now())
	return id, nil
}
