package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// adminAudience is the audience of mint's admin API (mint.AdminAudience;
// repeated here so that this package needs only HTTP).
const adminAudience = "urn:mint:admin"

// SetupConfig is what Setup needs: a mint and admin credentials for it.
type SetupConfig struct {
	Server       string // base URL, e.g. http://127.0.0.1:8080
	ClientID     string // an admin client, with apis:write, clients:write, grants:write
	ClientSecret string
	// Alg, when set, is sent as the new API's signing_alg.
	Alg string
}

// Target is what Setup registered: a client with a grant on a new API.
type Target struct {
	ClientID     string
	ClientSecret string
	Audience     string
	apiID        string
	admin        *adminClient
}

// Setup registers, through the admin API, an API with a unique audience, a
// client and a grant of that client on the API, for a benchmark to use.
func Setup(ctx context.Context, cfg SetupConfig) (*Target, error) {
	a := &adminClient{server: cfg.Server, http: &http.Client{Timeout: 30 * time.Second}}
	if err := a.login(ctx, cfg.ClientID, cfg.ClientSecret); err != nil {
		return nil, err
	}
	tag := rand.Text()[:12]
	api := map[string]any{"name": "mint bench " + tag, "audience": "https://bench.invalid/" + tag, "scopes": []string{}}
	if cfg.Alg != "" {
		api["signing_alg"] = cfg.Alg
	}
	var created struct{ ID, Audience string }
	if err := a.do(ctx, http.MethodPost, "/apis", api, &created); err != nil {
		return nil, fmt.Errorf("creating the API: %w", err)
	}
	t := &Target{Audience: created.Audience, apiID: created.ID, admin: a}
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := a.do(ctx, http.MethodPost, "/clients", map[string]any{"name": "mint bench " + tag}, &client); err != nil {
		return nil, firstError(fmt.Errorf("creating the client: %w", err), t.Remove(ctx))
	}
	t.ClientID, t.ClientSecret = client.ClientID, client.ClientSecret
	grant := map[string]any{"client_id": t.ClientID, "audience": t.Audience, "scopes": []string{}}
	if err := a.do(ctx, http.MethodPost, "/grants", grant, nil); err != nil {
		return nil, firstError(fmt.Errorf("creating the grant: %w", err), t.Remove(ctx))
	}
	return t, nil
}

// Remove deletes the client and the API (and so the grant) Setup made.
func (t *Target) Remove(ctx context.Context) error {
	var err error
	if t.ClientID != "" {
		err = t.admin.do(ctx, http.MethodDelete, "/clients/"+url.PathEscape(t.ClientID), nil, nil)
	}
	if t.apiID != "" {
		err = firstError(err, t.admin.do(ctx, http.MethodDelete, "/apis/"+url.PathEscape(t.apiID), nil, nil))
	}
	return err
}

// adminClient calls mint's admin API with a bearer token.
type adminClient struct {
	server string
	http   *http.Client
	token  string
}

func (a *adminClient) login(ctx context.Context, id, secret string) error {
	ans, err := Fetch(ctx, Config{URL: a.server + "/oauth/token", ClientID: id, ClientSecret: secret, Audience: adminAudience})
	if err != nil {
		return fmt.Errorf("getting an admin token: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(ans.Body, &tok); err != nil {
		return fmt.Errorf("getting an admin token: %w", err)
	}
	a.token = tok.AccessToken
	return nil
}

// do calls the admin API at path under /admin/v1 with in as the JSON body
// (none when nil) and decodes a 2xx answer into out (when not nil).
func (a *adminClient) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.server+"/admin/v1"+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, clip(raw))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
