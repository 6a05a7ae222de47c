package token

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// setAudience takes the API asked for from "audience" (Auth0's name) or
// "resource" (RFC 8707). A resource must be an absolute URI without a
// fragment (RFC 8707 §2); an audience may be any string, as Auth0 allows.
func (req *Request) setAudience(p params) error {
	audience, resource := p[paramAudience], p[paramResource]
	if resource != "" && !absoluteURI(resource) {
		return oauth.ErrInvalidTarget.WithField(paramResource).Describe(
			"resource must be an absolute URI without a fragment (RFC 8707); use audience for other identifiers")
	}
	switch {
	case audience != "" && resource != "" && audience != resource:
		return oauth.ErrInvalidRequest.WithField(paramResource).Describe(
			"audience and resource name different APIs; send one of them")
	case audience != "":
		req.Audience, req.AudienceParam = audience, paramAudience
	case resource != "":
		req.Audience, req.AudienceParam = resource, paramResource
	default:
		req.AudienceParam = paramAudience
	}
	return nil
}

func absoluteURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && !strings.Contains(s, "#")
}

// errNoTarget is the answer both for an API that does not exist and for one
// the client has no grant for, so that clients cannot probe which APIs exist.
func errNoTarget(field string) error {
	return oauth.ErrInvalidTarget.WithField(field).Describe("this client may not get tokens for the requested audience")
}

// resolveAudience finds the API the token is for and the client's grant on
// it. When the request names no API, the client's only grant is used, or
// else the endpoint's DefaultAudience.
func (e *Endpoint) resolveAudience(ctx context.Context, req *Request) (mint.Grant, mint.API, error) {
	audience, err := e.audienceFor(ctx, req)
	if err != nil {
		return mint.Grant{}, mint.API{}, err
	}
	grant, err := e.Store.FindGrant(ctx, req.ClientID, audience)
	if err != nil {
		return mint.Grant{}, mint.API{}, notFoundAs(err, errNoTarget(req.AudienceParam))
	}
	api, err := e.Store.GetAPIByAudience(ctx, audience)
	if err != nil {
		return mint.Grant{}, mint.API{}, notFoundAs(err, errNoTarget(req.AudienceParam))
	}
	return grant, api, nil
}

func (e *Endpoint) audienceFor(ctx context.Context, req *Request) (string, error) {
	if req.Audience != "" {
		return req.Audience, nil
	}
	grants, err := e.Store.ListGrants(ctx, req.ClientID)
	if err != nil {
		return "", oauth.ErrServer.WithCause(err)
	}
	switch {
	case len(grants) == 1:
		return grants[0].Audience, nil
	case e.DefaultAudience != "":
		return e.DefaultAudience, nil
	}
	return "", oauth.ErrInvalidRequest.WithField(paramAudience).Describe(
		"audience is required: name the API the token is for")
}

// notFoundAs returns notFound for mint.ErrNotFound and a server error
// carrying err for anything else.
func notFoundAs(err, notFound error) error {
	if errors.Is(err, mint.ErrNotFound) {
		return notFound
	}
	return oauth.ErrServer.WithCause(err)
}
