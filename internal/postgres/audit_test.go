package postgres

import (
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storetest"
)

func TestAuditConformance(t *testing.T) {
	storetest.RunAudit(t, func(t *testing.T) mint.Store {
		_, dsn := freshSchema(t)
		return openTest(t, dsn)
	})
}

func TestAuditTamper(t *testing.T) {
	storetest.RunAuditTamper(t, func(t *testing.T) mint.Store {
		_, dsn := freshSchema(t)
		return openTest(t, dsn)
	}, func(t *testing.T, s mint.Store, query string) {
		if _, err := s.(*Store).pool.Exec(testContext(t), query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	})
}

func BenchmarkAppendAudit(b *testing.B) {
	_, dsn := freshSchema(b)
	storetest.BenchmarkAppendAudit(b, openTest(b, dsn))
}
