package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// KeyRing is what the keys routes need of mint's key ring (keyring.Ring).
type KeyRing interface {
	// List returns every key as it stands now, without private keys.
	List(ctx context.Context) ([]mint.SigningKey, error)
	// Rotate starts a new key for alg: published now, signing after the
	// prepublication delay, or at once when immediate. A mint.ErrConflict:
	// a key of alg is already waiting to activate.
	Rotate(ctx context.Context, alg string, immediate bool) ([]mint.SigningKey, error)
	// EnsureKey makes sure alg has a key, so that an API choosing alg has
	// its key published before its first token.
	EnsureKey(ctx context.Context, alg string) error
}

// keyView is a signing key on the wire: its dates, never key material.
type keyView struct {
	KID        string     `json:"kid"`
	Algorithm  string     `json:"algorithm"`
	State      string     `json:"state"`
	CreatedAt  time.Time  `json:"created_at"`
	ActivateAt *time.Time `json:"activate_at,omitempty"`
	RetiredAt  *time.Time `json:"retired_at,omitempty"`
	RemoveAt   *time.Time `json:"remove_at,omitempty"`
}

func viewKeys(keys []mint.SigningKey) []keyView {
	views := make([]keyView, 0, len(keys))
	for _, k := range keys {
		views = append(views, keyView{
			KID: k.ID, Algorithm: k.Algorithm, State: string(k.State), CreatedAt: k.CreatedAt.UTC(),
			ActivateAt: optionalTime(k.ActivateAt), RetiredAt: optionalTime(k.RetiredAt), RemoveAt: optionalTime(k.RemoveAt),
		})
	}
	return views
}

// rotateKeyRequest is the optional body of POST /admin/v1/keys/rotate.
type rotateKeyRequest struct {
	// Algorithm names the key ring to rotate; default RS256.
	Algorithm string `json:"algorithm"`
	// Immediate makes the new key sign at once, for a compromised key:
	// verifiers that cached the JWKS may refuse its tokens until they
	// fetch it again.
	Immediate bool `json:"immediate"`
}

func (req *rotateKeyRequest) Validate() error {
	if req.Algorithm == "" {
		req.Algorithm = mint.AlgRS256
	}
	return validSigningAlg("algorithm", req.Algorithm)
}

func validSigningAlg(field, alg string) error {
	if !slices.Contains(mint.SigningAlgorithms, alg) {
		return invalid(field, "%s must be one of %s", field, strings.Join(mint.SigningAlgorithms, ", "))
	}
	return nil
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	if a.Keys == nil {
		return notFound(w, r, nil)
	}
	keys, err := a.Keys.List(r.Context())
	if err != nil {
		return oauth.ErrServer.WithCause(err)
	}
	oauth.WriteJSON(w, http.StatusOK, viewKeys(keys))
	return nil
}

// rotateKey starts a new key and answers the keys: 202 while the new key
// waits to sign, 200 when it signs already (immediate).
func (a *API) rotateKey(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	if a.Keys == nil {
		return notFound(w, r, who)
	}
	var req rotateKeyRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	before, err := a.Keys.List(r.Context())
	if err != nil {
		return oauth.ErrServer.WithCause(err)
	}
	ctx, ch := a.audited(r, who, "admin.keys.rotate", req.Algorithm)
	ch.before = viewKeys(before)
	ch.extra = map[string]any{"algorithm": req.Algorithm, "immediate": req.Immediate}
	keys, err := a.Keys.Rotate(ctx, req.Algorithm, req.Immediate)
	if errors.Is(err, mint.ErrConflict) {
		return oauth.ErrConflict.Describe("a %s key is already waiting to activate; "+
			"rotate again once it signs, or rotate with immediate", req.Algorithm).WithCause(err)
	}
	if err != nil {
		return oauth.ErrServer.WithCause(err)
	}
	status := http.StatusAccepted
	if req.Immediate {
		status = http.StatusOK
	}
	a.log().InfoContext(r.Context(), "admin change", "admin_client", who.ClientID, "route", r.Pattern,
		"algorithm", req.Algorithm, "immediate", req.Immediate)
	oauth.WriteJSON(w, status, viewKeys(keys))
	return nil
}
