package cli

import (
	"context"
	"net/http"
	"text/tabwriter"
)

// keyView is a signing key as the admin API shows it: dates, never key
// material.
type keyView struct {
	KID        string `json:"kid"`
	Algorithm  string `json:"algorithm"`
	State      string `json:"state"`
	CreatedAt  string `json:"created_at"`
	ActivateAt string `json:"activate_at"`
	RetiredAt  string `json:"retired_at"`
	RemoveAt   string `json:"remove_at"`
}

// keyRotation is the body of POST /admin/v1/keys/rotate.
type keyRotation struct {
	Algorithm string `json:"algorithm"`
	Immediate bool   `json:"immediate,omitempty"`
}

func keysList(c *call) runFunc { return adminGet(c, fixed("/keys"), keyTable) }

func keysRotate(c *call) runFunc {
	var body keyRotation
	c.fs.StringVar(&body.Algorithm, "algorithm", "RS256", "the key ring to rotate: RS256, PS256, ES256 or EdDSA")
	c.fs.BoolVar(&body.Immediate, "immediate", false,
		"sign with the new key at once (a compromised key); verifiers that cached the JWKS may refuse tokens until they fetch it again")
	c.completeFixed("algorithm", signingAlgs...)
	return func(ctx context.Context, _ []string) error {
		return callAdmin(ctx, c, http.MethodPost, "/keys/rotate", body, keyTable)
	}
}

func keyTable(w *tabwriter.Writer, keys []keyView) {
	row(w, "KID", "ALGORITHM", "STATE", "CREATED", "SIGNS FROM", "RETIRED", "UNPUBLISHED AT")
	for _, k := range keys {
		row(w, k.KID, k.Algorithm, k.State, formatTime(k.CreatedAt), formatTime(k.ActivateAt),
			formatTime(k.RetiredAt), formatTime(k.RemoveAt))
	}
}
