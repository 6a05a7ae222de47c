package sqlite

import (
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
	}, func(t *testing.T, s mint.Store, query string) {
		if _, err := s.(*Store).write.ExecContext(testContext(t), query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	})
}

func BenchmarkAppendAudit(b *testing.B) {
	storetest.BenchmarkAppendAudit(b, openTest(b, filepath.Join(b.TempDir(), "mint.db")))
}
