package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mintauth/mint/internal/mint"
)

var _ mint.Applier = (*Store)(nil)

// ApplyPlan makes a plan's changes in one transaction (see mint.Applier).
// The transaction begins IMMEDIATE, holding SQLite's one write lock from the
// start, so no other writer — of this process or another — can commit
// between the fingerprint check and the commit.
func (s *Store) ApplyPlan(ctx context.Context, expected string, changes []mint.Change) error {
	// Whole tables: a plan may change any number of rows.
	ctx, published := s.changingTables(ctx, tableAPIs, tableClients, tableGrants, tableFederated)
	defer published()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		got, err := fingerprintTx(ctx, tx)
		if err != nil {
			return failed("sqlite: apply plan: %w", err)
		}
		if got != expected {
			return mint.ErrStateChanged
		}
		records := make([]mint.AuditRecord, 0, len(changes))
		for _, ch := range changes {
			if err := applyChange(ctx, tx, ch); err != nil {
				return err
			}
			records = append(records, ch.Audit)
		}
		if len(records) == 0 {
			return nil
		}
		return appendAudit(ctx, tx, records...)
	})
}

var _ mint.RuleReader = (*Store)(nil)

// EveryFederatedCredential reads every trust rule (see mint.RuleReader).
func (s *Store) EveryFederatedCredential(ctx context.Context) ([]mint.FederatedCredential, error) {
	return queryFederated(ctx, s.read, selectFederated+` ORDER BY client_id, created_at, rowid`)
}

// fingerprintTx reads the state inside tx and returns its fingerprint.
func fingerprintTx(ctx context.Context, tx *sql.Tx) (string, error) {
	apis, err := listTx(ctx, tx, scanAPI, selectAPI)
	if err != nil {
		return "", err
	}
	clients, err := listTx(ctx, tx, scanClient, selectClient)
	if err != nil {
		return "", err
	}
	grants, err := listTx(ctx, tx, scanGrant, selectGrant)
	if err != nil {
		return "", err
	}
	rules, err := listTx(ctx, tx, scanFederated, selectFederated)
	if err != nil {
		return "", err
	}
	return mint.StateFingerprint(apis, clients, grants, rules), nil
}

func listTx[T any](ctx context.Context, tx *sql.Tx, scan func(rowScanner) (T, error), query string) ([]T, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func applyChange(ctx context.Context, tx *sql.Tx, ch mint.Change) error {
	switch {
	case ch.API != nil:
		return applyAPI(ctx, tx, ch.Op, *ch.API)
	case ch.Client != nil:
		return applyClient(ctx, tx, ch.Op, *ch.Client, ch.Secret)
	case ch.Grant != nil:
		return applyGrant(ctx, tx, ch.Op, *ch.Grant)
	case ch.Federated != nil:
		return applyFederated(ctx, tx, ch.Op, *ch.Federated)
	}
	return fmt.Errorf("sqlite: apply plan: a %s change names no resource", ch.Op)
}

func applyAPI(ctx context.Context, tx *sql.Tx, op mint.ChangeOp, api mint.API) error {
	scopes, err := encodeScopes(api.Scopes)
	if err != nil {
		return err
	}
	notFound := fmt.Errorf("api %q: %w", api.ID, mint.ErrNotFound)
	switch op {
	case mint.OpCreate:
		_, err = tx.ExecContext(ctx,
			`INSERT INTO apis (id, name, audience, scopes, token_lifetime_ns, signing_alg, audit_issuance, token_reuse, created_at, updated_at,
			        token_binding)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			api.ID, api.Name, api.Audience, scopes, int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse,
			millis(api.CreatedAt), millis(api.UpdatedAt), api.TokenBinding)
		if isUniqueViolation(err) {
			return fmt.Errorf("api %q or audience %q: %w", api.ID, api.Audience, mint.ErrConflict)
		}
		if err == nil {
			err = setAPIPolicy(ctx, tx, api, true)
		}
	case mint.OpUpdate:
		err = execOne(ctx, tx, notFound,
			`UPDATE apis SET name = ?, scopes = ?, token_lifetime_ns = ?, signing_alg = ?, audit_issuance = ?, token_reuse = ?, updated_at = ?,
			        token_binding = ?
			  WHERE id = ?`,
			api.Name, scopes, int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse, millis(api.UpdatedAt),
			api.TokenBinding, api.ID)
		if err == nil {
			err = setAPIPolicy(ctx, tx, api, false)
		}
	case mint.OpDelete:
		err = execOne(ctx, tx, notFound, `DELETE FROM apis WHERE id = ?`, api.ID)
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "api", api.ID)
}

func applyClient(ctx context.Context, tx *sql.Tx, op mint.ChangeOp, c mint.Client, secret *mint.Secret) error {
	notFound := fmt.Errorf("client %q: %w", c.ID, mint.ErrNotFound)
	var err error
	switch op {
	case mint.OpCreate:
		err = createClientTx(ctx, tx, c, secret)
	case mint.OpUpdate:
		err = execOne(ctx, tx, notFound,
			`UPDATE clients SET name = ?, jwks = ?, introspect_all = ?, tokens_revoked_before = ?,
			        tokens_per_hour = ?, tokens_per_day = ?, updated_at = ?, token_binding = ?,
			        tls_auth_kind = ?, tls_auth_value = ?
			  WHERE id = ?`,
			c.Name, nullBytes(c.JWKS), c.IntrospectAll, nullMillis(c.TokensRevokedBefore),
			nullInt(c.TokensPerHour), nullInt(c.TokensPerDay), millis(c.UpdatedAt), c.TokenBinding,
			c.TLSAuth.Kind, c.TLSAuth.Value, c.ID)
		if err == nil {
			err = setClientPolicy(ctx, tx, c, false)
		}
	case mint.OpDelete:
		if err = execOne(ctx, tx, notFound, `DELETE FROM clients WHERE id = ?`, c.ID); err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO deleted_client_ids (id) VALUES (?) ON CONFLICT (id) DO NOTHING`, c.ID)
		}
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "client", c.ID)
}

// createClientTx inserts a client and its first secret as CreateClient does,
// keeping a deleted client's tokens revoked when the ID is reused.
func createClientTx(ctx context.Context, tx *sql.Tx, c mint.Client, secret *mint.Secret) error {
	if secret == nil {
		return fmt.Errorf("client %q is created without a secret", c.ID)
	}
	var reused bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM deleted_client_ids WHERE id = ?)`, c.ID).Scan(&reused)
	if err != nil {
		return err
	}
	if reused {
		c = c.ReusingID()
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO clients (id, name, jwks, introspect_all, tokens_revoked_before, tokens_per_hour, tokens_per_day,
		        created_at, updated_at, token_binding, tls_auth_kind, tls_auth_value)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Name, nullBytes(c.JWKS), c.IntrospectAll,
		nullMillis(c.TokensRevokedBefore), nullInt(c.TokensPerHour), nullInt(c.TokensPerDay),
		millis(c.CreatedAt), millis(c.UpdatedAt), c.TokenBinding, c.TLSAuth.Kind, c.TLSAuth.Value)
	if isUniqueViolation(err) {
		return fmt.Errorf("client %q: %w", c.ID, mint.ErrConflict)
	}
	if err == nil {
		err = setClientPolicy(ctx, tx, c, true)
	}
	if err != nil {
		return err
	}
	s := *secret
	s.ClientID = c.ID
	return insertSecret(ctx, tx, s)
}

func applyGrant(ctx context.Context, tx *sql.Tx, op mint.ChangeOp, g mint.Grant) error {
	scopes, err := encodeScopes(g.Scopes)
	if err != nil {
		return err
	}
	notFound := fmt.Errorf("grant %q: %w", g.ID, mint.ErrNotFound)
	switch op {
	case mint.OpCreate:
		err = createGrantTx(ctx, tx, g, scopes)
	case mint.OpUpdate:
		err = execOne(ctx, tx, notFound, `UPDATE grants SET scopes = ?, updated_at = ? WHERE id = ?`,
			scopes, millis(g.UpdatedAt), g.ID)
	case mint.OpDelete:
		err = execOne(ctx, tx, notFound, `DELETE FROM grants WHERE id = ?`, g.ID)
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "grant", g.ID)
}

func createGrantTx(ctx context.Context, tx *sql.Tx, g mint.Grant, scopes string) error {
	var found bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = ?)`, g.ClientID).Scan(&found)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("client %q: %w", g.ClientID, mint.ErrNotFound)
	}
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM apis WHERE audience = ?)`, g.Audience).Scan(&found)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("api with audience %q: %w", g.Audience, mint.ErrNotFound)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO grants (id, client_id, audience, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		g.ID, g.ClientID, g.Audience, scopes, millis(g.CreatedAt), millis(g.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("grant %q or grant of client %q for %q: %w", g.ID, g.ClientID, g.Audience, mint.ErrConflict)
	}
	return err
}

// applyFederated creates or deletes a trust rule as
// CreateFederatedCredential and DeleteFederatedCredential do, inside the
// plan's transaction.
func applyFederated(ctx context.Context, tx *sql.Tx, op mint.ChangeOp, fc mint.FederatedCredential) error {
	var err error
	switch op {
	case mint.OpCreate:
		err = createFederatedTx(ctx, tx, fc)
	case mint.OpDelete:
		err = execOne(ctx, tx, fmt.Errorf("federated credential %q of client %q: %w", fc.ID, fc.ClientID, mint.ErrNotFound),
			`DELETE FROM federated_credentials WHERE id = ? AND client_id = ?`, fc.ID, fc.ClientID)
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "federated credential", fc.ID)
}

func createFederatedTx(ctx context.Context, tx *sql.Tx, fc mint.FederatedCredential) error {
	claims, err := encodeClaims(fc.Claims)
	if err != nil {
		return err
	}
	var found bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = ?)`, fc.ClientID).Scan(&found); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("client %q: %w", fc.ClientID, mint.ErrNotFound)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM federated_credentials WHERE client_id = ?`, fc.ClientID).Scan(&n); err != nil {
		return err
	}
	if n >= mint.MaxFederatedCredentials {
		return fmt.Errorf("client %q holds %d federated credentials: %w", fc.ClientID, n, mint.ErrConflict)
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO federated_credentials (id, client_id, issuer, subject, audience, claims, max_age_ms, jwks_uri, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		fc.ID, fc.ClientID, fc.Issuer, fc.Subject, fc.Audience, claims, fc.MaxAge.Milliseconds(), fc.JWKSURI, millis(fc.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("federated credential %q: %w", fc.ID, mint.ErrConflict)
	}
	return err
}

// changeErr passes mint's errors on and marks any other as a storage
// failure naming the change.
func changeErr(err error, op mint.ChangeOp, kind, id string) error {
	if err == nil || errors.Is(err, mint.ErrNotFound) || errors.Is(err, mint.ErrConflict) {
		return err
	}
	return failed("sqlite: apply plan: %s %s %q: %w", op, kind, id, err)
}
