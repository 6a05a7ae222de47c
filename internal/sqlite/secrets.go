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

// insertSecret adds secret inside tx. ErrConflict: the secret ID is taken.
// The digest never appears in an error.
func insertSecret(ctx context.Context, tx *sql.Tx, secret mint.Secret) error {
	digest := secret.Digest
	if digest == nil {
		digest = []byte{} // the column is NOT NULL; an empty digest is the caller's bug, not ours
	}
	_, err := tx.ExecContext(ctx,
		`INSERT INTO secrets (id, client_id, digest, created_at, expires_at, last_used_at)
		 VALUES (?, ?, ?, ?, ?, ?)`,
		secret.ID, secret.ClientID, digest, millis(secret.CreatedAt),
		nullMillis(secret.ExpiresAt), nullMillis(secret.LastUsedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("secret %q: %w", secret.ID, mint.ErrConflict)
	}
	if err != nil {
		return failed("sqlite: create secret %q of client %q: %w", secret.ID, secret.ClientID, err)
	}
	return nil
}

// ListSecrets returns every secret of a client, expired ones included,
// oldest first. ErrNotFound: no such client.
func (s *Store) ListSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	// One query answers both "does the client exist" and "which secrets":
	// a client without secrets is one row of NULL secret columns. An
	// unknown client is one row too, of NULLs, so that it costs what a
	// known one costs to read (issue 13: its time must not say which
	// client ids exist).
	rows, err := s.read.QueryContext(ctx,
		`SELECT c.id IS NOT NULL, s.id, s.digest, s.created_at, s.expires_at, s.last_used_at
		   FROM (SELECT ? AS want) w
		   LEFT JOIN clients c ON c.id = w.want
		   LEFT JOIN secrets s ON s.client_id = c.id
		  ORDER BY s.created_at, s.rowid`, clientID)
	if err != nil {
		return nil, failed("sqlite: list secrets of client %q: %w", clientID, err)
	}
	defer rows.Close()
	var (
		secrets []mint.Secret
		client  bool
	)
	for rows.Next() {
		var (
			found                 bool
			id                    sql.NullString
			digest                []byte
			createdAt             sql.NullInt64
			expiresAt, lastUsedAt sql.NullInt64
		)
		if err := rows.Scan(&found, &id, &digest, &createdAt, &expiresAt, &lastUsedAt); err != nil {
			return nil, failed("sqlite: list secrets of client %q: %w", clientID, err)
		}
		client = client || found
		if !id.Valid {
			continue // the client has no secret
		}
		secrets = append(secrets, mint.Secret{
			ID:         id.String,
			ClientID:   clientID,
			Digest:     digest,
			CreatedAt:  fromNullMillis(createdAt),
			ExpiresAt:  fromNullMillis(expiresAt),
			LastUsedAt: fromNullMillis(lastUsedAt),
		})
	}
	if err := rows.Err(); err != nil {
		return nil, failed("sqlite: list secrets of client %q: %w", clientID, err)
	}
	if !client {
		return nil, fmt.Errorf("client %q: %w", clientID, mint.ErrNotFound)
	}
	return secrets, nil
}

// ListSecretsOf returns the secrets of each client named, in one query
// through the secrets_client_id index, as ListSecrets orders them. The IDs
// go as one JSON array, whatever their number.
func (s *Store) ListSecretsOf(ctx context.Context, clientIDs []string) (map[string][]mint.Secret, error) {
	out := make(map[string][]mint.Secret, len(clientIDs))
	if len(clientIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(clientIDs)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx,
		`SELECT client_id, id, digest, created_at, expires_at, last_used_at FROM secrets
		  WHERE client_id IN (SELECT value FROM json_each(?))
		  ORDER BY client_id, created_at, rowid`, string(ids))
	if err != nil {
		return nil, failed("sqlite: list secrets of %d clients: %w", len(clientIDs), err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sec                   mint.Secret
			createdAt             int64
			expiresAt, lastUsedAt sql.NullInt64
		)
		if err := rows.Scan(&sec.ClientID, &sec.ID, &sec.Digest, &createdAt, &expiresAt, &lastUsedAt); err != nil {
			return nil, failed("sqlite: list secrets of %d clients: %w", len(clientIDs), err)
		}
		sec.CreatedAt = fromMillis(createdAt)
		sec.ExpiresAt, sec.LastUsedAt = fromNullMillis(expiresAt), fromNullMillis(lastUsedAt)
		out[sec.ClientID] = append(out[sec.ClientID], sec)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("sqlite: list secrets of %d clients: %w", len(clientIDs), err)
	}
	return out, nil
}

// RotateSecret adds secret to its client and makes every other secret of
// that client expire at oldExpiresAt at the latest, in one transaction. A
// zero oldExpiresAt means "never", so it leaves the other secrets as they
// are. ErrNotFound: no such client.
func (s *Store) RotateSecret(ctx context.Context, secret mint.Secret, oldExpiresAt time.Time) error {
	defer s.changes.publish(tableSecrets, secret.ClientID)
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM clients WHERE id = ?`, secret.ClientID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("client %q: %w", secret.ClientID, mint.ErrNotFound)
		}
		if err != nil {
			return failed("sqlite: rotate secret of client %q: %w", secret.ClientID, err)
		}
		if err := insertSecret(ctx, tx, secret); err != nil {
			return err
		}
		if oldExpiresAt.IsZero() {
			return nil
		}
		latest := millis(oldExpiresAt)
		_, err = tx.ExecContext(ctx,
			`UPDATE secrets SET expires_at = ?
			  WHERE client_id = ? AND id <> ? AND (expires_at IS NULL OR expires_at > ?)`,
			latest, secret.ClientID, secret.ID, latest)
		if err != nil {
			return failed("sqlite: rotate secret of client %q: %w", secret.ClientID, err)
		}
		return nil
	})
}

// DeleteSecret removes one secret of a client. ErrNotFound: the client has
// no secret with that ID.
func (s *Store) DeleteSecret(ctx context.Context, clientID, secretID string) error {
	defer s.changes.publish(tableSecrets, clientID)
	notFound := fmt.Errorf("secret %q of client %q: %w", secretID, clientID, mint.ErrNotFound)
	err := s.execOneInTx(ctx, notFound,
		`DELETE FROM secrets WHERE client_id = ? AND id = ?`, clientID, secretID)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("sqlite: delete secret %q of client %q: %w", secretID, clientID, err)
	}
	return err
}

// RecordSecretUse moves the LastUsedAt of each secret named to the time
// given, unless it is already later, in one transaction. Unknown IDs and
// zero times are ignored.
func (s *Store) RecordSecretUse(ctx context.Context, uses map[string]time.Time) error {
	if len(uses) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx,
			`UPDATE secrets SET last_used_at = ?1
			  WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?1)`)
		if err != nil {
			return failed("sqlite: record secret use: %w", err)
		}
		defer stmt.Close()
		for id, t := range uses {
			if t.IsZero() {
				continue
			}
			if _, err := stmt.ExecContext(ctx, millis(t), id); err != nil {
				return failed("sqlite: record use of secret %q: %w", id, err)
			}
		}
		return nil
	})
}
