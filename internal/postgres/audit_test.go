package postgres

import (
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

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
	}, storetest.AuditTamper{
		Exec: func(t *testing.T, s mint.Store, query string, args ...any) {
			// The suite's placeholders are ?: number them.
			var b strings.Builder
			n := 0
			for _, part := range strings.Split(query, "?") {
				if n > 0 {
					b.WriteString("$" + strconv.Itoa(n))
				}
				b.WriteString(part)
				n++
			}
			if _, err := s.(*Store).pool.Exec(testContext(t), b.String(), args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		},
		AppendRows: func(t *testing.T, s mint.Store, records []mint.AuditRecord) {
			err := s.(*Store).inTx(testContext(t), func(tx pgx.Tx) error {
				return appendChained(testContext(t), tx, func(mint.AuditRecord) bool { return false }, records, nil)
			})
			if err != nil {
				t.Fatal(err)
			}
		},
	})
}

func BenchmarkAppendAudit(b *testing.B) {
	_, dsn := freshSchema(b)
	storetest.BenchmarkAppendAudit(b, openTest(b, dsn))
}
