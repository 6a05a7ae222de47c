package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mintauth/mint/internal/mint"
)

var _ mint.Importer = (*Store)(nil)

// ImportClients stores a batch of clients with their secrets and grants in
// one transaction (see mint.Importer). SQLite has one writer and no
// network round trip, so prepared statements run once per row are as fast
// as a multi-row insert here; the single transaction is what matters (one
// fsync per batch instead of three per client).
func (s *Store) ImportClients(ctx context.Context, batch []mint.ImportedClient) error {
	if len(batch) == 0 {
		return nil
	}
	// Every table the batch wrote, so that a cache dropping only what a
	// change names also drops the "not found" it kept for these clients.
	ctx, published := s.changingTables(ctx, tableClients, tableSecrets, tableGrants)
	defer published()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		ins, err := prepareImport(ctx, tx)
		if err != nil {
			return failed("sqlite: import clients: %w", err)
		}
		defer ins.close()
		for _, ic := range batch {
			if err := ins.insert(ctx, ic); err != nil {
				return err
			}
		}
		return nil
	})
}

// importStatements are the statements an import runs per row, prepared
// once per batch, and the audiences already found to exist.
type importStatements struct {
	deleted, clients, secret, api, grant *sql.Stmt
	apis                                 map[string]bool
}

func prepareImport(ctx context.Context, tx *sql.Tx) (*importStatements, error) {
	queries := []string{
		`SELECT EXISTS (SELECT 1 FROM deleted_client_ids WHERE id = ?)`,
		`INSERT INTO clients (id, name, jwks, introspect_all, tokens_revoked_before, tokens_per_hour, tokens_per_day,
		        created_at, updated_at, metadata)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		`INSERT INTO secrets (id, client_id, digest, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?)`,
		`SELECT EXISTS (SELECT 1 FROM apis WHERE audience = ?)`,
		`INSERT INTO grants (id, client_id, audience, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
	}
	stmts := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			for _, done := range stmts[:i] {
				done.Close()
			}
			return nil, err
		}
		stmts[i] = st
	}
	return &importStatements{deleted: stmts[0], clients: stmts[1], secret: stmts[2], api: stmts[3], grant: stmts[4],
		apis: map[string]bool{}}, nil
}

func (ins *importStatements) close() {
	for _, st := range []*sql.Stmt{ins.deleted, ins.clients, ins.secret, ins.api, ins.grant} {
		st.Close()
	}
}

// client inserts one client, its secret and its grants.
func (ins *importStatements) insert(ctx context.Context, ic mint.ImportedClient) error {
	c := ic.Client
	var reused bool
	if err := ins.deleted.QueryRowContext(ctx, c.ID).Scan(&reused); err != nil {
		return failed("sqlite: import client %q: %w", c.ID, err)
	}
	if reused {
		c = c.ReusingID()
	}
	md, err := encodeMetadata(c.Metadata)
	if err != nil {
		return err
	}
	_, err = ins.clients.ExecContext(ctx, c.ID, c.Name, nullBytes(c.JWKS), c.IntrospectAll,
		nullMillis(c.TokensRevokedBefore), nullInt(c.TokensPerHour), nullInt(c.TokensPerDay),
		millis(c.CreatedAt), millis(c.UpdatedAt), md)
	if isUniqueViolation(err) {
		return fmt.Errorf("client %q: %w", c.ID, mint.ErrConflict)
	}
	if err != nil {
		return failed("sqlite: import client %q: %w", c.ID, err)
	}
	sec := ic.Secret
	digest := sec.Digest
	if digest == nil {
		digest = []byte{}
	}
	_, err = ins.secret.ExecContext(ctx, sec.ID, c.ID, digest, millis(sec.CreatedAt),
		nullMillis(sec.ExpiresAt), nullMillis(sec.LastUsedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("secret %q of client %q: %w", sec.ID, c.ID, mint.ErrConflict)
	}
	if err != nil {
		return failed("sqlite: import secret of client %q: %w", c.ID, err)
	}
	for _, g := range ic.Grants {
		if err := ins.grantOf(ctx, c.ID, g); err != nil {
			return err
		}
	}
	return nil
}

func (ins *importStatements) grantOf(ctx context.Context, clientID string, g mint.Grant) error {
	if !ins.apis[g.Audience] {
		var found bool
		if err := ins.api.QueryRowContext(ctx, g.Audience).Scan(&found); err != nil {
			return failed("sqlite: import grant of client %q: %w", clientID, err)
		}
		if !found {
			return fmt.Errorf("api with audience %q: %w", g.Audience, mint.ErrNotFound)
		}
		ins.apis[g.Audience] = true
	}
	scopes, err := encodeScopes(g.Scopes)
	if err != nil {
		return err
	}
	_, err = ins.grant.ExecContext(ctx, g.ID, clientID, g.Audience, scopes, millis(g.CreatedAt), millis(g.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("grant %q or grant of client %q for %q: %w", g.ID, clientID, g.Audience, mint.ErrConflict)
	}
	if err != nil {
		return failed("sqlite: import grant of client %q: %w", clientID, err)
	}
	return nil
}
