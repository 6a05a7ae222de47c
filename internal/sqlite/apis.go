package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

const selectAPI = `SELECT id, name, audience, scopes, token_lifetime_ns, signing_alg, audit_issuance, token_reuse, created_at, updated_at, policy, token_binding FROM apis`

func scanAPI(row rowScanner) (mint.API, error) {
	var (
		api                  mint.API
		scopes               string
		lifetime             int64
		createdAt, updatedAt int64
	)
	if err := row.Scan(&api.ID, &api.Name, &api.Audience, &scopes, &lifetime, &api.SigningAlg, &api.AuditIssuance, &api.TokenReuse, &createdAt, &updatedAt, &api.Policy, &api.TokenBinding); err != nil {
		return mint.API{}, err
	}
	var err error
	if api.Scopes, err = decodeScopes(scopes); err != nil {
		return mint.API{}, err
	}
	api.TokenLifetime = time.Duration(lifetime)
	api.CreatedAt, api.UpdatedAt = fromMillis(createdAt), fromMillis(updatedAt)
	return api, nil
}

// CreateAPI stores a new API. ErrConflict: the ID or audience is taken.
func (s *Store) CreateAPI(ctx context.Context, api mint.API) error {
	ctx, published := s.changing(ctx, tableAPIs)
	defer published()
	scopes, err := encodeScopes(api.Scopes)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO apis (id, name, audience, scopes, token_lifetime_ns, signing_alg, audit_issuance, token_reuse, created_at, updated_at,
			        token_binding)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			api.ID, api.Name, api.Audience, scopes, int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse,
			millis(api.CreatedAt), millis(api.UpdatedAt), api.TokenBinding)
		if err != nil {
			return err
		}
		return setAPIPolicy(ctx, tx, api, true)
	})
	if isUniqueViolation(err) {
		return fmt.Errorf("api %q or audience %q: %w", api.ID, api.Audience, mint.ErrConflict)
	}
	if err != nil {
		return failed("sqlite: create api %q: %w", api.ID, err)
	}
	return nil
}

// GetAPI returns the API with the given ID. ErrNotFound.
func (s *Store) GetAPI(ctx context.Context, id string) (mint.API, error) {
	api, err := one(s.read.QueryRowContext(ctx, selectAPI+` WHERE id = ?`, id), scanAPI, "get", fmt.Sprintf("api %q", id))
	if err != nil {
		return mint.API{}, err
	}
	return api, nil
}

// GetAPIByAudience returns the API named audience on the wire. ErrNotFound.
func (s *Store) GetAPIByAudience(ctx context.Context, audience string) (mint.API, error) {
	api, err := one(s.read.QueryRowContext(ctx, selectAPI+` WHERE audience = ?`, audience), scanAPI, "get", fmt.Sprintf("api with audience %q", audience))
	if err != nil {
		return mint.API{}, err
	}
	return api, nil
}

// ListAPIs returns every API, oldest first.
func (s *Store) ListAPIs(ctx context.Context) ([]mint.API, error) {
	rows, err := s.read.QueryContext(ctx, selectAPI+` ORDER BY created_at, rowid`)
	if err != nil {
		return nil, failed("sqlite: list apis: %w", err)
	}
	defer rows.Close()
	var apis []mint.API
	for rows.Next() {
		api, err := scanAPI(rows)
		if err != nil {
			return nil, failed("sqlite: list apis: %w", err)
		}
		apis = append(apis, api)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("sqlite: list apis: %w", err)
	}
	return apis, nil
}

// UpdateAPI applies update to the API in one transaction. ErrNotFound. The
// ID, audience and creation time are kept whatever update returns.
func (s *Store) UpdateAPI(ctx context.Context, id string, update func(mint.API) (mint.API, error)) (mint.API, error) {
	ctx, published := s.changing(ctx, tableAPIsUpdate)
	defer published()
	var out mint.API
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanAPI(tx.QueryRowContext(ctx, selectAPI+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("api %q: %w", id, mint.ErrNotFound)
		}
		if err != nil {
			return failed("sqlite: update api %q: %w", id, err)
		}
		api, err := update(old)
		if err != nil {
			return err
		}
		scopes, err := encodeScopes(api.Scopes)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx,
			`UPDATE apis SET name = ?, scopes = ?, token_lifetime_ns = ?, signing_alg = ?, audit_issuance = ?, token_reuse = ?, updated_at = ?,
			        token_binding = ?
			  WHERE id = ?`,
			api.Name, scopes, int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse, millis(api.UpdatedAt),
			api.TokenBinding, id)
		if err == nil {
			api.ID = id
			err = setAPIPolicy(ctx, tx, api, false)
		}
		if err != nil {
			return failed("sqlite: update api %q: %w", id, err)
		}
		out, err = scanAPI(tx.QueryRowContext(ctx, selectAPI+` WHERE id = ?`, id))
		if err != nil {
			return failed("sqlite: update api %q: %w", id, err)
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
	ctx, published := s.changing(ctx, tableAPIs)
	defer published()
	notFound := fmt.Errorf("api %q: %w", id, mint.ErrNotFound)
	err := s.execOneInTx(ctx, notFound, `DELETE FROM apis WHERE id = ?`, id)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("sqlite: delete api %q: %w", id, err)
	}
	return err
}
