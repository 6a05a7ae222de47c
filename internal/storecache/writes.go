package storecache

import (
	"context"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// writes passes every call to the wrapped store, and invalidates what each
// write to what it caches may have changed, once it returns (whether or
// not it succeeded: a failed commit may still have committed). Changes
// made elsewhere reach the cache through the Notifier instead.
// RecordSecretUse, revocations and assertion ids change nothing the cache
// holds.
type writes struct {
	mint.Store
	cache *Store
}

var _ mint.Store = writes{}

func (w writes) CreateAPI(ctx context.Context, api mint.API) error {
	defer w.cache.invalidate("apis")
	return w.Store.CreateAPI(ctx, api)
}

func (w writes) UpdateAPI(ctx context.Context, id string, update func(mint.API) (mint.API, error)) (mint.API, error) {
	defer w.cache.invalidate("apis:update")
	return w.Store.UpdateAPI(ctx, id, update)
}

func (w writes) DeleteAPI(ctx context.Context, id string) error {
	defer w.cache.invalidate("apis")
	return w.Store.DeleteAPI(ctx, id)
}

func (w writes) CreateClient(ctx context.Context, client mint.Client, secret mint.Secret) error {
	defer w.cache.invalidate("clients", client.ID)
	return w.Store.CreateClient(ctx, client, secret)
}

func (w writes) UpdateClient(ctx context.Context, id string, update func(mint.Client) (mint.Client, error)) (mint.Client, error) {
	defer w.cache.invalidate("clients:update", id)
	return w.Store.UpdateClient(ctx, id, update)
}

func (w writes) DeleteClient(ctx context.Context, id string) error {
	defer w.cache.invalidate("clients", id)
	return w.Store.DeleteClient(ctx, id)
}

func (w writes) RotateSecret(ctx context.Context, secret mint.Secret, oldExpiresAt time.Time) error {
	defer w.cache.invalidate("secrets", secret.ClientID)
	return w.Store.RotateSecret(ctx, secret, oldExpiresAt)
}

func (w writes) DeleteSecret(ctx context.Context, clientID, secretID string) error {
	defer w.cache.invalidate("secrets", clientID)
	return w.Store.DeleteSecret(ctx, clientID, secretID)
}

func (w writes) CreateGrant(ctx context.Context, grant mint.Grant) error {
	defer w.cache.invalidate("grants", grant.ClientID)
	return w.Store.CreateGrant(ctx, grant)
}

// UpdateGrant knows the grant's client from the answer; a failed update
// empties every client's grants.
func (w writes) UpdateGrant(ctx context.Context, id string, update func(mint.Grant) (mint.Grant, error)) (g mint.Grant, err error) {
	defer func() {
		if err != nil || g.ClientID == "" {
			w.cache.invalidate("grants")
			return
		}
		w.cache.invalidate("grants", g.ClientID)
	}()
	return w.Store.UpdateGrant(ctx, id, update)
}

// DeleteGrant is given the grant's ID only: it reads the grant first to
// know its client (a grant never changes client); if that read fails,
// every client's grants go.
func (w writes) DeleteGrant(ctx context.Context, id string) error {
	g, err := w.Store.GetGrant(ctx, id)
	defer func() {
		if err != nil || g.ClientID == "" {
			w.cache.invalidate("grants")
			return
		}
		w.cache.invalidate("grants", g.ClientID)
	}()
	return w.Store.DeleteGrant(ctx, id)
}

// Close stops the cache's watch and closes the wrapped store.
func (w writes) Close() error { return w.cache.Close() }
