package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

var _ mint.Importer = (*Store)(nil)

// ImportClients stores a batch of clients with their secrets and grants in
// one transaction (see mint.Importer), with three COPY streams: one
// round trip per table rather than one per row. The statement triggers of
// migration 00003 notify once per COPY, so every replica's cache hears of
// the new clients once per batch.
func (s *Store) ImportClients(ctx context.Context, batch []mint.ImportedClient) error {
	if len(batch) == 0 {
		return nil
	}
	ids := make([]string, len(batch))
	seen := make(map[string]bool, len(batch))
	for i, ic := range batch {
		if seen[ic.Client.ID] {
			return fmt.Errorf("client %q is given twice: %w", ic.Client.ID, mint.ErrConflict)
		}
		ids[i], seen[ic.Client.ID] = ic.Client.ID, true
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkImport(ctx, tx, ids, batch); err != nil {
			return err
		}
		if err := copyImport(ctx, tx, batch); err != nil {
			return err
		}
		// As keepDeletedRevoked, after the insert: the IDs of deleted
		// clients keep their old tokens revoked.
		_, err := tx.Exec(ctx,
			`UPDATE clients SET tokens_revoked_before = created_at
			  WHERE id = ANY($1) AND id IN (SELECT id FROM deleted_client_ids WHERE id = ANY($1))
			    AND (tokens_revoked_before IS NULL OR tokens_revoked_before < created_at)`, ids)
		if err != nil {
			return failed("postgres: import clients: %w", err)
		}
		return nil
	})
}

// checkImport names the first taken client ID, and the first audience no
// API has, before COPY would fail without saying which row.
func checkImport(ctx context.Context, tx pgx.Tx, ids []string, batch []mint.ImportedClient) error {
	var taken string
	err := tx.QueryRow(ctx, `SELECT id FROM clients WHERE id = ANY($1) LIMIT 1`, ids).Scan(&taken)
	if err == nil {
		return fmt.Errorf("client %q: %w", taken, mint.ErrConflict)
	}
	if err != pgx.ErrNoRows {
		return failed("postgres: import clients: %w", err)
	}
	var audiences []string
	for _, ic := range batch {
		for _, g := range ic.Grants {
			if !slices.Contains(audiences, g.Audience) {
				audiences = append(audiences, g.Audience)
			}
		}
	}
	if len(audiences) == 0 {
		return nil
	}
	// KEY SHARE keeps the APIs until we commit, as CreateGrant does.
	found, err := list(ctx, tx, func(row pgx.Row) (string, error) {
		var a string
		return a, row.Scan(&a)
	}, `SELECT audience FROM apis WHERE audience = ANY($1) FOR KEY SHARE`, audiences)
	if err != nil {
		return failed("postgres: import clients: %w", err)
	}
	for _, a := range audiences {
		if !slices.Contains(found, a) {
			return fmt.Errorf("api with audience %q: %w", a, mint.ErrNotFound)
		}
	}
	return nil
}

// copyImport writes the batch's clients, secrets and grants.
func copyImport(ctx context.Context, tx pgx.Tx, batch []mint.ImportedClient) error {
	clients := make([][]any, 0, len(batch))
	secrets := make([][]any, 0, len(batch))
	var grants [][]any
	for _, ic := range batch {
		c, sec := ic.Client, ic.Secret
		md, err := encodeMetadata(c.Metadata)
		if err != nil {
			return err
		}
		clients = append(clients, []any{c.ID, c.Name, nullBytes(c.JWKS), c.IntrospectAll,
			nullMillis(c.TokensRevokedBefore), c.TokensPerHour, c.TokensPerDay, millis(c.CreatedAt), millis(c.UpdatedAt), md})
		secrets = append(secrets, []any{sec.ID, c.ID, bytesArg(sec.Digest), millis(sec.CreatedAt),
			nullMillis(sec.ExpiresAt), nullMillis(sec.LastUsedAt)})
		for _, g := range ic.Grants {
			grants = append(grants, []any{g.ID, c.ID, g.Audience, scopesArg(g.Scopes), millis(g.CreatedAt), millis(g.UpdatedAt)})
		}
	}
	tables := []struct {
		name    string
		columns []string
		rows    [][]any
	}{
		{"clients", []string{"id", "name", "jwks", "introspect_all", "tokens_revoked_before", "tokens_per_hour",
			"tokens_per_day", "created_at", "updated_at", "metadata"}, clients},
		{"secrets", []string{"id", "client_id", "digest", "created_at", "expires_at", "last_used_at"}, secrets},
		{"grants", []string{"id", "client_id", "audience", "scopes", "created_at", "updated_at"}, grants},
	}
	for _, t := range tables {
		if len(t.rows) == 0 {
			continue
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, pgx.CopyFromRows(t.rows))
		switch {
		case hasCode(err, uniqueViolation):
			// A client ID is checked above; this is a secret or grant ID,
			// a grant given twice for one audience, or a concurrent
			// creation of one of the clients.
			return fmt.Errorf("import %s: an ID or a client's audience is taken or given twice: %w", t.name, mint.ErrConflict)
		case err != nil:
			return failed("postgres: import %s: %w", t.name, err)
		}
	}
	return nil
}
