package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// TestMigration5RemembersEarlierDeletes: a file written before 00005 knows
// its deleted client IDs only from the audit log and the revoked tokens.
// After the migration a client already re-created under such an ID has its
// tokens revoked up to its creation (the old client's tokens die), and a
// client created later under the other one gets the same floor.
func TestMigration5RemembersEarlierDeletes(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	if err := createFile(path); err != nil { // 0600, or Open would refuse it
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, writePragmas, "immediate"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := migrator(t, db).UpTo(ctx, 4); err != nil {
		t.Fatalf("migrate to 00004: %v", err)
	}
	for _, q := range []string{
		`INSERT INTO clients (id, name, introspect_all, created_at, updated_at) VALUES ('revived', 'r', 0, 5000, 5000)`,
		`INSERT INTO clients (id, name, introspect_all, created_at, updated_at) VALUES ('never-deleted', 'n', 0, 6000, 6000)`,
		`INSERT INTO audit_log (seq, time_us, kind, actor, client_id, subject, source, details, prev_hash, hash)
		 VALUES (1, 4000000, 'admin.clients.delete', 'admin', 'revived', 'revived', '127.0.0.1', '{}', zeroblob(32), zeroblob(32))`,
		`INSERT INTO revoked_tokens (id, client_id, expires_at) VALUES ('jti-1', 'gone', 99999999999)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openTest(t, path) // migrates to the latest
	revived, err := s.GetClient(ctx, "revived")
	if err != nil {
		t.Fatal(err)
	}
	if !revived.TokensRevokedBefore.Equal(fromMillis(5000)) {
		t.Errorf("re-created client: TokensRevokedBefore %v, want its creation %v", revived.TokensRevokedBefore, fromMillis(5000))
	}
	kept, err := s.GetClient(ctx, "never-deleted")
	if err != nil || !kept.TokensRevokedBefore.IsZero() {
		t.Errorf("client never deleted: TokensRevokedBefore %v, %v; want none", kept.TokensRevokedBefore, err)
	}
	c := mint.Client{ID: "gone", Name: "g", CreatedAt: fromMillis(7000), UpdatedAt: fromMillis(7000)}
	if err := s.CreateClient(ctx, c, mint.Secret{ID: "sec-g", Digest: []byte{1}, CreatedAt: c.CreatedAt}); err != nil {
		t.Fatal(err)
	}
	gone, err := s.GetClient(ctx, "gone")
	if err != nil || !gone.TokensRevokedBefore.Equal(c.CreatedAt) {
		t.Errorf("client created under an ID known from revoked tokens: TokensRevokedBefore %v, %v; want %v", gone.TokensRevokedBefore, err, c.CreatedAt)
	}
}
