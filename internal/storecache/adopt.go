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

// adoptClient also takes the client ID from the client's secrets when
// they are held (the token path reads them first), so that the ID is held
// once for both kinds. Lock order: a clients shard, then a secrets shard;
// nothing takes them the other way.
func (c *Store) adoptClient(key string, k compactClient) (string, compactClient) {
	if k.whole != nil || k.id != key {
		return strings.Clone(key), k
	}
	if id, ok := heldClientID(c.secrets, key); ok {
		k.id = id
	}
	return k.id, k
}

// heldClientID returns the copy of the client ID key that t's entry for
// key holds (its secrets' ClientID, shared with the entry's key by
// adoptSecrets).
func heldClientID(t *table[[]mint.Secret], key string) (string, bool) {
	sh := t.shardOf(key)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	if e := sh.m[key]; e != nil && len(e.val) > 0 && e.val[0].ClientID == key {
		return e.val[0].ClientID, true
	}
	return "", false
}

// adoptSecrets packs the client ID (the key and every secret's
// ClientID), each secret's ID and digest into one allocation (see packer).
func adoptSecrets(key string, secrets []mint.Secret) (string, []mint.Secret) {
	n := len(key)
	for _, s := range secrets {
		if s.ClientID != key {
			n += len(s.ClientID)
		}
		n += len(s.ID) + len(s.Digest)
	}
	p := newPacker(n)
	key = p.str(key)
	for i := range secrets {
		secrets[i].ClientID = shareKey(key, secrets[i].ClientID)
		if secrets[i].ClientID != key {
			secrets[i].ClientID = p.str(secrets[i].ClientID)
		}
		secrets[i].ID = p.str(secrets[i].ID)
		secrets[i].Digest = p.bytes(secrets[i].Digest)
	}
	return key, secrets
}

// adoptGrants also shares each grant's audience and scopes with the other
// clients' grants (see interner).
func (c *Store) adoptGrants(key string, grants []mint.Grant) (string, []mint.Grant) {
	for i := range grants {
		grants[i].Audience = c.intern.str(grants[i].Audience)
		grants[i].Scopes = c.intern.scopeList(grants[i].Scopes)
	}
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
// are the key's own bytes (a key is "len:" + client ID + audience), its
// scopes shared with other grants of the same scopes.
func (c *Store) adoptGrantFor(key string, g compactGrant) (string, compactGrant) {
	if g.whole != nil {
		return strings.Clone(key), g
	}
	p := newPacker(len(key) + len(g.id))
	key = p.str(key)
	g.id = p.str(g.id)
	client, audience := splitPair(key)
	g.clientID = shareKey(client, g.clientID)
	g.audience = shareKey(audience, g.audience)
	g.scopes = c.intern.scopeList(g.scopes)
	return key, g
}
