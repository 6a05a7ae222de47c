package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mintauth/mint/internal/redirect"
)

// discover finds the issuer's jwks_uri: first in its OAuth 2.0
// Authorization Server Metadata (RFC 8414 §3), then in its OpenID Connect
// discovery document. The document must name the issuer itself (RFC 8414
// §3.3), and an https issuer must publish an https jwks_uri.
func discover(ctx context.Context, client *http.Client, issuer string) (string, error) {
	client = documentClient(client)
	iss, err := url.Parse(issuer)
	if err != nil || (iss.Scheme != "https" && iss.Scheme != "http") || iss.Host == "" ||
		iss.RawQuery != "" || iss.Fragment != "" {
		return "", fmt.Errorf("issuer %q is not an http(s) URL without query", issuer)
	}
	var errs []error
	for _, doc := range metadataURLs(iss) {
		jwksURI, err := jwksURIFrom(ctx, client, doc, issuer)
		if err == nil {
			return jwksURI, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("discover keys of %s: %w", issuer, errors.Join(errs...))
}

// maxDocumentRedirects is how many redirects a fetch of metadata or keys
// follows. They carry no secret, but their answer is trusted: a long chain
// is a misconfiguration or a probe.
const maxDocumentRedirects = 3

// documentClient is client following at most maxDocumentRedirects
// redirects, never from https to http, where anyone on the path could
// answer with keys of their own. A client with a redirect policy of its
// own keeps it.
func documentClient(client *http.Client) *http.Client {
	if client.CheckRedirect != nil {
		return client
	}
	return redirect.With(client, redirect.Capped(maxDocumentRedirects))
}

// metadataURLs are where RFC 8414 §3.1 and OpenID Connect Discovery §4
// publish the metadata of iss. RFC 8414 puts the well-known segment before
// the issuer's path; OpenID Connect appends it.
func metadataURLs(iss *url.URL) []string {
	path := strings.TrimSuffix(iss.EscapedPath(), "/")
	root := iss.Scheme + "://" + iss.Host
	return []string{
		root + "/.well-known/oauth-authorization-server" + path,
		root + path + "/.well-known/openid-configuration",
	}
}

func jwksURIFrom(ctx context.Context, client *http.Client, doc, issuer string) (string, error) {
	body, _, err := getDocument(ctx, client, doc)
	if err != nil {
		return "", err
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(body, &meta); err != nil {
		return "", fmt.Errorf("%s: %w", doc, err)
	}
	if meta.Issuer != issuer {
		return "", fmt.Errorf("%s names issuer %q, want %q", doc, meta.Issuer, issuer)
	}
	u, err := url.Parse(meta.JWKSURI)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("%s: jwks_uri %q is not an http(s) URL", doc, meta.JWKSURI)
	}
	if strings.HasPrefix(issuer, "https:") && u.Scheme != "https" {
		return "", fmt.Errorf("%s: jwks_uri %q is not https", doc, meta.JWKSURI)
	}
	return u.String(), nil
}
