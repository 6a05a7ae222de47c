package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

// insertSecret adds secret inside tx. ErrConflict: the secret ID is taken.
// ErrNotFound: its client is gone. The digest never appears in an error.
func insertSecret(ctx context.Context, tx pgx.Tx, secret mint.Secret) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO secrets (id, client_id, digest, created_at, expires_at, last_used_at)
		 VALUES ($1, $2, $3, $4, $5, $6)`,
		secret.ID, secret.ClientID, bytesArg(secret.Digest), millis(secret.CreatedAt),
		nullMillis(secret.ExpiresAt), nullMillis(secret.LastUsedAt))
	switch {
	case hasCode(err, uniqueViolation):
		return fmt.Errorf("secret %q: %w", secret.ID, mint.ErrConflict)
	case hasCode(err, foreignKeyViolation):
		return fmt.Errorf("client %q: %w", secret.ClientID, mint.ErrNotFound)
	case err != nil:
		return failed("postgres: create secret %q of client %q: %w", secret.ID, secret.ClientID, err)
	}
	return nil
}

// ListSecrets returns every secret of a client, expired ones included,
// oldest first. ErrNotFound: no such client.
func (s *Store) ListSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	// One query answers both "does the client exist" and "which secrets":
	// a client without secrets is one row of NULLs.
	rows, err := s.pool.Query(ctx,
		`SELECT s.id, s.digest, s.created_at, s.expires_at, s.last_used_at
		   FROM clients c LEFT JOIN secrets s ON s.client_id = c.id
		  WHERE c.id = $1
		  ORDER BY s.created_at, s.seq`, clientID)
	if err != nil {
		return nil, failed("postgres: list secrets of client %q: %w", clientID, err)
	}
	var (
		secrets []mint.Secret
		client  bool
	)
	var (
		id                               *string
		digest                           []byte
		createdAt, expiresAt, lastUsedAt *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &digest, &createdAt, &expiresAt, &lastUsedAt}, func() error {
		client = true
		if id != nil { // else the client has no secret
			secrets = append(secrets, mint.Secret{
				ID:         *id,
				ClientID:   clientID,
				Digest:     bytes.Clone(digest), // never alias a row buffer
				CreatedAt:  fromNull(createdAt),
				ExpiresAt:  fromNull(expiresAt),
				LastUsedAt: fromNull(lastUsedAt),
			})
		}
		return nil
	})
	if err != nil {
		return nil, failed("postgres: list secrets of client %q: %w", clientID, err)
	}
	if !client {
		return nil, fmt.Errorf("client %q: %w", clientID, mint.ErrNotFound)
	}
	return secrets, nil
}

// ListSecretsOf returns the secrets of each client named, in one query
// through the secrets_client_id index, as ListSecrets orders them.
func (s *Store) ListSecretsOf(ctx context.Context, clientIDs []string) (map[string][]mint.Secret, error) {
	out := make(map[string][]mint.Secret, len(clientIDs))
	if len(clientIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx,
		`SELECT client_id, id, digest, created_at, expires_at, last_used_at FROM secrets
		  WHERE client_id = ANY($1)
		  ORDER BY client_id, created_at, seq`, clientIDs)
	if err != nil {
		return nil, failed("postgres: list secrets of %d clients: %w", len(clientIDs), err)
	}
	var (
		clientID, id          string
		digest                []byte
		createdAt             time.Time
		expiresAt, lastUsedAt *time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&clientID, &id, &digest, &createdAt, &expiresAt, &lastUsedAt}, func() error {
		out[clientID] = append(out[clientID], mint.Secret{
			ID:         id,
			ClientID:   clientID,
			Digest:     bytes.Clone(digest), // never alias a row buffer
			CreatedAt:  createdAt.UTC(),
			ExpiresAt:  fromNull(expiresAt),
			LastUsedAt: fromNull(lastUsedAt),
		})
		return nil
	})
	if err != nil {
		return nil, failed("postgres: list secrets of %d clients: %w", len(clientIDs), err)
	}
	return out, nil
}

// RotateSecret adds secret to its client and makes every other secret of
// that client expire at oldExpiresAt at the latest, in one transaction. A
// zero oldExpiresAt means "never", so it leaves the other secrets as they
// are. ErrNotFound: no such client.
func (s *Store) RotateSecret(ctx context.Context, secret mint.Secret, oldExpiresAt time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// KEY SHARE keeps the client from being deleted until we commit.
		found, err := exists(ctx, tx, `SELECT 1 FROM clients WHERE id = $1 FOR KEY SHARE`, secret.ClientID)
		if err != nil {
			return failed("postgres: rotate secret of client %q: %w", secret.ClientID, err)
		}
		if !found {
			return fmt.Errorf("client %q: %w", secret.ClientID, mint.ErrNotFound)
		}
		if err := insertSecret(ctx, tx, secret); err != nil {
			return err
		}
		if oldExpiresAt.IsZero() {
			return nil
		}
		latest := millis(oldExpiresAt)
		_, err = tx.Exec(ctx,
			`UPDATE secrets SET expires_at = $1
			  WHERE client_id = $2 AND id <> $3 AND (expires_at IS NULL OR expires_at > $1)`,
			latest, secret.ClientID, secret.ID)
		if err != nil {
			return failed("postgres: rotate secret of client %q: %w", secret.ClientID, err)
		}
		return nil
	})
}

// DeleteSecret removes one secret of a client. ErrNotFound: the client has
// no secret with that ID.
func (s *Store) DeleteSecret(ctx context.Context, clientID, secretID string) error {
	notFound := fmt.Errorf("secret %q of client %q: %w", secretID, clientID, mint.ErrNotFound)
	err := s.execOneInTx(ctx, notFound,
		`DELETE FROM secrets WHERE client_id = $1 AND id = $2`, clientID, secretID)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return failed("postgres: delete secret %q of client %q: %w", secretID, clientID, err)
	}
	return err
}

// RecordSecretUse moves the LastUsedAt of each secret named to the time
// given, unless it is already later. Unknown IDs and zero times are
// ignored. The updates go in one batch inside one transaction, in ID order,
// so that replicas recording overlapping uses take the row locks in the
// same order and cannot deadlock.
func (s *Store) RecordSecretUse(ctx context.Context, uses map[string]time.Time) error {
	b := &pgx.Batch{}
	for _, id := range slices.Sorted(maps.Keys(uses)) {
		if t := uses[id]; !t.IsZero() {
			b.Queue(`UPDATE secrets SET last_used_at = $1
			          WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $1)`, millis(t), id)
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return failed("postgres: record secret use: %w", err)
		}
		return nil
	})
}
