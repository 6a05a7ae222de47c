package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// tableFederated: a client's federated credentials changed, keyed by the
// client.
const tableFederated = "federated_credentials"

var _ mint.FederatedStore = (*Store)(nil)

const selectFederated = `SELECT id, client_id, issuer, subject, audience, claims, max_age_ms,
	jwks_uri, bundle, created_at FROM federated_credentials`

func scanFederated(row rowScanner) (mint.FederatedCredential, error) {
	var (
		fc              mint.FederatedCredential
		claims          string
		maxAge, created int64
	)
	err := row.Scan(&fc.ID, &fc.ClientID, &fc.Issuer, &fc.Subject, &fc.Audience, &claims, &maxAge, &fc.JWKSURI, &fc.Bundle, &created)
	if err != nil {
		return mint.FederatedCredential{}, err
	}
	if fc.Claims, err = decodeClaims(claims); err != nil {
		return mint.FederatedCredential{}, err
	}
	fc.MaxAge = time.Duration(maxAge) * time.Millisecond
	fc.CreatedAt = fromMillis(created)
	return fc, nil
}

// encodeClaims writes nil as {} so that the column is always an object.
func encodeClaims(claims map[string]string) (string, error) {
	if claims == nil {
		return "{}", nil
	}
	b, err := json.Marshal(claims)
	return string(b), err
}

func decodeClaims(s string) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("claims column: %w", err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// CreateFederatedCredential stores a new rule, counting the client's rules
// in the same write transaction so that the bound holds against racing
// creations.
func (s *Store) CreateFederatedCredential(ctx context.Context, fc mint.FederatedCredential) error {
	ctx, published := s.changing(ctx, tableFederated, fc.ClientID)
	defer published()
	claims, err := encodeClaims(fc.Claims)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE id = ?`, fc.ClientID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("client %q: %w", fc.ClientID, mint.ErrNotFound)
		}
		if err != nil {
			return failed("sqlite: create federated credential %q: %w", fc.ID, err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM federated_credentials WHERE client_id = ?`, fc.ClientID).Scan(&n); err != nil {
			return failed("sqlite: create federated credential %q: %w", fc.ID, err)
		}
		if n >= mint.MaxFederatedCredentials {
			return fmt.Errorf("client %q holds %d federated credentials: %w", fc.ClientID, n, mint.ErrConflict)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO federated_credentials (id, client_id, issuer, subject, audience, claims, max_age_ms, jwks_uri, bundle, created_at)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			fc.ID, fc.ClientID, fc.Issuer, fc.Subject, fc.Audience, claims, fc.MaxAge.Milliseconds(), fc.JWKSURI, fc.Bundle, millis(fc.CreatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("federated credential %q: %w", fc.ID, mint.ErrConflict)
		}
		if err != nil {
			return failed("sqlite: create federated credential %q: %w", fc.ID, err)
		}
		return nil
	})
}

// GetFederatedCredential returns one rule of a client. ErrNotFound.
func (s *Store) GetFederatedCredential(ctx context.Context, clientID, id string) (mint.FederatedCredential, error) {
	return one(s.read.QueryRowContext(ctx, selectFederated+` WHERE id = ? AND client_id = ?`, id, clientID),
		scanFederated, "get", fmt.Sprintf("federated credential %q of client %q", id, clientID))
}

// ListFederatedCredentials returns a client's rules, oldest first, in one
// read transaction with the client's existence. ErrNotFound.
func (s *Store) ListFederatedCredentials(ctx context.Context, clientID string) ([]mint.FederatedCredential, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, failed("sqlite: list federated credentials: %w", err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE id = ?`, clientID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("client %q: %w", clientID, mint.ErrNotFound)
	}
	if err != nil {
		return nil, failed("sqlite: list federated credentials: %w", err)
	}
	return queryFederated(ctx, tx, selectFederated+` WHERE client_id = ? ORDER BY created_at, rowid LIMIT ?`,
		clientID, mint.MaxFederatedCredentials)
}

// FindFederatedCredentials reads the (issuer, subject) index.
func (s *Store) FindFederatedCredentials(ctx context.Context, issuer, subject string) ([]mint.FederatedCredential, error) {
	return queryFederated(ctx, s.read, selectFederated+` WHERE issuer = ? AND subject = ? ORDER BY created_at, rowid LIMIT ?`,
		issuer, subject, mint.MaxFederatedMatches)
}

func queryFederated(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]mint.FederatedCredential, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, failed("sqlite: list federated credentials: %w", err)
	}
	defer rows.Close()
	var out []mint.FederatedCredential
	for rows.Next() {
		fc, err := scanFederated(rows)
		if err != nil {
			return nil, failed("sqlite: list federated credentials: %w", err)
		}
		out = append(out, fc)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("sqlite: list federated credentials: %w", err)
	}
	return out, nil
}

// DeleteFederatedCredential removes one rule of a client. ErrNotFound.
func (s *Store) DeleteFederatedCredential(ctx context.Context, clientID, id string) error {
	ctx, published := s.changing(ctx, tableFederated, clientID)
	defer published()
	notFound := fmt.Errorf("federated credential %q of client %q: %w", id, clientID, mint.ErrNotFound)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, notFound, `DELETE FROM federated_credentials WHERE id = ? AND client_id = ?`, id, clientID)
	})
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("sqlite: delete federated credential %q: %w", id, err)
	}
	return err
}
