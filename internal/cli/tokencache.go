package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"
)

// tokenCache keeps the CLI's admin token between runs, as mint's SDK keeps
// a token in a process, so that a session of commands asks for one token
// an hour instead of one per command (the console flags a client that does
// not reuse its tokens). One file per server, client and secret, mode 0600
// in a 0700 directory; a file others can read is neither used nor written.
type tokenCache struct {
	path string // empty: no cache
}

// cachedToken is what a cache file holds.
type cachedToken struct {
	AccessToken string    `json:"access_token"`
	ExpiresAt   time.Time `json:"expires_at"`
	// UseUntil is when the CLI stops using it: shortly before it expires.
	UseUntil time.Time `json:"use_until"`
}

// newTokenCache is the cache for these credentials on this server. The
// file's name hashes the server, the client id and the secret: a rotated or
// mistyped secret never finds the token another secret got (the server
// would not have given it one), and the name tells nothing of either.
// $MINT_TOKEN_CACHE=off turns the cache off.
func newTokenCache(getenv func(string) string, o *options) tokenCache {
	dir := cacheDir(getenv)
	if dir == "" || getenv("MINT_TOKEN_CACHE") == "off" {
		return tokenCache{}
	}
	secret := sha256.Sum256([]byte(o.clientSecret))
	key := sha256.Sum256([]byte(o.server + "\x00" + o.clientID + "\x00" + hex.EncodeToString(secret[:])))
	return tokenCache{path: filepath.Join(dir, "admin-token-"+hex.EncodeToString(key[:16])+".json")}
}

// useMargin is how long before its expiry a token stops being used: a
// tenth of its lifetime, at least a minute, so that a command never starts
// with a token that expires under it.
func useMargin(lifetime time.Duration) time.Duration {
	return max(lifetime/10, time.Minute)
}

// get returns the cached token, if there is one still to be used.
func (tc tokenCache) get(now time.Time) (string, bool) {
	if tc.path == "" {
		return "", false
	}
	data, err := readPrivate(tc.path)
	if err != nil {
		return "", false
	}
	var t cachedToken
	if json.Unmarshal(data, &t) != nil || t.AccessToken == "" || !now.Before(t.UseUntil) {
		return "", false
	}
	return t.AccessToken, true
}

// put stores a token issued at now for expiresIn seconds. Failing to store
// it costs only a token request next time, so errors are ignored, except
// that a shared directory is never written to.
func (tc tokenCache) put(token string, expiresIn int64, now time.Time) {
	lifetime := time.Duration(expiresIn) * time.Second
	if tc.path == "" || lifetime <= useMargin(lifetime) {
		return
	}
	data, err := json.Marshal(cachedToken{AccessToken: token, ExpiresAt: now.Add(lifetime), UseUntil: now.Add(lifetime - useMargin(lifetime))})
	if err != nil {
		return
	}
	_ = writePrivate(tc.path, data)
}

// drop forgets the token.
func (tc tokenCache) drop() error {
	if tc.path == "" {
		return nil
	}
	if err := os.Remove(tc.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
