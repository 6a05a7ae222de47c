package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

var _ mint.Applier = (*Store)(nil)

// How ApplyPlan holds off other writers. It takes EXCLUSIVE locks on the
// four tables (federated credentials too), which let plain reads (the token path) go on but make every
// INSERT, UPDATE, DELETE and SELECT … FOR UPDATE / FOR KEY SHARE on them
// wait until the plan commits. It never waits for one of those locks for
// longer than lockWait while holding another: it gives all of them up and
// tries again, up to lockAttempts times. A writer it waits for can then
// never be chosen as a deadlock victim (PostgreSQL looks for deadlocks only
// after deadlock_timeout, one second by default): the plan is the one that
// steps back, and an admin change is never refused because of an apply.
const (
	lockForPlan      = `LOCK TABLE clients, apis, grants, federated_credentials IN EXCLUSIVE MODE`
	lockWait         = `SET LOCAL lock_timeout = '100ms'`
	lockWaitDone     = `SET LOCAL lock_timeout = 0`
	lockAttempts     = 50
	lockRetry        = 20 * time.Millisecond
	lockNotAvailable = "55P03"
	deadlockDetected = "40P01"
)

// ApplyPlan makes a plan's changes in one transaction (see mint.Applier).
// It locks the APIs, clients and grants against other writers, from any
// replica, before it reads the fingerprint, so that nothing can commit
// between the check and the plan's commit. The triggers of migration 00003
// notify every replica's cache of the tables changed.
func (s *Store) ApplyPlan(ctx context.Context, expected string, changes []mint.Change) error {
	var err error
	for range lockAttempts {
		err = s.inTx(ctx, func(tx pgx.Tx) error { return applyPlanTx(ctx, tx, expected, changes) })
		if !hasCode(err, lockNotAvailable) {
			break
		}
		select {
		case <-ctx.Done():
			return failed("postgres: apply plan: %w", ctx.Err())
		case <-time.After(lockRetry):
		}
	}
	switch {
	case hasCode(err, lockNotAvailable):
		return failed("postgres: apply plan: other writers held the tables %d times in a row: %w", lockAttempts, err)
	case hasCode(err, deadlockDetected):
		return fmt.Errorf("%w (%v)", mint.ErrStateChanged, err)
	}
	return err
}

func applyPlanTx(ctx context.Context, tx pgx.Tx, expected string, changes []mint.Change) error {
	for _, q := range []string{lockWait, lockForPlan, lockWaitDone} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	got, err := fingerprintTx(ctx, tx)
	if err != nil {
		return failed("postgres: apply plan: %w", err)
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
}

var _ mint.RuleReader = (*Store)(nil)

// EveryFederatedCredential reads every trust rule (see mint.RuleReader).
func (s *Store) EveryFederatedCredential(ctx context.Context) ([]mint.FederatedCredential, error) {
	rules, err := list(ctx, s.pool, scanFederated, selectFederated+` ORDER BY client_id, created_at, seq`)
	if err != nil {
		return nil, failed("postgres: list every federated credential: %w", err)
	}
	return rules, nil
}

func fingerprintTx(ctx context.Context, tx pgx.Tx) (string, error) {
	apis, err := list(ctx, tx, scanAPI, selectAPI)
	if err != nil {
		return "", err
	}
	clients, err := list(ctx, tx, scanClient, selectClient)
	if err != nil {
		return "", err
	}
	grants, err := list(ctx, tx, scanGrant, selectGrant)
	if err != nil {
		return "", err
	}
	rules, err := list(ctx, tx, scanFederated, selectFederated)
	if err != nil {
		return "", err
	}
	return mint.StateFingerprint(apis, clients, grants, rules), nil
}

func applyChange(ctx context.Context, tx pgx.Tx, ch mint.Change) error {
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
	return fmt.Errorf("postgres: apply plan: a %s change names no resource", ch.Op)
}

func applyAPI(ctx context.Context, tx pgx.Tx, op mint.ChangeOp, api mint.API) error {
	notFound := fmt.Errorf("api %q: %w", api.ID, mint.ErrNotFound)
	var err error
	switch op {
	case mint.OpCreate:
		_, err = tx.Exec(ctx,
			`INSERT INTO apis (id, name, audience, scopes, token_lifetime_ns, signing_alg, audit_issuance, token_reuse, created_at, updated_at,
			        token_binding)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			api.ID, api.Name, api.Audience, scopesArg(api.Scopes), int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse,
			millis(api.CreatedAt), millis(api.UpdatedAt), api.TokenBinding)
		if hasCode(err, uniqueViolation) {
			return fmt.Errorf("api %q or audience %q: %w", api.ID, api.Audience, mint.ErrConflict)
		}
		if err == nil {
			err = setAPIPolicy(ctx, tx, api, true)
		}
	case mint.OpUpdate:
		err = execOne(ctx, tx, notFound,
			`UPDATE apis SET name = $1, scopes = $2, token_lifetime_ns = $3, signing_alg = $4, audit_issuance = $5, token_reuse = $6, updated_at = $7,
			        token_binding = $9
			  WHERE id = $8`,
			api.Name, scopesArg(api.Scopes), int64(api.TokenLifetime), api.SigningAlg, api.AuditIssuance, api.TokenReuse, millis(api.UpdatedAt), api.ID,
			api.TokenBinding)
		if err == nil {
			err = setAPIPolicy(ctx, tx, api, false)
		}
	case mint.OpDelete:
		err = execOne(ctx, tx, notFound, `DELETE FROM apis WHERE id = $1`, api.ID)
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "api", api.ID)
}

func applyClient(ctx context.Context, tx pgx.Tx, op mint.ChangeOp, c mint.Client, secret *mint.Secret) error {
	notFound := fmt.Errorf("client %q: %w", c.ID, mint.ErrNotFound)
	var err error
	switch op {
	case mint.OpCreate:
		err = createClientTx(ctx, tx, c, secret)
	case mint.OpUpdate:
		err = execOne(ctx, tx, notFound,
			`UPDATE clients SET name = $1, jwks = $2, introspect_all = $3, tokens_revoked_before = $4,
			        tokens_per_hour = $5, tokens_per_day = $6, updated_at = $7, token_binding = $9,
			        tls_auth_kind = $10, tls_auth_value = $11
			  WHERE id = $8`,
			c.Name, nullBytes(c.JWKS), c.IntrospectAll, nullMillis(c.TokensRevokedBefore),
			c.TokensPerHour, c.TokensPerDay, millis(c.UpdatedAt), c.ID, c.TokenBinding, c.TLSAuth.Kind, c.TLSAuth.Value)
		if err == nil {
			err = setClientPolicy(ctx, tx, c, false)
		}
	case mint.OpDelete:
		if err = execOne(ctx, tx, notFound, `DELETE FROM clients WHERE id = $1`, c.ID); err == nil {
			_, err = tx.Exec(ctx, `INSERT INTO deleted_client_ids (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, c.ID)
		}
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "client", c.ID)
}

// createClientTx inserts a client and its first secret as CreateClient does.
func createClientTx(ctx context.Context, tx pgx.Tx, c mint.Client, secret *mint.Secret) error {
	if secret == nil {
		return fmt.Errorf("client %q is created without a secret", c.ID)
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO clients (id, name, jwks, introspect_all, tokens_revoked_before, tokens_per_hour, tokens_per_day,
		        created_at, updated_at, token_binding, tls_auth_kind, tls_auth_value)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.Name, nullBytes(c.JWKS), c.IntrospectAll,
		nullMillis(c.TokensRevokedBefore), c.TokensPerHour, c.TokensPerDay,
		millis(c.CreatedAt), millis(c.UpdatedAt), c.TokenBinding, c.TLSAuth.Kind, c.TLSAuth.Value)
	if hasCode(err, uniqueViolation) {
		return fmt.Errorf("client %q: %w", c.ID, mint.ErrConflict)
	}
	if err != nil {
		return err
	}
	if err := keepDeletedRevoked(ctx, tx, c); err != nil {
		return err
	}
	if err := setClientPolicy(ctx, tx, c, true); err != nil {
		return err
	}
	s := *secret
	s.ClientID = c.ID
	return insertSecret(ctx, tx, s)
}

func applyGrant(ctx context.Context, tx pgx.Tx, op mint.ChangeOp, g mint.Grant) error {
	notFound := fmt.Errorf("grant %q: %w", g.ID, mint.ErrNotFound)
	var err error
	switch op {
	case mint.OpCreate:
		err = createGrantTx(ctx, tx, g)
	case mint.OpUpdate:
		err = execOne(ctx, tx, notFound, `UPDATE grants SET scopes = $1, updated_at = $2 WHERE id = $3`,
			scopesArg(g.Scopes), millis(g.UpdatedAt), g.ID)
	case mint.OpDelete:
		err = execOne(ctx, tx, notFound, `DELETE FROM grants WHERE id = $1`, g.ID)
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "grant", g.ID)
}

func createGrantTx(ctx context.Context, tx pgx.Tx, g mint.Grant) error {
	if err := mustExist(ctx, tx, fmt.Errorf("client %q: %w", g.ClientID, mint.ErrNotFound),
		`SELECT 1 FROM clients WHERE id = $1`, g.ClientID); err != nil {
		return err
	}
	if err := mustExist(ctx, tx, fmt.Errorf("api with audience %q: %w", g.Audience, mint.ErrNotFound),
		`SELECT 1 FROM apis WHERE audience = $1`, g.Audience); err != nil {
		return err
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO grants (id, client_id, audience, scopes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		g.ID, g.ClientID, g.Audience, scopesArg(g.Scopes), millis(g.CreatedAt), millis(g.UpdatedAt))
	if hasCode(err, uniqueViolation) {
		return fmt.Errorf("grant %q or grant of client %q for %q: %w", g.ID, g.ClientID, g.Audience, mint.ErrConflict)
	}
	return err
}

// applyFederated creates or deletes a trust rule as
// CreateFederatedCredential and DeleteFederatedCredential do; the plan's
// table locks stand in for their row lock.
func applyFederated(ctx context.Context, tx pgx.Tx, op mint.ChangeOp, fc mint.FederatedCredential) error {
	var err error
	switch op {
	case mint.OpCreate:
		err = createFederatedTx(ctx, tx, fc)
	case mint.OpDelete:
		err = execOne(ctx, tx, fmt.Errorf("federated credential %q of client %q: %w", fc.ID, fc.ClientID, mint.ErrNotFound),
			`DELETE FROM federated_credentials WHERE id = $1 AND client_id = $2`, fc.ID, fc.ClientID)
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	return changeErr(err, op, "federated credential", fc.ID)
}

func createFederatedTx(ctx context.Context, tx pgx.Tx, fc mint.FederatedCredential) error {
	if err := mustExist(ctx, tx, fmt.Errorf("client %q: %w", fc.ClientID, mint.ErrNotFound),
		`SELECT 1 FROM clients WHERE id = $1`, fc.ClientID); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM federated_credentials WHERE client_id = $1`, fc.ClientID).Scan(&n); err != nil {
		return err
	}
	if n >= mint.MaxFederatedCredentials {
		return fmt.Errorf("client %q holds %d federated credentials: %w", fc.ClientID, n, mint.ErrConflict)
	}
	_, err := tx.Exec(ctx,
		`INSERT INTO federated_credentials (id, client_id, issuer, subject, audience, claims, max_age_ms, jwks_uri, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		fc.ID, fc.ClientID, fc.Issuer, fc.Subject, fc.Audience, claimsArg(fc.Claims), fc.MaxAge.Milliseconds(), fc.JWKSURI, millis(fc.CreatedAt))
	if hasCode(err, uniqueViolation) {
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
	return failed("postgres: apply plan: %s %s %q: %w", op, kind, id, err)
}
