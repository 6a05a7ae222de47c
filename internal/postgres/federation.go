package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

var _ mint.FederatedStore = (*Store)(nil)

const selectFederated = `SELECT id, client_id, issuer, subject, audience, claims, max_age_ms,
	jwks_uri, bundle, created_at FROM federated_credentials`

func scanFederated(row pgx.Row) (mint.FederatedCredential, error) {
	var (
		fc     mint.FederatedCredential
		maxAge int64
	)
	err := row.Scan(&fc.ID, &fc.ClientID, &fc.Issuer, &fc.Subject, &fc.Audience, &fc.Claims, &maxAge, &fc.JWKSURI, &fc.Bundle, &fc.CreatedAt)
	if err != nil {
		return mint.FederatedCredential{}, err
	}
	if len(fc.Claims) == 0 {
		fc.Claims = nil
	}
	fc.MaxAge = time.Duration(maxAge) * time.Millisecond
	fc.CreatedAt = fc.CreatedAt.UTC()
	return fc, nil
}

// claimsArg writes nil as {}: the column is NOT NULL.
func claimsArg(claims map[string]string) map[string]string {
	if claims == nil {
		return map[string]string{}
	}
	return claims
}

// CreateFederatedCredential stores a new rule. The client's row is locked
// (FOR NO KEY UPDATE) while its rules are counted, so that racing
// creations cannot pass the bound together.
func (s *Store) CreateFederatedCredential(ctx context.Context, fc mint.FederatedCredential) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := mustExist(ctx, tx, fmt.Errorf("client %q: %w", fc.ClientID, mint.ErrNotFound),
			`SELECT 1 FROM clients WHERE id = $1 FOR NO KEY UPDATE`, fc.ClientID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM federated_credentials WHERE client_id = $1`, fc.ClientID).Scan(&n); err != nil {
			return failed("postgres: create federated credential %q: %w", fc.ID, err)
		}
		if n >= mint.MaxFederatedCredentials {
			return fmt.Errorf("client %q holds %d federated credentials: %w", fc.ClientID, n, mint.ErrConflict)
		}
		_, err := tx.Exec(ctx,
			`INSERT INTO federated_credentials (id, client_id, issuer, subject, audience, claims, max_age_ms, jwks_uri, bundle, created_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			fc.ID, fc.ClientID, fc.Issuer, fc.Subject, fc.Audience, claimsArg(fc.Claims), fc.MaxAge.Milliseconds(), fc.JWKSURI, fc.Bundle, millis(fc.CreatedAt))
		switch {
		case hasCode(err, uniqueViolation):
			return fmt.Errorf("federated credential %q: %w", fc.ID, mint.ErrConflict)
		case hasCode(err, foreignKeyViolation):
			return fmt.Errorf("client %q: %w", fc.ClientID, mint.ErrNotFound)
		case err != nil:
			return failed("postgres: create federated credential %q: %w", fc.ID, err)
		}
		return nil
	})
}

// GetFederatedCredential returns one rule of a client. ErrNotFound.
func (s *Store) GetFederatedCredential(ctx context.Context, clientID, id string) (mint.FederatedCredential, error) {
	return one(s.pool.QueryRow(ctx, selectFederated+` WHERE id = $1 AND client_id = $2`, id, clientID),
		scanFederated, "get", fmt.Sprintf("federated credential %q of client %q", id, clientID))
}

// ListFederatedCredentials returns a client's rules, oldest first, read in
// one snapshot with the client's existence. ErrNotFound.
func (s *Store) ListFederatedCredentials(ctx context.Context, clientID string) ([]mint.FederatedCredential, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, failed("postgres: list federated credentials: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	found, err := exists(ctx, tx, `SELECT 1 FROM clients WHERE id = $1`, clientID)
	if err != nil {
		return nil, failed("postgres: list federated credentials: %w", err)
	}
	if !found {
		return nil, fmt.Errorf("client %q: %w", clientID, mint.ErrNotFound)
	}
	out, err := list(ctx, tx, scanFederated, selectFederated+` WHERE client_id = $1 ORDER BY created_at, seq LIMIT $2`,
		clientID, mint.MaxFederatedCredentials)
	if err != nil {
		return nil, failed("postgres: list federated credentials: %w", err)
	}
	return out, nil
}

// FindFederatedCredentials reads the (issuer, subject) index.
func (s *Store) FindFederatedCredentials(ctx context.Context, issuer, subject string) ([]mint.FederatedCredential, error) {
	out, err := list(ctx, s.pool, scanFederated, selectFederated+` WHERE issuer = $1 AND subject = $2 ORDER BY created_at, seq LIMIT $3`,
		issuer, subject, mint.MaxFederatedMatches)
	if err != nil {
		return nil, failed("postgres: find federated credentials: %w", err)
	}
	return out, nil
}

// DeleteFederatedCredential removes one rule of a client. ErrNotFound.
func (s *Store) DeleteFederatedCredential(ctx context.Context, clientID, id string) error {
	notFound := fmt.Errorf("federated credential %q of client %q: %w", id, clientID, mint.ErrNotFound)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return execOne(ctx, tx, notFound, `DELETE FROM federated_credentials WHERE id = $1 AND client_id = $2`, id, clientID)
	})
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("postgres: delete federated credential %q: %w", id, err)
	}
	return err
}
