package postgres

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

// The columns of issuance policies (migration 00013) are written by a
// statement of their own, in the same transaction as the row's insert or
// an API's update (before an update, so that its RETURNING sees them), so
// that the statements of the other columns stay as they were. A client's
// update writes them in its one UPDATE: each statement on clients is a
// notification to every replica (issue 16).

// encodeMetadata stores no metadata as NULL, else a JSON object.
func encodeMetadata(m map[string]string) (*string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, failed("postgres: encode metadata: %w", err)
	}
	s := string(b)
	return &s, nil
}

func decodeMetadata(v *string) (map[string]string, error) {
	if v == nil {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(*v), &m); err != nil {
		return nil, failed("postgres: decode metadata: %w", err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// setClientPolicy writes c's policy and metadata; on a create with
// neither it writes nothing (the defaults are right).
func setClientPolicy(ctx context.Context, tx pgx.Tx, c mint.Client, create bool) error {
	if create && c.Policy == "" && len(c.Metadata) == 0 {
		return nil
	}
	md, err := encodeMetadata(c.Metadata)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE clients SET policy = $1, metadata = $2 WHERE id = $3`, c.Policy, md, c.ID)
	return err
}

// setAPIPolicy writes api's policy; see setClientPolicy.
func setAPIPolicy(ctx context.Context, tx pgx.Tx, api mint.API, create bool) error {
	if create && api.Policy == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE apis SET policy = $1 WHERE id = $2`, api.Policy, api.ID)
	return err
}
