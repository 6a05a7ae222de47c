package client

import (
	"context"
	"crypto/tls"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/mintauth/mint/bearer/dpop"
)

// Style is the dialect in which the token request is written.
type Style int

const (
	// StyleJSON posts the credentials as a JSON object. It is the default.
	StyleJSON Style = iota
	// StyleFormPost posts a form with client_id and client_secret in it
	// (client_secret_post).
	StyleFormPost
	// StyleFormBasic posts a form and sends the credentials with HTTP Basic
	// authentication (client_secret_basic).
	StyleFormBasic
)

func (s Style) String() string {
	switch s {
	case StyleJSON:
		return "json"
	case StyleFormPost:
		return "form-post"
	case StyleFormBasic:
		return "form-basic"
	}
	return "Style(" + strconv.Itoa(int(s)) + ")"
}

// DefaultMaxAttempts is how many times a token request is tried when
// Config.MaxAttempts is zero: once, and up to three retries.
const DefaultMaxAttempts = 4

// Config describes a client of a token endpoint. It is read, never written,
// so one Config may be shared by any number of goroutines.
type Config struct {
	// TokenURL is the token endpoint, e.g. "https://auth.example.com/oauth/token".
	TokenURL string
	// ClientID and ClientSecret are the client's credentials. A client
	// without a secret sends only its client_id (never an empty secret or
	// Basic header): it authenticates with its TLS client certificate
	// (RFC 8705 §2, tls_client_auth or self_signed_tls_client_auth).
	ClientID     string
	ClientSecret string
	// Audience names the API the token is for. It is left out of the
	// request when empty, for servers that have a single API.
	Audience string
	// Scopes are requested space-joined as "scope" when not empty.
	Scopes []string
	// Style is the dialect of the token request; the zero value is StyleJSON.
	Style Style
	// HTTPClient sends token requests. When nil, the client stored in the
	// context under oauth2.HTTPClient is used, else http.DefaultClient.
	// Its CheckRedirect is not used for token requests: they follow no
	// redirect (see ErrRedirect).
	HTTPClient *http.Client
	// MaxAttempts bounds the tries of one token request; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// Now tells the time when judging whether a cached token is still good;
	// nil means time.Now. Backoff waits always use the real clock.
	Now func() time.Time
	// DPoP, when set, makes tokens DPoP-bound to its key (RFC 9449): every
	// token request and every API request through Transport carries a
	// proof, and the server's nonce challenges are answered (dpop.go).
	DPoP *dpop.Prover
	// Certificate, when set, is the TLS client certificate (with its
	// private key) presented to the token endpoint and, through Client
	// and Transport, to the APIs (RFC 8705): mint binds the tokens to it
	// (cnf.x5t#S256), and without a ClientSecret the client authenticates
	// with it. It is added to a copy of HTTPClient's transport, which must
	// then be an *http.Transport (or nil, for http.DefaultTransport's
	// settings); a transport of another kind must present the certificate
	// itself, with Certificate left nil. The client stored in the context
	// is not used for token requests then. See mtls.go.
	Certificate *tls.Certificate

	// certErr is why Certificate cannot be presented (mtls.go): every
	// token request fails with it.
	certErr error
}

// TokenSource returns a source of tokens for c that caches one token and
// replaces it shortly before it expires.
//
// The token is refreshed once less than max(10% of its lifetime, 30s),
// capped at half its lifetime, remains, made earlier still by a random
// extra of up to half that margin, so that a fleet started together does
// not come back together. A token without expires_in is kept until
// dropped because an API rejected it (see Transport). If an early refresh
// fails while the old token has not expired, the old token is returned and
// the refresh is tried again a few seconds later.
//
// The returned source is safe for concurrent use: callers that find the
// token stale share a single request to the token endpoint. ctx is used for
// every token request the source makes and must outlive it.
func (c *Config) TokenSource(ctx context.Context) oauth2.TokenSource {
	return &ctxTokenSource{ctx: ctx, cache: newTokenCache(c)}
}

// Transport returns a RoundTripper that sends each request through base
// with an "Authorization: Bearer" header, using a token cache of its own
// with the policy described at TokenSource. Token requests run under the
// context of the request that needs the token. When an API answers 401
// because the token expired or is invalid, the token is dropped, a new one
// fetched, and a replayable request (no body, or GetBody set) sent once
// more. A nil base means http.DefaultTransport.
//
// The token goes only to the origin (scheme, host and port) the caller
// addressed: when an http.Client follows a redirect to another origin, that
// hop and every later hop of the chain go without the token, and without
// any Authorization header the caller set.
func (c *Config) Transport(base http.RoundTripper) http.RoundTripper {
	cache := newTokenCache(c)
	if c.Certificate != nil {
		base = cache.cfg.presenting(c, base)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &bearerTransport{base: base, cache: cache}
}

// Client returns an HTTP client whose requests carry c's token, as
// Transport does, over the transport of the client that sends token
// requests (see HTTPClient), which presents Certificate when it is set.
// ctx serves only to find that client.
func (c *Config) Client(ctx context.Context) *http.Client {
	return &http.Client{Transport: c.Transport(c.httpClient(ctx).Transport)}
}

// httpClient is the client that sends token requests.
func (c *Config) httpClient(ctx context.Context) *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	if hc, ok := ctx.Value(oauth2.HTTPClient).(*http.Client); ok && hc != nil {
		return hc
	}
	return http.DefaultClient
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) maxAttempts() int {
	if c.MaxAttempts > 0 {
		return c.MaxAttempts
	}
	return DefaultMaxAttempts
}

// ctxTokenSource binds a token cache to the context given to TokenSource.
type ctxTokenSource struct {
	ctx   context.Context
	cache *tokenCache
}

// Token returns the cached token, fetching a new one when it is stale.
func (s *ctxTokenSource) Token() (*oauth2.Token, error) {
	return s.cache.token(s.ctx)
}
