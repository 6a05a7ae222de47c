package cli

import (
	"context"
	"fmt"
	"strings"
)

func tokenCmd(c *call) runFunc {
	var (
		req      tokenRequest
		scopes   scopeFlags
		tokenURL string
	)
	c.fs.StringVar(&req.Audience, "audience", "", "the `audience` of the API the token is for")
	c.completeFlag("audience", audiences)
	scopes.register(c.fs, "the scopes to ask for (default: all granted)")
	c.fs.StringVar(&tokenURL, "token-url", "", "token endpoint `URL` (default <server>/oauth/token)")
	return func(ctx context.Context, _ []string) error {
		return getToken(ctx, c, req, scopes.list(), tokenURL)
	}
}

func getToken(ctx context.Context, c *call, req tokenRequest, scopes []string, tokenURL string) error {
	if err := c.opts.needCredentials(); err != nil {
		return err
	}
	if tokenURL == "" {
		tokenURL = c.opts.server + "/oauth/token"
	}
	req.ClientID, req.ClientSecret = c.opts.clientID, c.opts.clientSecret
	req.Scope = strings.Join(scopes, " ")
	answer, token, err := fetchToken(ctx, c.http, tokenURL, req)
	if err != nil {
		return err
	}
	if c.opts.json {
		return writeJSON(c.stdout, answer)
	}
	_, err = fmt.Fprintln(c.stdout, token)
	return err
}
