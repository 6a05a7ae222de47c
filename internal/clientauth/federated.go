package clientauth

import (
	"context"
	"errors"
	"strings"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// The methods of a client proved by an external token (issue 18), as logs
// and the audit log name them. On the wire the first is private_key_jwt's
// client_assertion (RFC 7523 §2.2); the second is the JWT bearer grant
// (RFC 7523 §2.1), which the token endpoint parses with ParseBearerGrant.
const (
	FederatedJWT Method = "federated_jwt"
	BearerGrant  Method = "jwt_bearer_grant"
)

// BearerGrantType is the grant_type of the JWT bearer grant (RFC 7523 §2.1).
const BearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// ParamBearerAssertion is the bearer grant's assertion parameter.
const ParamBearerAssertion = "assertion"

var (
	errBearerNoAssertion = oauth.ErrInvalidRequest.WithField(ParamBearerAssertion).Describe(
		"the jwt-bearer grant needs the token in assertion")
	errBearerAndOther = oauth.ErrInvalidRequest.WithField(ParamBearerAssertion).Describe(
		"the jwt-bearer grant is authenticated by its assertion: send no client_secret, HTTP Basic or client_assertion with it")
)

// ParseBearerGrant takes the credentials of a JWT bearer grant request:
// the assertion, and the optional client_id naming which client's trust
// rules to use. Other client credentials are refused (invalid_request):
// the assertion alone proves the client.
func ParseBearerGrant(authorization []string, body map[string]string) (Credentials, error) {
	switch {
	case len(authorization) > 0 || body[ParamClientSecret] != "" || body[ParamAssertion] != "" || body[ParamAssertionType] != "":
		return Credentials{}, errBearerAndOther
	case body[ParamBearerAssertion] == "":
		return Credentials{}, errBearerNoAssertion
	case len(body[ParamClientID]) > MaxClientIDBytes:
		return Credentials{}, errClientIDTooLong
	}
	return Credentials{Method: BearerGrant, ClientID: body[ParamClientID], Assertion: body[ParamBearerAssertion]}, nil
}

// federatedShape reports whether a client assertion is an external token
// rather than a private_key_jwt one: RFC 7523 §3 makes a client's own
// assertion's iss and sub both its client_id, and trust rules never have
// a subject equal to their issuer (the admin API refuses it), so an
// assertion whose iss and sub differ is meant for the trust rules.
func federatedShape(assertion string) bool {
	iss, sub, ok := peekIssuerSubject(assertion)
	return ok && iss != sub
}

// federated authenticates c with the trust rules: every refusal is code
// (invalid_client, or invalid_grant for the bearer grant) with the
// refusal's public description, the reason logged.
func (a *Authenticator) federated(ctx context.Context, c Credentials, code *oauth.Error) (mint.Client, error) {
	client, err := a.verifyFederated(ctx, c)
	var r *federation.Refusal
	switch {
	case errors.As(err, &r):
		if c.ClientID == "" {
			c.ClientID = client.ID
		}
		a.refuse(ctx, c, r.Reason)
		return mint.Client{}, code.Describe("%s", r.Public)
	case err != nil:
		return mint.Client{}, oauth.ErrServer.WithCause(err)
	}
	return client, nil
}

func (a *Authenticator) verifyFederated(ctx context.Context, c Credentials) (mint.Client, error) {
	verify := a.Federation.Verify
	if c.Method == SPIFFEJWT {
		verify = a.Federation.VerifySPIFFE
	}
	acc, err := verify(ctx, c.Assertion, c.ClientID)
	if err != nil {
		return mint.Client{}, err
	}
	client, err := a.Store.GetClient(ctx, acc.Rule.ClientID)
	switch {
	case errors.Is(err, mint.ErrNotFound):
		return mint.Client{}, &federation.Refusal{Public: errRuleGone, Reason: "the rule's client was deleted"}
	case err != nil:
		return mint.Client{}, err
	case client.CreatedAt.After(acc.Rule.CreatedAt):
		// A rule older than its client was a deleted client's, whose ID
		// was used again, kept by a cache that has not heard of it yet.
		return client, &federation.Refusal{Public: errRuleGone, Reason: "the rule belonged to a deleted client of the same id"}
	}
	if acc.ReplayID == "" {
		return client, nil // a JWT-SVID without jti: reusable until exp, as SPIFFE means it
	}
	// Recorded under no client (no client has the empty id): a token is
	// accepted once, whichever client's rule accepts it.
	err = a.Store.UseAssertion(ctx, "", acc.ReplayID, acc.ReplayUntil)
	if errors.Is(err, mint.ErrConflict) {
		return client, &federation.Refusal{Public: "this token was used already: get a fresh one from its issuer", Reason: "replay of jti " + acc.Claims.ID}
	}
	return client, err
}

const errRuleGone = "no trust rule of this client accepts this token's issuer, subject and signature"

// peekIssuerSubject reads iss and sub of a JWS compact JWT without
// verifying it, to route it; it never decides trust.
func peekIssuerSubject(token string) (iss, sub string, ok bool) {
	_, rest, found := strings.Cut(token, ".")
	payload, _, found2 := strings.Cut(rest, ".")
	if !found || !found2 {
		return "", "", false
	}
	var c struct {
		Issuer  string `json:"iss"`
		Subject string `json:"sub"`
	}
	if !decodeSegment(payload, &c) {
		return "", "", false
	}
	return c.Issuer, c.Subject, true
}
