package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/mintauth/mint/internal/mint"
)

// The columns of issuance policies (migration 00011) are written by a
// statement of their own after the row's insert or update, in the same
// transaction, so that the statements of the other columns stay as they
// were.

// encodeMetadata stores no metadata as NULL, else a JSON object.
func encodeMetadata(m map[string]string) (sql.NullString, error) {
	if len(m) == 0 {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return sql.NullString{}, failed("sqlite: encode metadata: %w", err)
	}
	return sql.NullString{String: string(b), Valid: true}, nil
}

func decodeMetadata(v sql.NullString) (map[string]string, error) {
	if !v.Valid {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(v.String), &m); err != nil {
		return nil, failed("sqlite: decode metadata: %w", err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// setClientPolicy writes c's policy and metadata; on a create with
// neither it writes nothing (the defaults are right).
func setClientPolicy(ctx context.Context, tx *sql.Tx, c mint.Client, create bool) error {
	if create && c.Policy == "" && len(c.Metadata) == 0 {
		return nil
	}
	md, err := encodeMetadata(c.Metadata)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE clients SET policy = ?, metadata = ? WHERE id = ?`, c.Policy, md, c.ID)
	return err
}

// setAPIPolicy writes api's policy; see setClientPolicy.
func setAPIPolicy(ctx context.Context, tx *sql.Tx, api mint.API, create bool) error {
	if create && api.Policy == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE apis SET policy = ? WHERE id = ?`, api.Policy, api.ID)
	return err
}
