package apply

import (
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

var measure = flag.Int("apply.measure", 0, "time a plan of N clients with their grants on both backends (docs/config-as-code.md)")

// TestMeasureApply times the plan, the one transaction and the plan again
// of a file of N clients, each with a grant on one API: how long apply
// holds other writers off. Run:
//
//	go test -run TestMeasureApply -v ./internal/apply/ -apply.measure 500
func TestMeasureApply(t *testing.T) {
	if *measure <= 0 {
		t.Skip("a measure: give -apply.measure N")
	}
	var b strings.Builder
	b.WriteString("version: 1\napis:\n  - {audience: https://a.example.com, name: A, scopes: [r]}\nclients:\n")
	for i := range *measure {
		fmt.Fprintf(&b, "  - {id: c%d, name: C%d}\n", i, i)
	}
	b.WriteString("grants:\n")
	for i := range *measure {
		fmt.Fprintf(&b, "  - {client: c%d, audience: https://a.example.com, scopes: [r]}\n", i)
	}
	for _, backend := range testdb.Backends {
		s := testdb.Open(t, backend)
		ctx := ctxOf(t)
		start := time.Now()
		p := planFile(t, ctx, s, b.String(), false)
		planned := time.Since(start)
		start = time.Now()
		if _, err := Apply(ctx, s.(mint.Applier), p, Options{}); err != nil {
			t.Fatal(err)
		}
		applied := time.Since(start)
		start = time.Now()
		again := planFile(t, ctx, s, b.String(), false)
		t.Logf("%s: %d creates: plan %v, apply %v (one transaction), plan again %v (%d steps)",
			backend, len(p.Steps), planned.Round(time.Millisecond), applied.Round(time.Millisecond),
			time.Since(start).Round(time.Millisecond), len(again.Steps))
	}
}
