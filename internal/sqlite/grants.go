package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mintauth/mint/internal/mint"
)

const selectGrant = `SELECT id, client_id, audience, scopes, created_at, updated_at FROM grants`

func scanGrant(row rowScanner) (mint.Grant, error) {
	var (
		g                    mint.Grant
		scopes               string
		createdAt, updatedAt int64
	)
	if err := row.Scan(&g.ID, &g.ClientID, &g.Audience, &scopes, &createdAt, &updatedAt); err != nil {
		return mint.Grant{}, err
	}
	var err error
	if g.Scopes, err = decodeScopes(scopes); err != nil {
		return mint.Grant{}, err
	}
	g.CreatedAt, g.UpdatedAt = fromMillis(createdAt), fromMillis(updatedAt)
	return g, nil
}

// CreateGrant stores a new grant. ErrNotFound: the client or the API (by
// audience) does not exist. ErrConflict: the ID is taken or the client
// already has a grant for that audience.
func (s *Store) CreateGrant(ctx context.Context, g mint.Grant) error {
	ctx, published := s.changing(ctx, tableGrants, g.ClientID)
	defer published()
	scopes, err := encodeScopes(g.Scopes)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Check the parents by name rather than reading the foreign-key
		// failure, which does not say which one is missing.
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE id = ?`, g.ClientID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("client %q: %w", g.ClientID, mint.ErrNotFound)
		}
		if err != nil {
			return failed("sqlite: create grant %q: %w", g.ID, err)
		}
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM apis WHERE audience = ?`, g.Audience).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("api with audience %q: %w", g.Audience, mint.ErrNotFound)
		}
		if err != nil {
			return failed("sqlite: create grant %q: %w", g.ID, err)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO grants (id, client_id, audience, scopes, created_at, updated_at)
			 VALUES (?, ?, ?, ?, ?, ?)`,
			g.ID, g.ClientID, g.Audience, scopes, millis(g.CreatedAt), millis(g.UpdatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("grant %q or grant of client %q for %q: %w", g.ID, g.ClientID, g.Audience, mint.ErrConflict)
		}
		if err != nil {
			return failed("sqlite: create grant %q: %w", g.ID, err)
		}
		return nil
	})
}

// GetGrant returns the grant with the given ID. ErrNotFound.
func (s *Store) GetGrant(ctx context.Context, id string) (mint.Grant, error) {
	g, err := one(s.read.QueryRowContext(ctx, selectGrant+` WHERE id = ?`, id), scanGrant, "get", fmt.Sprintf("grant %q", id))
	if err != nil {
		return mint.Grant{}, err
	}
	return g, nil
}

// FindGrant returns the client's grant for an audience. ErrNotFound.
func (s *Store) FindGrant(ctx context.Context, clientID, audience string) (mint.Grant, error) {
	g, err := scanGrant(s.read.QueryRowContext(ctx,
		selectGrant+` WHERE client_id = ? AND audience = ?`, clientID, audience))
	if errors.Is(err, sql.ErrNoRows) {
		return mint.Grant{}, fmt.Errorf("grant of client %q for %q: %w", clientID, audience, mint.ErrNotFound)
	}
	if err != nil {
		return mint.Grant{}, failed("sqlite: find grant of client %q for %q: %w", clientID, audience, err)
	}
	return g, nil
}

// ListGrants returns a client's grants, oldest first. It reads them through
// the (client_id, audience) index: it is on the token path.
func (s *Store) ListGrants(ctx context.Context, clientID string) ([]mint.Grant, error) {
	rows, err := s.read.QueryContext(ctx,
		selectGrant+` WHERE client_id = ? ORDER BY created_at, rowid`, clientID)
	if err != nil {
		return nil, failed("sqlite: list grants: %w", err)
	}
	defer rows.Close()
	var grants []mint.Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, failed("sqlite: list grants: %w", err)
		}
		grants = append(grants, g)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("sqlite: list grants: %w", err)
	}
	return grants, nil
}

// UpdateGrant applies update to the grant in one transaction. ErrNotFound.
// The ID, client, audience and creation time are kept whatever update
// returns.
func (s *Store) UpdateGrant(ctx context.Context, id string, update func(mint.Grant) (mint.Grant, error)) (mint.Grant, error) {
	ctx, keys, published := s.changingLater(ctx, tableGrants)
	defer published()
	var out mint.Grant
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, err := scanGrant(tx.QueryRowContext(ctx, selectGrant+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("grant %q: %w", id, mint.ErrNotFound)
		}
		if err != nil {
			return failed("sqlite: update grant %q: %w", id, err)
		}
		*keys = []string{old.ClientID} // a grant never changes client
		g, err := update(old)
		if err != nil {
			return err
		}
		scopes, err := encodeScopes(g.Scopes)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE grants SET scopes = ?, updated_at = ? WHERE id = ?`,
			scopes, millis(g.UpdatedAt), id)
		if err != nil {
			return failed("sqlite: update grant %q: %w", id, err)
		}
		out, err = scanGrant(tx.QueryRowContext(ctx, selectGrant+` WHERE id = ?`, id))
		if err != nil {
			return failed("sqlite: update grant %q: %w", id, err)
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
	ctx, keys, published := s.changingLater(ctx, tableGrants)
	defer published()
	notFound := fmt.Errorf("grant %q: %w", id, mint.ErrNotFound)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var clientID string
		err := tx.QueryRowContext(ctx, `DELETE FROM grants WHERE id = ? RETURNING client_id`, id).Scan(&clientID)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound
		}
		if err == nil {
			*keys = []string{clientID}
		}
		return err
	})
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("sqlite: delete grant %q: %w", id, err)
	}
	return err
}
