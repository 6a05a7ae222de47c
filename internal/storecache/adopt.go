package storecache

import (
	"strings"

	"github.com/mintauth/mint/internal/mint"
)

// The adopt functions of the tables keyed by client ID make the key and
// every copy of the client ID in the answer one string: a client's rows
// repeat its ID (Client.ID, Secret.ClientID, Grant.ClientID) and the
// store reads each copy apart, 32 bytes and more each. The answer is the
// store's own, not yet handed to anyone, so it may be changed here.

// shareKey returns s if it equals key (the one copy kept), else s: a key
// that is not in the answer is cloned (it may be a piece of a request).
func shareKey(key, s string) string {
	if s == key {
		return key
	}
	return s
}

func adoptClient(key string, c mint.Client) (string, mint.Client) {
	if c.ID != key {
		return strings.Clone(key), c
	}
	return c.ID, c
}

func adoptSecrets(key string, secrets []mint.Secret) (string, []mint.Secret) {
	if len(secrets) == 0 || secrets[0].ClientID != key {
		return strings.Clone(key), secrets
	}
	key = secrets[0].ClientID
	for i := range secrets {
		secrets[i].ClientID = shareKey(key, secrets[i].ClientID)
	}
	return key, secrets
}

func adoptGrants(key string, grants []mint.Grant) (string, []mint.Grant) {
	if len(grants) == 0 || grants[0].ClientID != key {
		return strings.Clone(key), grants
	}
	key = grants[0].ClientID
	for i := range grants {
		grants[i].ClientID = shareKey(key, grants[i].ClientID)
	}
	return key, grants
}

// adoptGrantFor keeps the pair key; the grant's client ID and audience
// are the key's own bytes (a key is "len:" + client ID + audience).
func adoptGrantFor(key string, g mint.Grant) (string, mint.Grant) {
	key = strings.Clone(key)
	client, audience := splitPair(key)
	g.ClientID = shareKey(client, g.ClientID)
	g.Audience = shareKey(audience, g.Audience)
	return key, g
}
