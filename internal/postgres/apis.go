package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

const apiColumns = `id, name, audience, scopes, token_lifetime_ns, signing_alg, audit_issuance, token_reuse, created_at, updated_at, policy, token_binding`

const selectAPI = `SELECT ` + apiColumns + ` FROM apis`

func scanAPI(row pgx.Row) (mint.API, error) {
	var (
		api      mint.API
		lifetime int64
	)
	err := row.Scan(&api.ID, &api.Name, &api.Audience, &api.Scopes, &lifetime, &api.SigningAlg, &api.AuditIssuance, &api.TokenReuse,
		&api.CreatedAt, &api.UpdatedAt, &api.Policy, &api.TokenBinding)
	if err != nil {
		return mint.API{}, err
	}
	api.TokenLifetime = time.Duration(lifetime)
	api.CreatedAt, api.UpdatedAt = api.CreatedAt.UTC(), api.UpdatedAt.UTC()
	return api, nil
}

// CreateAPI stores a new API. ErrConflict: the ID or audience is taken.
func (s *Store) CreateAPI(ctx context.Context, api mint.API) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx,
			`INSERT INTO apis (id, name, audience, scopes, token_lifetime_ns, signing_alg, audit_issuance, token_reuse, created_at, updated_at,
			        token_binding)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			api.ID, api.Name, api.Audience, scopesArg(api.Scopes), int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse,
			millis(api.CreatedAt), millis(api.UpdatedAt), api.TokenBinding)
		if err != nil {
			return err
		}
		return setAPIPolicy(ctx, tx, api, true)
	})
	if hasCode(err, uniqueViolation) {
		return fmt.Errorf("api %q or audience %q: %w", api.ID, api.Audience, mint.ErrConflict)
	}
	if err != nil {
		return failed("postgres: create api %q: %w", api.ID, err)
	}
	return nil
}

// GetAPI returns the API with the given ID. ErrNotFound.
func (s *Store) GetAPI(ctx context.Context, id string) (mint.API, error) {
	api, err := one(s.pool.QueryRow(ctx, selectAPI+` WHERE id = $1`, id), scanAPI, "get", fmt.Sprintf("api %q", id))
	if err != nil {
		return mint.API{}, err
	}
	return api, nil
}

// GetAPIByAudience returns the API named audience on the wire. ErrNotFound.
func (s *Store) GetAPIByAudience(ctx context.Context, audience string) (mint.API, error) {
	api, err := one(s.pool.QueryRow(ctx, selectAPI+` WHERE audience = $1`, audience), scanAPI, "get", fmt.Sprintf("api with audience %q", audience))
	if err != nil {
		return mint.API{}, err
	}
	return api, nil
}

// ListAPIs returns every API, oldest first.
func (s *Store) ListAPIs(ctx context.Context) ([]mint.API, error) {
	apis, err := list(ctx, s.pool, scanAPI, selectAPI+` ORDER BY created_at, seq`)
	if err != nil {
		return nil, failed("postgres: list apis: %w", err)
	}
	return apis, nil
}

// UpdateAPI applies update to the API in one transaction, holding the row
// lock. ErrNotFound. The ID, audience and creation time are kept whatever
// update returns.
func (s *Store) UpdateAPI(ctx context.Context, id string, update func(mint.API) (mint.API, error)) (mint.API, error) {
	var out mint.API
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		old, err := scanAPI(tx.QueryRow(ctx, selectAPI+` WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("api %q: %w", id, mint.ErrNotFound)
		}
		if err != nil {
			return failed("postgres: update api %q: %w", id, err)
		}
		api, err := update(old)
		if err != nil {
			return err
		}
		api.ID = id
		if err := setAPIPolicy(ctx, tx, api, false); err != nil {
			return failed("postgres: update api %q: %w", id, err)
		}
		out, err = scanAPI(tx.QueryRow(ctx,
			`UPDATE apis SET name = $1, scopes = $2, token_lifetime_ns = $3, signing_alg = $4, audit_issuance = $5, token_reuse = $6,
			        updated_at = $7, token_binding = $9
			  WHERE id = $8 RETURNING `+apiColumns,
			api.Name, scopesArg(api.Scopes), int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse,
			millis(api.UpdatedAt), id, api.TokenBinding))
		if err != nil {
			return failed("postgres: update api %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return mint.API{}, err
	}
	return out, nil
}

// DeleteAPI deletes the API and, by cascade, every grant on it. ErrNotFound.
func (s *Store) DeleteAPI(ctx context.Context, id string) error {
	notFound := fmt.Errorf("api %q: %w", id, mint.ErrNotFound)
	err := s.execOneInTx(ctx, notFound, `DELETE FROM apis WHERE id = $1`, id)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("postgres: delete api %q: %w", id, err)
	}
	return err
}
