package storecache

import (
	"bytes"
	"slices"

	"github.com/mintauth/mint/internal/mint"
)

// Callers get copies of cached answers: a caller changing a slice it was
// given must not change what the next caller reads.

func cloneClient(c mint.Client) mint.Client {
	c.JWKS = bytes.Clone(c.JWKS)
	return c
}

func cloneSecrets(in []mint.Secret) []mint.Secret {
	out := slices.Clone(in)
	for i := range out {
		out[i].Digest = bytes.Clone(out[i].Digest)
	}
	return out
}

func cloneGrant(g mint.Grant) mint.Grant {
	g.Scopes = slices.Clone(g.Scopes)
	return g
}

func cloneGrants(in []mint.Grant) []mint.Grant {
	out := slices.Clone(in)
	for i := range out {
		out[i].Scopes = slices.Clone(out[i].Scopes)
	}
	return out
}

func cloneAPI(a mint.API) mint.API {
	a.Scopes = slices.Clone(a.Scopes)
	return a
}
