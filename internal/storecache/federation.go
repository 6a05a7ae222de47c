package storecache

import (
	"context"
	"errors"
	"fmt"

	"github.com/mintauth/mint/internal/mint"
)

// FindFederatedCredentials answers from memory after the first read, as
// GetClient does; the answer is kept by issuer and subject and dropped
// whole when any rule changes (see invalidate). A rule of a deleted client
// may be kept until then when the deletion is heard only as the client's
// (SQLite does not report cascades): the token path checks the client,
// and a rule older than its client, before trusting a rule.
//
// Issuer and subject come from a token anyone can send, so an answer of
// no rules is kept as "not found", apart from the answers and bounded on
// its own (see table): a stranger naming random issuers pushes out only
// other strangers' names, never a partner's rules.
func (c *Store) FindFederatedCredentials(ctx context.Context, issuer, subject string) ([]mint.FederatedCredential, error) {
	var buf [192]byte
	key := appendPairKey(buf[:0], issuer, subject)
	rules, err := cached(ctx, c, c.federated, string(key), findFederated)
	if errors.Is(err, mint.ErrNotFound) {
		return nil, nil
	}
	return rules, err
}

func findFederated(ctx context.Context, s mint.Store, key string) ([]mint.FederatedCredential, error) {
	fs, err := federatedOf(s)
	if err != nil {
		return nil, err
	}
	rules, err := fs.FindFederatedCredentials(ctx, pairGroup(key), pairSecond(key))
	if err == nil && len(rules) == 0 {
		return nil, fmt.Errorf("federated credentials for %q: %w", pairSecond(key), mint.ErrNotFound)
	}
	return rules, err
}

func federatedOf(s mint.Store) (mint.FederatedStore, error) {
	fs, ok := s.(mint.FederatedStore)
	if !ok {
		return nil, fmt.Errorf("storecache: %T keeps no federated credentials", s)
	}
	return fs, nil
}

var (
	_ mint.FederatedStore = (*Store)(nil)
	_ mint.FederatedStore = writes{}
)

// The admin API's reads and writes pass through; writes drop the kind.

func (w writes) CreateFederatedCredential(ctx context.Context, fc mint.FederatedCredential) error {
	fs, err := federatedOf(w.Store)
	if err != nil {
		return err
	}
	defer w.cache.invalidate("federated_credentials", fc.ClientID)
	return fs.CreateFederatedCredential(ctx, fc)
}

func (w writes) DeleteFederatedCredential(ctx context.Context, clientID, id string) error {
	fs, err := federatedOf(w.Store)
	if err != nil {
		return err
	}
	defer w.cache.invalidate("federated_credentials", clientID)
	return fs.DeleteFederatedCredential(ctx, clientID, id)
}

func (w writes) GetFederatedCredential(ctx context.Context, clientID, id string) (mint.FederatedCredential, error) {
	fs, err := federatedOf(w.Store)
	if err != nil {
		return mint.FederatedCredential{}, err
	}
	return fs.GetFederatedCredential(ctx, clientID, id)
}

func (w writes) ListFederatedCredentials(ctx context.Context, clientID string) ([]mint.FederatedCredential, error) {
	fs, err := federatedOf(w.Store)
	if err != nil {
		return nil, err
	}
	return fs.ListFederatedCredentials(ctx, clientID)
}

// FindFederatedCredentials on Fresh reads the store.
func (w writes) FindFederatedCredentials(ctx context.Context, issuer, subject string) ([]mint.FederatedCredential, error) {
	fs, err := federatedOf(w.Store)
	if err != nil {
		return nil, err
	}
	return fs.FindFederatedCredentials(ctx, issuer, subject)
}
