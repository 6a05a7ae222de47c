package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// pruningReader prunes the log (as retention does in mint serve) after
// Verify has read the anchor and before it reads the first page.
type pruningReader struct {
	mint.AuditStore
	before time.Time
	pruned int
	t      *testing.T
}

func (p *pruningReader) ListAudit(ctx context.Context, f mint.AuditFilter) ([]mint.AuditRecord, error) {
	if p.pruned == 0 {
		n, err := p.AuditStore.PruneAudit(ctx, p.before)
		if err != nil {
			p.t.Fatal(err)
		}
		p.pruned = n
	}
	return p.AuditStore.ListAudit(ctx, f)
}

// TestVerifyRacingRetention: a prune between reading the anchor and the
// records is not a broken chain, on either backend.
func TestVerifyRacingRetention(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			store := testdb.Open(t, backend)
			as, ok := store.(mint.AuditStore)
			if !ok {
				t.Fatalf("%s store keeps no audit log", backend)
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			var records []mint.AuditRecord
			for i := range 6 {
				records = append(records, mint.AuditRecord{Time: now.Add(time.Duration(i-10) * time.Hour), Kind: "x", Details: []byte(`{}`)})
			}
			if err := as.AppendAudit(ctx, records); err != nil {
				t.Fatal(err)
			}
			r := &pruningReader{AuditStore: as, before: now.Add(-6 * time.Hour), t: t}
			rep, err := audit.Verify(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if r.pruned != 4 {
				t.Fatalf("the race did not happen: %d pruned, want 4", r.pruned)
			}
			if !rep.OK || rep.First != 5 || rep.Last != 6 || rep.Anchor.Seq != 4 {
				t.Fatalf("report after a racing prune: %+v", rep)
			}
		})
	}
}
