package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// MaxSetupClients bounds --setup --clients: each is three admin requests
// to make and one to delete; beyond this, create them with
// `mint import clients` and pass --clients-file.
const MaxSetupClients = 10_000

// ClientsTarget is what SetupClients registered: n clients, each with a
// grant on one new API.
type ClientsTarget struct {
	Clients []Credentials
	apiID   string
	admin   *adminClient
}

// SetupClients registers, through the admin API, an API with a unique
// audience and n clients with a grant on it. On an error it removes what
// it made.
func SetupClients(ctx context.Context, cfg SetupConfig, n int) (*ClientsTarget, error) {
	if n < 1 || n > MaxSetupClients {
		return nil, fmt.Errorf("--clients must be 1 to %d with --setup; import more with mint import clients", MaxSetupClients)
	}
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
	t := &ClientsTarget{apiID: created.ID, admin: a}
	for i := range n {
		var c struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := a.do(ctx, http.MethodPost, "/clients", map[string]any{"name": fmt.Sprintf("mint bench %s %d", tag, i)}, &c); err != nil {
			return nil, firstError(fmt.Errorf("creating client %d: %w", i+1, err), t.Remove(context.WithoutCancel(ctx)))
		}
		t.Clients = append(t.Clients, Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Audience: created.Audience})
		grant := map[string]any{"client_id": c.ClientID, "audience": created.Audience, "scopes": []string{}}
		if err := a.do(ctx, http.MethodPost, "/grants", grant, nil); err != nil {
			return nil, firstError(fmt.Errorf("creating grant %d: %w", i+1, err), t.Remove(context.WithoutCancel(ctx)))
		}
	}
	return t, nil
}

// Remove deletes the clients and the API (and so the grants) SetupClients
// made.
func (t *ClientsTarget) Remove(ctx context.Context) error {
	var err error
	for _, c := range t.Clients {
		err = firstError(err, t.admin.do(ctx, http.MethodDelete, "/clients/"+url.PathEscape(c.ClientID), nil, nil))
	}
	return firstError(err, t.admin.do(ctx, http.MethodDelete, "/apis/"+url.PathEscape(t.apiID), nil, nil))
}
