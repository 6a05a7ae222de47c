package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

// auditPlanCases are the documented filters of the audit list (docs/audit.md,
// GET /admin/v1/audit) and the index each must be answered with.
var auditPlanCases = []auditPlanCase{
	{"kind", mint.AuditFilter{Kind: "auth.failure", Limit: 100}, []string{"audit_log_kind"}},
	{"kind prefix", mint.AuditFilter{Kind: "admin.", Limit: 100}, []string{"audit_log_kind"}},
	{"kind prefix newest", mint.AuditFilter{Kind: "admin.", NewestFirst: true, BeforeSeq: 900, Limit: 100}, []string{"audit_log_kind"}},
	{"client", mint.AuditFilter{ClientID: "client-7", Limit: 100}, []string{"audit_log_client_id", "audit_log_actor"}},
	{"since", mint.AuditFilter{Since: planEpoch.Add(5 * time.Hour), Limit: 100}, []string{"audit_log_time"}},
	{"until", mint.AuditFilter{Until: planEpoch.Add(time.Minute), Limit: 100}, []string{"INTEGER PRIMARY KEY"}},
}

type auditPlanCase struct {
	name   string
	filter mint.AuditFilter
	index  []string // every one must appear in the plan
}

var planEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// fillAudit appends n records: issuances by 100 clients, failures and admin
// changes, a second apart. The first asRows are written one row each, as
// before issuances were stored in blocks (issue 15): the audit_log of an
// upgraded database, where its indexes matter most.
func fillAudit(t *testing.T, s *Store, n, asRows int) {
	t.Helper()
	// Mostly issuances, as a real log: one failure in 100, one admin change
	// of each kind in 50.
	kinds := slices.Repeat([]string{mint.AuditTokenIssued}, 100)
	kinds[0] = mint.AuditAuthFailure
	kinds[1], kinds[51] = "admin.clients.create", "admin.apis.update"
	kinds[2], kinds[52] = "admin.clients.create", "admin.apis.update"
	var batch []mint.AuditRecord
	for i := range n {
		client := fmt.Sprintf("client-%d", i%100)
		actor := client
		kind := kinds[i%len(kinds)]
		if strings.HasPrefix(kind, "admin.") {
			actor = "admin"
		}
		batch = append(batch, mint.AuditRecord{Time: planEpoch.Add(time.Duration(i) * time.Second), Kind: kind,
			Actor: actor, ClientID: client, Subject: "s", Source: "127.0.0.1:1", Details: []byte(`{}`)})
		if len(batch) == 1000 || i == n-1 || i == asRows-1 {
			appendFill(t, s, batch, i < asRows)
			batch = batch[:0]
		}
	}
}

func auditPlan(t *testing.T, s *Store, f mint.AuditFilter) string {
	t.Helper()
	kinds, err := s.auditKinds(testContext(t), f.Kind)
	if err != nil {
		t.Fatal(err)
	}
	query, args := auditQuery(f, kinds)
	return explain(t, s, query, args)
}

func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.read.QueryContext(testContext(t), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// TestAuditFiltersUseIndexes: every documented filter is answered from its
// index, and dropping that index changes the plan (so the check can fail).
func TestAuditFiltersUseIndexes(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	fillAudit(t, s, 2000, 2000)
	for _, tc := range auditPlanCases {
		t.Run(tc.name, func(t *testing.T) {
			plan := auditPlan(t, s, tc.filter)
			t.Logf("plan:\n%s", plan)
			for _, index := range tc.index {
				if !strings.Contains(plan, index) {
					t.Errorf("the plan does not use %s:\n%s", index, plan)
				}
			}
		})
	}
}

// TestAuditIndexDropChangesPlan: without audit_log_kind the kind filter's
// plan no longer names it, so TestAuditFiltersUseIndexes would fail.
func TestAuditIndexDropChangesPlan(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	fillAudit(t, s, 200, 200)
	if _, err := s.write.ExecContext(testContext(t), `DROP INDEX audit_log_kind`); err != nil {
		t.Fatal(err)
	}
	if plan := auditPlan(t, s, mint.AuditFilter{Kind: "admin."}); strings.Contains(plan, "audit_log_kind") {
		t.Fatalf("plan still names the dropped index:\n%s", plan)
	}
}

// TestAuditPagesMatchTheFilter: paging any filter by seq, both ways, returns
// exactly the records the filter selects, in order.
func TestAuditPagesMatchTheFilter(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	fillAudit(t, s, 1500, 700)
	all, err := s.ListAudit(testContext(t), mint.AuditFilter{Limit: 10_000})
	if err != nil || len(all) != 1500 {
		t.Fatalf("ListAudit: %d records, %v", len(all), err)
	}
	cases := append(auditPlanCases[:len(auditPlanCases):len(auditPlanCases)],
		auditPlanCase{"kind prefix none", mint.AuditFilter{Kind: "zzz."}, nil},
		auditPlanCase{"kind prefix and client", mint.AuditFilter{Kind: "admin.", ClientID: "client-3"}, nil},
		auditPlanCase{"since and until", mint.AuditFilter{Since: planEpoch.Add(10 * time.Minute), Until: planEpoch.Add(20 * time.Minute)}, nil})
	for _, tc := range cases {
		for _, newest := range []bool{false, true} {
			f := tc.filter
			f.BeforeSeq, f.NewestFirst, f.Limit = 0, newest, 7
			t.Run(fmt.Sprintf("%s/newest=%v", tc.name, newest), func(t *testing.T) {
				want := matching(all, f)
				got := pageAll(t, s, f)
				if !slices.Equal(got, want) {
					t.Fatalf("got %d records %v…, want %d %v…", len(got), head(got), len(want), head(want))
				}
			})
		}
	}
}

func pageAll(t *testing.T, s mint.AuditStore, f mint.AuditFilter) []int64 {
	var seqs []int64
	for range 10_000 {
		page, err := s.ListAudit(testContext(t), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			seqs = append(seqs, r.Seq)
		}
		if len(page) < f.Limit {
			return seqs
		}
		if f.NewestFirst {
			f.BeforeSeq = page[len(page)-1].Seq
		} else {
			f.AfterSeq = page[len(page)-1].Seq
		}
	}
	t.Fatal("paging did not end")
	return nil
}

// matching is the filter applied to every record, in Go.
func matching(all []mint.AuditRecord, f mint.AuditFilter) []int64 {
	var seqs []int64
	for _, r := range all {
		switch {
		case f.ClientID != "" && r.ClientID != f.ClientID && r.Actor != f.ClientID,
			strings.HasSuffix(f.Kind, ".") && !strings.HasPrefix(r.Kind, f.Kind),
			f.Kind != "" && !strings.HasSuffix(f.Kind, ".") && r.Kind != f.Kind,
			!f.Since.IsZero() && r.Time.Before(f.Since),
			!f.Until.IsZero() && !r.Time.Before(f.Until):
			continue
		}
		seqs = append(seqs, r.Seq)
	}
	if f.NewestFirst {
		slices.Reverse(seqs)
	}
	return seqs
}

func head(s []int64) []int64 { return s[:min(len(s), 5)] }

func appendFill(t *testing.T, s *Store, batch []mint.AuditRecord, asRows bool) {
	t.Helper()
	inBlocks := audit.BlockRecord
	if asRows {
		inBlocks = func(mint.AuditRecord) bool { return false }
	}
	err := s.inTx(testContext(t), func(tx *sql.Tx) error { return appendChained(testContext(t), tx, inBlocks, batch, nil) })
	if err != nil {
		t.Fatal(err)
	}
}

// blockPlanCases are the reads of blocks (audit.BlockQuery) and the index
// each must be answered with.
var blockPlanCases = []struct {
	name  string
	q     audit.BlockQuery
	index []string
}{
	{"all", audit.BlockQuery{Limit: 2}, []string{"SCAN b"}},
	{"cursor", audit.BlockQuery{AfterSeq: 10_000, Limit: 2}, []string{"SEARCH b USING INTEGER PRIMARY KEY (rowid>?)", "SEARCH audit_block USING INTEGER PRIMARY KEY (rowid<?)"}},
	{"newest", audit.BlockQuery{BeforeSeq: 10_000, NewestFirst: true, Limit: 2}, []string{"SEARCH b USING INTEGER PRIMARY KEY (rowid<?)"}},
	{"client", audit.BlockQuery{ClientID: "client-7", AfterSeq: 10_000, Limit: 2}, []string{"SEARCH c USING PRIMARY KEY (client_id=? AND first_seq>?)", "SEARCH b USING INTEGER PRIMARY KEY (rowid=?)"}},
	{"since", audit.BlockQuery{Since: planEpoch.Add(5 * time.Hour), Limit: 2}, []string{"audit_block_time"}},
}

// TestAuditBlockReadsUseIndexes: every read of blocks seeks its start on an
// index, whatever the size of the log. Every block goes into the side index
// as it is written, as the blocks of a log longer than audit.IndexLag are.
func TestAuditBlockReadsUseIndexes(t *testing.T) {
	t.Cleanup(audit.SetIndexLag(1))
	s := openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	fillAudit(t, s, 20_000, 0)
	for _, tc := range blockPlanCases {
		t.Run(tc.name, func(t *testing.T) {
			query, args := blockQuery(tc.q)
			plan := explain(t, s, query, args)
			t.Logf("plan:\n%s", plan)
			for _, index := range tc.index {
				if !strings.Contains(plan, index) {
					t.Errorf("the plan does not use %s:\n%s", index, plan)
				}
			}
		})
	}
}
