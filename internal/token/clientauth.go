package token

import (
	"context"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/mint"
)

// authenticate checks the request's client credentials (package
// clientauth), sets req.ClientID to the client they prove and returns it.
func (e *Endpoint) authenticate(ctx context.Context, req *Request) (mint.Client, error) {
	client, err := e.authenticator().Authenticate(ctx, req.Credentials)
	if err != nil {
		return mint.Client{}, err
	}
	req.ClientID = client.ID
	return client, nil
}

// authenticator is Auth, or one built from the endpoint's own fields that
// records no secret use.
func (e *Endpoint) authenticator() *clientauth.Authenticator {
	if e.Auth != nil {
		return e.Auth
	}
	return &clientauth.Authenticator{Store: e.Store, Issuer: e.Issuer, Now: e.Now, Log: e.Log}
}
