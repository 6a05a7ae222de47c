package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storetest"
)

func TestAuditConformance(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) mint.Store {
		return openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	})
}

func TestAuditTamper(t *testing.T) {
	storetest.RunAuditTamper(t, func(t *testing.T) mint.Store {
		return openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	}, storetest.AuditTamper{
		Exec: func(t *testing.T, s mint.Store, query string, args ...any) {
			if _, err := s.(*Store).write.ExecContext(testContext(t), query, args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
		AppendRows: func(t *testing.T, s mint.Store, records []mint.AuditRecord) {
			err := s.(*Store).inTx(testContext(t), func(tx *sql.Tx) error {
				return appendChained(testContext(t), tx, func(mint.AuditRecord) bool { return false }, records, nil)
			})
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}

func BenchmarkAppendAudit(b *testing.B) {
	storetest.BenchmarkAppendAudit(b, openTest(b, filepath.Join(b.TempDir(), "mint.db")))
}
