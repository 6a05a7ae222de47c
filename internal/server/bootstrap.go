package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
)

// adminTokenLifetime is short: admin tokens carry the power to mint
// credentials, and the CLI fetches a new one per command anyway.
const adminTokenLifetime = time.Hour

// minBootstrapSecret keeps operator-chosen bootstrap secrets out of
// guessing range; mint's own secrets are 48 characters.
const minBootstrapSecret = 32

// Credentials are a client's id and secret in the clear, shown once.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// bootstrap makes sure the admin API exists and an admin client can reach
// it. With configured credentials that client is created or repaired; on a
// new database without them, one is created and returned so it can be
// shown once. Every step tolerates a replica doing the same at once.
func (s *Server) bootstrap(ctx context.Context) (*Credentials, error) {
	fresh, err := s.ensureAdminAPI(ctx)
	if err != nil {
		return nil, err
	}
	creds := Credentials{ClientID: s.cfg.BootstrapClientID, ClientSecret: s.cfg.BootstrapClientSecret}
	switch {
	case creds.ClientID != "":
		if len(creds.ClientSecret) < minBootstrapSecret {
			return nil, fmt.Errorf("MINT_BOOTSTRAP_CLIENT_SECRET must be at least %d characters", minBootstrapSecret)
		}
		if len(creds.ClientID) > clientauth.MaxClientIDBytes {
			return nil, fmt.Errorf("MINT_BOOTSTRAP_CLIENT_ID must be at most %d bytes: the token endpoint refuses longer client_ids", clientauth.MaxClientIDBytes)
		}
		return nil, s.ensureAdminClient(ctx, creds)
	case fresh:
		creds.ClientID = mint.NewClientID()
		creds.ClientSecret, _ = secret.New()
		return &creds, s.ensureAdminClient(ctx, creds)
	}
	return nil, nil
}

// ensureAdminAPI creates the admin API, or gives it scopes added since it
// was created. fresh reports that this call created it.
func (s *Server) ensureAdminAPI(ctx context.Context) (fresh bool, err error) {
	api, err := s.store.GetAPIByAudience(ctx, mint.AdminAudience)
	if errors.Is(err, mint.ErrNotFound) {
		now := s.now().UTC()
		err = s.store.CreateAPI(ctx, mint.API{
			ID: mint.NewID("api"), Name: "mint admin API", Audience: mint.AdminAudience,
			Scopes: mint.AdminScopes, TokenLifetime: adminTokenLifetime, CreatedAt: now, UpdatedAt: now,
		})
		if errors.Is(err, mint.ErrConflict) {
			return false, nil // another replica won the race
		}
		return err == nil, err
	}
	if err != nil || mint.HasAllScopes(api.Scopes, mint.AdminScopes) {
		return false, err
	}
	_, err = s.store.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) {
		a.Scopes = mint.UnionScopes(a.Scopes, mint.AdminScopes)
		a.UpdatedAt = s.now().UTC()
		return a, nil
	})
	return false, err
}

// ensureAdminClient makes creds a working admin client: it exists, its only
// live secret is creds' (a changed bootstrap secret replaces the old one at
// once and revokes the tokens issued before), and it holds every admin scope.
func (s *Server) ensureAdminClient(ctx context.Context, creds Credentials) error {
	now := s.now().UTC()
	sec := mint.Secret{ID: mint.NewID("sec"), ClientID: creds.ClientID, Digest: secret.Digest(creds.ClientSecret), CreatedAt: now}
	err := s.store.CreateClient(ctx, mint.Client{ID: creds.ClientID, Name: "mint admin", CreatedAt: now, UpdatedAt: now}, sec)
	if errors.Is(err, mint.ErrConflict) {
		err = s.ensureSecret(ctx, sec)
	}
	if err != nil {
		return fmt.Errorf("bootstrap client: %w", err)
	}
	return s.ensureAdminGrant(ctx, creds.ClientID)
}

func (s *Server) ensureSecret(ctx context.Context, sec mint.Secret) error {
	secrets, err := s.store.ListSecrets(ctx, sec.ClientID)
	if err != nil {
		return err
	}
	for _, old := range secrets {
		if old.Live(sec.CreatedAt) && slices.Equal(old.Digest, sec.Digest) {
			return nil
		}
	}
	if err := s.store.RotateSecret(ctx, sec, sec.CreatedAt); err != nil {
		return err
	}
	return s.revokeEarlierTokens(ctx, sec.ClientID, sec.CreatedAt)
}

// revokeEarlierTokens ends the tokens issued to the bootstrap client before
// its secret was replaced: an operator changes that secret because the old
// one leaked, and the admin tokens fetched with it must die with it.
func (s *Server) revokeEarlierTokens(ctx context.Context, clientID string, now time.Time) error {
	_, err := s.store.UpdateClient(ctx, clientID, func(c mint.Client) (mint.Client, error) {
		if c.TokensRevokedBefore.Before(now) {
			c.TokensRevokedBefore, c.UpdatedAt = now, now
		}
		return c, nil
	})
	return err
}

func (s *Server) ensureAdminGrant(ctx context.Context, clientID string) error {
	g, err := s.store.FindGrant(ctx, clientID, mint.AdminAudience)
	if errors.Is(err, mint.ErrNotFound) {
		now := s.now().UTC()
		err = s.store.CreateGrant(ctx, mint.Grant{
			ID: mint.NewID("grant"), ClientID: clientID, Audience: mint.AdminAudience,
			Scopes: mint.AdminScopes, CreatedAt: now, UpdatedAt: now,
		})
		if errors.Is(err, mint.ErrConflict) {
			return nil
		}
		return err
	}
	if err != nil || mint.HasAllScopes(g.Scopes, mint.AdminScopes) {
		return err
	}
	_, err = s.store.UpdateGrant(ctx, g.ID, func(g mint.Grant) (mint.Grant, error) {
		g.Scopes = mint.UnionScopes(g.Scopes, mint.AdminScopes)
		g.UpdatedAt = s.now().UTC()
		return g, nil
	})
	return err
}
