package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

const grantColumns = `id, client_id, audience, scopes, created_at, updated_at`

const selectGrant = `SELECT ` + grantColumns + ` FROM grants`

func scanGrant(row pgx.Row) (mint.Grant, error) {
	var g mint.Grant
	if err := row.Scan(&g.ID, &g.ClientID, &g.Audience, &g.Scopes, &g.CreatedAt, &g.UpdatedAt); err != nil {
		return mint.Grant{}, err
	}
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return g, nil
}

// CreateGrant stores a new grant. ErrNotFound: the client or the API (by
// audience) does not exist. ErrConflict: the ID is taken or the client
// already has a grant for that audience.
func (s *Store) CreateGrant(ctx context.Context, g mint.Grant) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// Check the parents by name, rather than reading the foreign-key
		// failure, which does not say which one is missing. KEY SHARE keeps
		// them until we commit.
		if err := mustExist(ctx, tx, fmt.Errorf("client %q: %w", g.ClientID, mint.ErrNotFound),
			`SELECT 1 FROM clients WHERE id = $1 FOR KEY SHARE`, g.ClientID); err != nil {
			return err
		}
		if err := mustExist(ctx, tx, fmt.Errorf("api with audience %q: %w", g.Audience, mint.ErrNotFound),
			`SELECT 1 FROM apis WHERE audience = $1 FOR KEY SHARE`, g.Audience); err != nil {
			return err
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO grants (id, client_id, audience, scopes, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6)`,
			g.ID, g.ClientID, g.Audience, scopesArg(g.Scopes), millis(g.CreatedAt), millis(g.UpdatedAt))
		switch {
		case hasCode(err, uniqueViolation):
			return fmt.Errorf("grant %q or grant of client %q for %q: %w", g.ID, g.ClientID, g.Audience, mint.ErrConflict)
		case hasCode(err, foreignKeyViolation):
			return fmt.Errorf("client %q or api with audience %q: %w", g.ClientID, g.Audience, mint.ErrNotFound)
		case err != nil:
			return failed("postgres: create grant %q: %w", g.ID, err)
		}
		return nil
	})
}

// mustExist returns notFound unless query, run in tx, returns a row.
func mustExist(ctx context.Context, tx pgx.Tx, notFound error, query string, args ...any) error {
	found, err := exists(ctx, tx, query, args...)
	if err != nil {
		return failed("postgres: %w", err)
	}
	if !found {
		return notFound
	}
	return nil
}

// GetGrant returns the grant with the given ID. ErrNotFound.
func (s *Store) GetGrant(ctx context.Context, id string) (mint.Grant, error) {
	g, err := one(s.pool.QueryRow(ctx, selectGrant+` WHERE id = $1`, id), scanGrant, "get", fmt.Sprintf("grant %q", id))
	if err != nil {
		return mint.Grant{}, err
	}
	return g, nil
}

// FindGrant returns the client's grant for an audience. ErrNotFound.
func (s *Store) FindGrant(ctx context.Context, clientID, audience string) (mint.Grant, error) {
	g, err := scanGrant(s.pool.QueryRow(ctx,
		selectGrant+` WHERE client_id = $1 AND audience = $2`, clientID, audience))
	if errors.Is(err, pgx.ErrNoRows) {
		return mint.Grant{}, fmt.Errorf("grant of client %q for %q: %w", clientID, audience, mint.ErrNotFound)
	}
	if err != nil {
		return mint.Grant{}, failed("postgres: find grant of client %q for %q: %w", clientID, audience, err)
	}
	return g, nil
}

// ListGrants returns a client's grants, oldest first. It reads them through
// the (client_id, audience) index: it is on the token path.
func (s *Store) ListGrants(ctx context.Context, clientID string) ([]mint.Grant, error) {
	grants, err := list(ctx, s.pool, scanGrant,
		selectGrant+` WHERE client_id = $1 ORDER BY created_at, seq`, clientID)
	if err != nil {
		return nil, failed("postgres: list grants: %w", err)
	}
	return grants, nil
}

// UpdateGrant applies update to the grant in one transaction, holding the
// row lock. ErrNotFound. The ID, client, audience and creation time are
// kept whatever update returns.
func (s *Store) UpdateGrant(ctx context.Context, id string, update func(mint.Grant) (mint.Grant, error)) (mint.Grant, error) {
	var out mint.Grant
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanGrant(tx.QueryRow(ctx, selectGrant+` WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("grant %q: %w", id, mint.ErrNotFound)
		}
		if err != nil {
			return failed("postgres: update grant %q: %w", id, err)
		}
		g, err := update(old)
		if err != nil {
			return err
		}
		out, err = scanGrant(tx.QueryRow(ctx,
			`UPDATE grants SET scopes = $1, updated_at = $2 WHERE id = $3 RETURNING `+grantColumns,
			scopesArg(g.Scopes), millis(g.UpdatedAt), id))
		if err != nil {
			return failed("postgres: update grant %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return mint.Grant{}, err
	}
	return out, nil
}

// DeleteGrant deletes one grant. ErrNotFound.
func (s *Store) DeleteGrant(ctx context.Context, id string) error {
	notFound := fmt.Errorf("grant %q: %w", id, mint.ErrNotFound)
	err := s.execOneInTx(ctx, notFound, `DELETE FROM grants WHERE id = $1`, id)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("postgres: delete grant %q: %w", id, err)
	}
	return err
}
