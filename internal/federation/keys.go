package federation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
)

// Defaults of KeyFetcher.
const (
	// DefaultMinRefresh: an unknown kid fetches an issuer's keys again at
	// most this often, so that tokens naming made-up kids cannot make
	// mint hammer a partner's issuer.
	DefaultMinRefresh = 5 * time.Second
	// DefaultFetchTimeout bounds one fetch (discovery and key set).
	DefaultFetchTimeout = 5 * time.Second
	// DefaultLookupWait bounds how long a token request waits for keys
	// it lacks: a slow issuer makes its own partners' requests fail after
	// this long, and nobody else's wait at all.
	DefaultLookupWait = 2 * time.Second
	// maxIssuers bounds the key sets kept; past it the least recently
	// used is dropped. Only rules an admin made add to it.
	maxIssuers = 1000
	// MaxKeys bounds a partner's key set (bearer.JWKSConfig.MaxKeys): a
	// partner, or a client at its key URL, chooses what mint checks on
	// every fetch a made-up kid triggers, milliseconds of CPU per RSA
	// key. GitHub, Google, Kubernetes publish two to four.
	MaxKeys = 32
)

// KeyFetcher finds the keys of the issuers trust rules name, with bearer.JWKS
// per issuer and key set URL: cached as the issuer's Cache-Control allows,
// fetched again on an unknown kid at most once per MinRefresh, bounded in
// time and size (1 MB), one fetch in flight per issuer. No lock is held
// over a fetch, so a slow issuer slows only the requests that need its
// keys, and those by at most LookupWait.
//
// It fetches only what a trust rule names (the rule's Issuer, through its
// discovery document, or its JWKSURI): never an address read from a token.
// Plain http is refused but for loopback addresses, unless AllowHTTP. It
// is safe for concurrent use.
type KeyFetcher struct {
	// AllowHTTP lets rules name http issuers and key sets beyond
	// loopback (mint serve --federation-allow-http).
	AllowHTTP bool
	// HTTPClient fetches the documents; nil: a client with a 10 s timeout.
	HTTPClient   *http.Client
	MinRefresh   time.Duration
	FetchTimeout time.Duration
	LookupWait   time.Duration
	Now          func() time.Time
	Log          *slog.Logger

	mu     sync.Mutex
	sets   map[setKey]*keySet
	static map[string]map[string]jose.JSONWebKey // by bundle text
}

type setKey struct{ issuer, jwksURI, bundle string }

type keySet struct {
	jwks *bearer.JWKS
	used time.Time
}

// errNoKey: the issuer publishes no key with the token's kid.
var errNoKey = errors.New("the issuer publishes no key with this kid")

// Key returns the key of rule's issuer that kid names.
func (f *KeyFetcher) Key(ctx context.Context, rule mint.FederatedCredential, kid string) (jose.JSONWebKey, error) {
	if rule.Bundle != "" {
		return f.staticKey(rule.Bundle, kid)
	}
	jwks, err := f.set(rule)
	if err != nil {
		return jose.JSONWebKey{}, err
	}
	key, found, err := jwks.LookupKey(ctx, kid)
	switch {
	case err != nil:
		return jose.JSONWebKey{}, fmt.Errorf("keys of %s: %w", rule.Issuer, err)
	case !found:
		return jose.JSONWebKey{}, errNoKey
	}
	return key, nil
}

// set returns the key set of rule's issuer, making it on first use. The
// first fetch starts in the background; Key waits for it at most
// LookupWait.
func (f *KeyFetcher) set(rule mint.FederatedCredential) (*bearer.JWKS, error) {
	k := setKey{issuer: rule.Issuer, jwksURI: rule.JWKSURI}
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sets[k]; ok {
		s.used = now
		return s.jwks, nil
	}
	if err := f.checkRule(rule); err != nil {
		return nil, err
	}
	done, cancel := context.WithCancel(context.Background())
	cancel() // NewJWKS starts the first fetch without waiting for it
	issuer, use := rule.Issuer, ""
	if IsKeyLocation(rule) {
		issuer = "" // a client id: the keys are at JWKSURI, nothing to discover
	}
	if IsSPIFFE(rule.Issuer) {
		issuer, use = "", "jwt-svid" // a trust domain: JWKSURI is its bundle endpoint
	}
	jwks, err := bearer.NewJWKS(done, bearer.JWKSConfig{
		URL: rule.JWKSURI, Issuer: issuer, HTTPClient: f.client(rule),
		MinRefreshInterval: orDefault(f.MinRefresh, DefaultMinRefresh),
		FetchTimeout:       orDefault(f.FetchTimeout, DefaultFetchTimeout),
		LookupWait:         orDefault(f.LookupWait, DefaultLookupWait),
		Now:                f.Now, Log: f.Log, MaxKeys: MaxKeys, KeyUse: use,
	})
	if err != nil {
		return nil, err
	}
	if f.sets == nil {
		f.sets = map[setKey]*keySet{}
	}
	if len(f.sets) >= maxIssuers {
		f.dropOldest()
	}
	f.sets[k] = &keySet{jwks: jwks, used: now}
	return jwks, nil
}

func (f *KeyFetcher) dropOldest() {
	var oldest setKey
	var at time.Time
	for k, s := range f.sets {
		if at.IsZero() || s.used.Before(at) {
			oldest, at = k, s.used
		}
	}
	delete(f.sets, oldest)
}

// IsKeyLocation reports whether rule only says where its client's own
// private_key_jwt keys are (RFC 7523 §2.2 with a JWKS URL, issue 18): its
// issuer and subject are the client's id, and it names a JWKSURI.
func IsKeyLocation(rule mint.FederatedCredential) bool {
	return rule.JWKSURI != "" && rule.Issuer == rule.ClientID && rule.Subject == rule.ClientID
}

// checkRule checks the addresses of rule as CheckURLs does; a key
// location has only its JWKSURI.
func (f *KeyFetcher) checkRule(rule mint.FederatedCredential) error {
	if IsKeyLocation(rule) || IsSPIFFE(rule.Issuer) {
		return checkURL("jwks_uri", rule.JWKSURI, f.AllowHTTP)
	}
	return f.CheckURLs(rule.Issuer, rule.JWKSURI)
}

// CheckKeyURL says why a client's jwks_uri must not be fetched, or nil.
func CheckKeyURL(jwksURI string, allowHTTP bool) error {
	return checkURL("jwks_uri", jwksURI, allowHTTP)
}

// CheckURLs is the package's CheckURLs with f.AllowHTTP.
func (f *KeyFetcher) CheckURLs(issuer, jwksURI string) error {
	return CheckURLs(issuer, jwksURI, f.AllowHTTP)
}

// CheckURLs says why mint must not fetch from issuer or jwksURI (which may
// be empty), or nil: each must be an absolute https URL, or http to a
// loopback address, or any http with allowHTTP; without user, query or
// fragment.
func CheckURLs(issuer, jwksURI string, allowHTTP bool) error {
	if err := checkURL("issuer", issuer, allowHTTP); err != nil {
		return err
	}
	if jwksURI == "" {
		return nil
	}
	return checkURL("jwks_uri", jwksURI, allowHTTP)
}

func checkURL(what, raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return fmt.Errorf("%s must be an absolute https URL without user, query or fragment", what)
	}
	if !validHost(u.Hostname()) || !validPort(u.Port()) {
		return fmt.Errorf("%s must name a host by DNS name or IP address", what)
	}
	if !schemeAllowed(u, allowHTTP) {
		return fmt.Errorf("%s must use https (http only for loopback addresses, or with mint serve --federation-allow-http)", what)
	}
	return nil
}

// validHost accepts an IP address or a DNS name of letters, digits,
// hyphens and dots: url.Parse lets through hosts such as `"><script>`,
// which no issuer has and every page showing the rule would have to
// escape.
func validHost(host string) bool {
	if net.ParseIP(host) != nil {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validPort(port string) bool {
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && n > 0 && n < 65536 && port[0] != '0'
}

func schemeAllowed(u *url.URL, allowHTTP bool) bool {
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return allowHTTP || isLoopback(u.Hostname())
	}
	return false
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// client is the HTTP client with a transport that refuses what CheckURLs
// would, for every request it makes: discovered key set URLs and
// redirects included; and that fetches from hosts rule does not name only
// from public addresses (egress.go).
func (f *KeyFetcher) client(rule mint.FederatedCredential) *http.Client {
	c := &http.Client{Timeout: 10 * time.Second}
	if f.HTTPClient != nil {
		cp := *f.HTTPClient
		c = &cp
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	next = guardTransport(next, urlsOfRule{rule.Issuer, rule.JWKSURI})
	c.Transport = schemeGuard{next: next, allowHTTP: f.AllowHTTP}
	return c
}

type schemeGuard struct {
	next      http.RoundTripper
	allowHTTP bool
}

func (g schemeGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !schemeAllowed(req.URL, g.allowHTTP) {
		return nil, fmt.Errorf("refused to fetch %s: plain http beyond loopback", req.URL.Redacted())
	}
	return g.next.RoundTrip(req)
}

func (f *KeyFetcher) now() time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// MaxBundleBytes bounds a SPIFFE rule's static bundle, as the fetched
// sets are bounded.
const MaxBundleBytes = 16 << 10

// ParseBundle reads a SPIFFE bundle (SPIFFE Trust Domain and Bundle §4):
// the keys that sign JWT-SVIDs, those with "use":"jwt-svid".
func ParseBundle(bundle string) (map[string]jose.JSONWebKey, error) {
	if len(bundle) > MaxBundleBytes {
		return nil, fmt.Errorf("a bundle is at most %d bytes", MaxBundleBytes)
	}
	keys, err := bearer.ParseKeySet([]byte(bundle), "jwt-svid")
	if err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	if len(keys) == 0 {
		return nil, errors.New(`the bundle has no usable key with "use":"jwt-svid" and a kid`)
	}
	return keys, nil
}

// staticKey looks kid up in a static bundle, parsed once and kept while
// rules name it (bounded like the fetched sets).
func (f *KeyFetcher) staticKey(bundle, kid string) (jose.JSONWebKey, error) {
	f.mu.Lock()
	keys, ok := f.static[bundle]
	f.mu.Unlock()
	if !ok {
		var err error
		if keys, err = ParseBundle(bundle); err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("static bundle: %w", err)
		}
		f.mu.Lock()
		if f.static == nil || len(f.static) >= maxIssuers {
			f.static = map[string]map[string]jose.JSONWebKey{}
		}
		f.static[bundle] = keys
		f.mu.Unlock()
	}
	key, found := keys[kid]
	if !found {
		return jose.JSONWebKey{}, errNoKey
	}
	return key, nil
}
