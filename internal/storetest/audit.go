package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

// RunAudit runs the conformance suite of mint.AuditStore, on stores open
// returns as Run's does; each must also implement mint.AuditStore.
//
// It pins down: Seq starts at 1 and has no gaps, whatever appends race;
// Time comes back in UTC equal to the microsecond; Details come back
// byte for byte; a write given mint.WithAudit records exactly when it
// commits; pruning keeps a chain Verify accepts, from the anchor it moved.
func RunAudit(t *testing.T, open func(t *testing.T) mint.Store) {
	for _, tc := range auditCases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if _, ok := s.(mint.AuditStore); !ok {
				t.Fatalf("%T does not implement mint.AuditStore", s)
			}
			tc.run(t, testContext(t), s)
		})
	}
}

var auditCases = []testCase{
	{"AppendListRoundTrip", testAuditRoundTrip},
	{"Filters", testAuditFilters},
	{"ByClientAsActor", testAuditByClientAsActor},
	{"RacingAppendsStayLinear", testAuditRacing},
	{"WithAuditRecordsInTheWritesTransaction", testWithAudit},
	{"PruneKeepsTheChainVerifiable", testAuditPrune},
	{"APIAuditIssuance", testAPIAuditIssuance},
	{"LargeBatchesStayChained", testAuditLargeBatches},
	{"BlocksListLikeRows", testAuditBlocksListLikeRows},
	// The side index of blocks is written audit.IndexLag records behind
	// the blocks: above, no block is in it yet (a log's newest blocks);
	// below, every block is as soon as written (an older log's), or some.
	{"BlocksListLikeRowsIndexed", withIndexLag(1, testAuditBlocksListLikeRows)},
	{"BlocksListLikeRowsPartlyIndexed", withIndexLag(30, testAuditBlocksListLikeRows)},
	{"FiltersIndexed", withIndexLag(1, testAuditFilters)},
	{"ByClientAsActorIndexed", withIndexLag(1, testAuditByClientAsActor)},
	{"PruneIndexed", withIndexLag(1, testAuditPrune)},
}

// withIndexLag runs test with audit.IndexLag set to lag.
func withIndexLag(lag int64, test func(*testing.T, context.Context, mint.Store)) func(*testing.T, context.Context, mint.Store) {
	return func(t *testing.T, ctx context.Context, s mint.Store) {
		t.Cleanup(audit.SetIndexLag(lag))
		test(t, ctx, s)
	}
}

func rec(n int, kind, client string) mint.AuditRecord {
	return mint.AuditRecord{
		Time: t0.Add(time.Duration(n)*time.Minute + 123*time.Microsecond + 456*time.Nanosecond),
		Kind: kind, Actor: "admin_1", ClientID: client, Subject: fmt.Sprintf("sub_%d", n),
		Source: "127.0.0.1:5555", Details: []byte(fmt.Sprintf(`{"n": %d,  "spaced":true}`, n)),
	}
}

func verifyOK(t *testing.T, ctx context.Context, s mint.AuditStore, checked int) audit.Report {
	t.Helper()
	rep, err := audit.Verify(ctx, s)
	must(t, "Verify", err)
	if !rep.OK || rep.Checked != checked {
		t.Fatalf("Verify = %+v, want OK with %d records checked", rep, checked)
	}
	return rep
}

func testAuditRoundTrip(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	verifyOK(t, ctx, s, 0)
	in := []mint.AuditRecord{rec(0, "admin.apis.create", ""), rec(1, mint.AuditTokenIssued, "c1")}
	must(t, "AppendAudit", s.AppendAudit(ctx, in))
	must(t, "AppendAudit", s.AppendAudit(ctx, []mint.AuditRecord{rec(2, mint.AuditAuthFailure, "c2")}))
	got, err := s.ListAudit(ctx, mint.AuditFilter{})
	must(t, "ListAudit", err)
	if len(got) != 3 {
		t.Fatalf("ListAudit returned %d records, want 3", len(got))
	}
	prev := audit.Genesis
	for i, r := range got {
		want := rec(i, r.Kind, r.ClientID)
		if r.Seq != int64(i+1) {
			t.Errorf("record %d: Seq = %d", i, r.Seq)
		}
		if r.Time.Location() != time.UTC || !r.Time.Equal(audit.Truncate(want.Time)) {
			t.Errorf("record %d: Time = %v, want %v in UTC", i, r.Time, audit.Truncate(want.Time))
		}
		if !bytes.Equal(r.Details, want.Details) || r.Actor != want.Actor || r.Subject != want.Subject || r.Source != want.Source {
			t.Errorf("record %d = %+v, want fields of %+v", i, r, want)
		}
		if !bytes.Equal(r.PrevHash, prev) || !bytes.Equal(r.Hash, audit.Hash(r)) {
			t.Errorf("record %d is not chained: prev %x, hash %x", i, r.PrevHash, r.Hash)
		}
		prev = r.Hash
	}
	rep := verifyOK(t, ctx, s, 3)
	if rep.Anchor.Seq != 0 || rep.Anchor.HeadSeq != 3 {
		t.Errorf("anchor = %+v, want seq 0, head 3", rep.Anchor)
	}
}

func testAuditFilters(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	must(t, "AppendAudit", s.AppendAudit(ctx, []mint.AuditRecord{
		rec(0, "admin.apis.create", ""), rec(1, "admin.clients.create", "c1"),
		rec(2, mint.AuditTokenIssued, "c1"), rec(3, mint.AuditAuthFailure, "c2"),
		rec(4, mint.AuditTokenIssued, "c2"),
	}))
	seqs := func(f mint.AuditFilter) []string {
		got, err := s.ListAudit(ctx, f)
		must(t, "ListAudit", err)
		return ids(got, func(r mint.AuditRecord) string { return fmt.Sprint(r.Seq) })
	}
	for _, tc := range []struct {
		name string
		f    mint.AuditFilter
		want []string
	}{
		{"client", mint.AuditFilter{ClientID: "c1"}, []string{"2", "3"}},
		{"actor", mint.AuditFilter{ClientID: "admin_1"}, []string{"1", "2", "3", "4", "5"}},
		{"kind", mint.AuditFilter{Kind: mint.AuditTokenIssued}, []string{"3", "5"}},
		{"kind prefix", mint.AuditFilter{Kind: "admin."}, []string{"1", "2"}},
		{"kind is not a prefix without the dot", mint.AuditFilter{Kind: "admin"}, nil},
		{"since", mint.AuditFilter{Since: at(3)}, []string{"4", "5"}},
		{"until", mint.AuditFilter{Until: at(1)}, []string{"1"}},
		{"after seq and limit", mint.AuditFilter{AfterSeq: 1, Limit: 2}, []string{"2", "3"}},
		{"combined", mint.AuditFilter{ClientID: "c2", Kind: mint.AuditTokenIssued, Since: at(1), Until: at(9)}, []string{"5"}},
		{"newest first", mint.AuditFilter{NewestFirst: true, Limit: 2}, []string{"5", "4"}},
		{"newest first, next page", mint.AuditFilter{NewestFirst: true, BeforeSeq: 4, Limit: 2}, []string{"3", "2"}},
		{"newest first, filtered", mint.AuditFilter{NewestFirst: true, ClientID: "c2"}, []string{"5", "4"}},
		{"before seq, oldest first", mint.AuditFilter{BeforeSeq: 3}, []string{"1", "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantIDs(t, "seqs", seqs(tc.f), tc.want) })
	}
}

// testAuditByClientAsActor: a query by client finds, once each, the records
// about the client and those it made, including issuances, where it is
// both (issue 15 indexes actor only where it differs from client_id).
func testAuditByClientAsActor(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	by := func(n int, kind, actor, client string) mint.AuditRecord {
		r := rec(n, kind, client)
		r.Actor = actor
		return r
	}
	must(t, "AppendAudit", s.AppendAudit(ctx, []mint.AuditRecord{
		by(0, "admin.clients.create", "admin_1", "c1"),
		by(1, mint.AuditTokenIssued, "c1", "c1"),
		by(2, "admin.clients.update", "c1", "c2"), // c1 is an admin too
		by(3, mint.AuditTokenIssued, "c2", "c2"),
		by(4, mint.AuditTokenIssued, "c1", "c1"),
	}))
	seqs := func(f mint.AuditFilter) []string {
		got, err := s.ListAudit(ctx, f)
		must(t, "ListAudit", err)
		return ids(got, func(r mint.AuditRecord) string { return fmt.Sprint(r.Seq) })
	}
	for _, tc := range []struct {
		name string
		f    mint.AuditFilter
		want []string
	}{
		{"about or by c1", mint.AuditFilter{ClientID: "c1"}, []string{"1", "2", "3", "5"}},
		{"about or by c2", mint.AuditFilter{ClientID: "c2"}, []string{"3", "4"}},
		{"admin_1", mint.AuditFilter{ClientID: "admin_1"}, []string{"1"}},
		{"newest first", mint.AuditFilter{ClientID: "c1", NewestFirst: true, Limit: 2}, []string{"5", "3"}},
		{"newest first, next page", mint.AuditFilter{ClientID: "c1", NewestFirst: true, BeforeSeq: 3, Limit: 2}, []string{"2", "1"}},
		{"issuances of c1", mint.AuditFilter{ClientID: "c1", Kind: mint.AuditTokenIssued}, []string{"2", "5"}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantIDs(t, "seqs", seqs(tc.f), tc.want) })
	}
}

func testAuditRacing(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	const writers, each = 8, 5
	errs := concurrently(writers, func(i int) error {
		for j := range each {
			if err := s.AppendAudit(ctx, []mint.AuditRecord{rec(j, mint.AuditTokenIssued, fmt.Sprint("c", i)), rec(j, "x", "")}); err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		must(t, "AppendAudit", err)
	}
	verifyOK(t, ctx, s, writers*each*2)
}

func testWithAudit(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	record := func(kind string) context.Context {
		return mint.WithAudit(ctx, func() mint.AuditRecord { return rec(0, kind, "") })
	}
	api := mint.API{ID: "api_1", Name: "A", Audience: "https://a", CreatedAt: t0, UpdatedAt: t0}
	must(t, "CreateAPI", store.CreateAPI(record("admin.apis.create"), api))
	wantErr(t, "CreateAPI twice", store.CreateAPI(record("admin.apis.create"), api), mint.ErrConflict)
	_, err := store.UpdateAPI(record("admin.apis.update"), api.ID, func(a mint.API) (mint.API, error) { return a, errAbort })
	wantErr(t, "aborted UpdateAPI", err, errAbort)
	_, err = store.UpdateAPI(record("admin.apis.update"), api.ID, func(a mint.API) (mint.API, error) { a.Name = "B"; return a, nil })
	must(t, "UpdateAPI", err)
	c := mint.Client{ID: "cl_1", Name: "c", CreatedAt: t0, UpdatedAt: t0}
	must(t, "CreateClient", store.CreateClient(record("admin.clients.create"), c, mint.Secret{ID: "s1", ClientID: c.ID, Digest: []byte{1}, CreatedAt: t0}))
	must(t, "RotateSecret", store.RotateSecret(record("admin.clients.rotate-secret"), mint.Secret{ID: "s2", ClientID: c.ID, Digest: []byte{2}, CreatedAt: t0}, t0))
	must(t, "DeleteSecret", store.DeleteSecret(record("admin.secrets.delete"), c.ID, "s1"))
	g := mint.Grant{ID: "gr_1", ClientID: c.ID, Audience: api.Audience, CreatedAt: t0, UpdatedAt: t0}
	must(t, "CreateGrant", store.CreateGrant(record("admin.grants.create"), g))
	_, err = store.UpdateGrant(record("admin.grants.update"), g.ID, func(g mint.Grant) (mint.Grant, error) { return g, nil })
	must(t, "UpdateGrant", err)
	must(t, "DeleteGrant", store.DeleteGrant(record("admin.grants.delete"), g.ID))
	wantErr(t, "DeleteGrant again", store.DeleteGrant(record("admin.grants.delete"), g.ID), mint.ErrNotFound)
	_, err = store.UpdateSigningKeys(record("admin.keys.rotate"), func(k []mint.SigningKey) ([]mint.SigningKey, error) { return k, nil })
	must(t, "UpdateSigningKeys", err)
	_, err = store.UpdateClient(record("admin.clients.update"), c.ID, func(c mint.Client) (mint.Client, error) { return c, nil })
	must(t, "UpdateClient", err)
	must(t, "DeleteClient", store.DeleteClient(record("admin.clients.delete"), c.ID))
	must(t, "DeleteAPI", store.DeleteAPI(record("admin.apis.delete"), api.ID))
	wantErr(t, "DeleteAPI again", store.DeleteAPI(record("admin.apis.delete"), api.ID), mint.ErrNotFound)
	must(t, "RecordSecretUse without audit", store.RecordSecretUse(ctx, map[string]time.Time{"s2": t0}))

	got, err := s.ListAudit(ctx, mint.AuditFilter{})
	must(t, "ListAudit", err)
	wantIDs(t, "kinds recorded", ids(got, func(r mint.AuditRecord) string { return r.Kind }), []string{
		"admin.apis.create", "admin.apis.update", "admin.clients.create", "admin.clients.rotate-secret",
		"admin.secrets.delete", "admin.grants.create", "admin.grants.update", "admin.grants.delete",
		"admin.keys.rotate", "admin.clients.update", "admin.clients.delete", "admin.apis.delete",
	})
	verifyOK(t, ctx, s, len(got))
}

func testAuditPrune(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	n, err := s.PruneAudit(ctx, at(100))
	must(t, "PruneAudit on an empty log", err)
	if n != 0 {
		t.Fatalf("PruneAudit on an empty log deleted %d", n)
	}
	// Two batches of issuances: two blocks, 1–5 and 6–10. Blocks are
	// pruned whole, so a retention falling inside the second keeps it.
	for b := range 2 {
		var in []mint.AuditRecord
		for i := range 5 {
			in = append(in, rec(5*b+i, mint.AuditTokenIssued, "c"))
		}
		must(t, "AppendAudit", s.AppendAudit(ctx, in))
	}
	all, err := s.ListAudit(ctx, mint.AuditFilter{})
	must(t, "ListAudit", err)

	n, err = s.PruneAudit(ctx, at(7))
	must(t, "PruneAudit", err)
	if n != 5 {
		t.Fatalf("PruneAudit(t7) deleted %d, want 5 (the first block, whole; the second holds records to keep)", n)
	}
	rep := verifyOK(t, ctx, s, 5)
	if rep.Anchor.Seq != 5 || !bytes.Equal(rep.Anchor.Hash, all[4].Hash) || rep.First != 6 || rep.Anchor.Pruned.IsZero() {
		t.Errorf("after pruning: %+v, want anchor 5 with record 5's hash, first 6", rep)
	}
	n, err = s.PruneAudit(ctx, at(7))
	must(t, "PruneAudit again", err)
	if n != 0 {
		t.Errorf("PruneAudit again deleted %d, want 0", n)
	}
	must(t, "AppendAudit after pruning", s.AppendAudit(ctx, []mint.AuditRecord{rec(20, "x", "")}))
	_, err = s.PruneAudit(ctx, at(1000))
	must(t, "PruneAudit everything", err)
	rep = verifyOK(t, ctx, s, 0)
	if rep.Anchor.Seq != 11 || rep.Anchor.HeadSeq != 11 {
		t.Errorf("after pruning everything: anchor %+v, want seq and head 11", rep.Anchor)
	}
	must(t, "AppendAudit after pruning everything", s.AppendAudit(ctx, []mint.AuditRecord{rec(21, "x", "")}))
	verifyOK(t, ctx, s, 1)
}

func testAPIAuditIssuance(t *testing.T, ctx context.Context, s mint.Store) {
	api := mint.API{ID: "api_1", Name: "A", Audience: "https://a", AuditIssuance: "sample:10", CreatedAt: t0, UpdatedAt: t0}
	must(t, "CreateAPI", s.CreateAPI(ctx, api))
	got, err := s.GetAPI(ctx, api.ID)
	must(t, "GetAPI", err)
	if got.AuditIssuance != "sample:10" {
		t.Fatalf("AuditIssuance = %q, want sample:10", got.AuditIssuance)
	}
	got, err = s.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) { a.AuditIssuance = mint.AuditOff; return a, nil })
	must(t, "UpdateAPI", err)
	if got.AuditIssuance != mint.AuditOff {
		t.Fatalf("AuditIssuance after update = %q, want off", got.AuditIssuance)
	}
}

// AuditTamper is how the tamper suite reaches past a store, as someone
// with write access to its database would.
type AuditTamper struct {
	// Exec runs one SQL statement on the store's database; its arguments
	// are ? placeholders, numbered in order where the backend needs it.
	Exec func(t *testing.T, s mint.Store, query string, args ...any)
	// AppendRows appends records as one row each, as mint did for token
	// issuances before they were stored in blocks (issue 15): the rows an
	// upgraded database holds.
	AppendRows func(t *testing.T, s mint.Store, records []mint.AuditRecord)
}

// RunAuditTamper checks that Verify names the record an attacker changed
// or deleted, in rows (admin changes, failures, issuances written before
// blocks) and in blocks (audit_blocks.go).
func RunAuditTamper(t *testing.T, open func(t *testing.T) mint.Store, tamper AuditTamper) {
	for _, tc := range []struct {
		name, query string
		broken      int64
	}{
		{"changed actor", `UPDATE audit_log SET actor = 'someone else' WHERE seq = 4`, 4},
		{"changed details", `UPDATE audit_log SET details = '{}' WHERE seq = 7`, 7},
		{"changed seq of the last", `UPDATE audit_log SET seq = 11 WHERE seq = 10`, 10},
		{"deleted", `DELETE FROM audit_log WHERE seq = 6`, 6},
		{"deleted the newest", `DELETE FROM audit_log WHERE seq >= 9`, 9},
		{"rechained one", `UPDATE audit_log SET prev_hash = hash WHERE seq = 3`, 3},
	} {
		for _, kind := range []string{mint.AuditAuthFailure, mint.AuditTokenIssued} {
			t.Run(tc.name+"/"+kind, func(t *testing.T) {
				ctx := testContext(t)
				store := open(t)
				s := store.(mint.AuditStore)
				var in []mint.AuditRecord
				for i := range 10 {
					in = append(in, rec(i, kind, "c"))
				}
				if kind == mint.AuditTokenIssued { // rows written before blocks
					tamper.AppendRows(t, store, in)
				} else {
					must(t, "AppendAudit", s.AppendAudit(ctx, in))
				}
				verifyOK(t, ctx, s, 10)
				tamper.Exec(t, store, tc.query)
				wantBroken(t, ctx, s, tc.broken)
			})
		}
	}
	runBlockTamper(t, open, tamper)
}

func wantBroken(t *testing.T, ctx context.Context, s mint.AuditStore, broken int64) {
	t.Helper()
	rep, err := audit.Verify(ctx, s)
	must(t, "Verify", err)
	if rep.OK || rep.BrokenSeq != broken {
		t.Fatalf("Verify = %+v, want broken at %d", rep, broken)
	}
	t.Logf("%s", rep.Problem)
}

// testAuditLargeBatches appends batches of sizes a store may split into
// several statements (the appender writes up to 500 at once) and checks the
// chain stays whole across the splits.
func testAuditLargeBatches(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	n := 0
	for _, size := range []int{1, 63, 64, 65, 500, 129} {
		batch := make([]mint.AuditRecord, size)
		for i := range batch {
			batch[i] = rec(n, mint.AuditTokenIssued, fmt.Sprintf("c%d", n%7))
			n++
		}
		must(t, "AppendAudit", s.AppendAudit(ctx, batch))
	}
	got, err := s.ListAudit(ctx, mint.AuditFilter{})
	must(t, "ListAudit", err)
	if len(got) != n {
		t.Fatalf("ListAudit returned %d records, want %d", len(got), n)
	}
	for i, r := range got {
		if r.Seq != int64(i+1) || r.Subject != fmt.Sprintf("sub_%d", i) {
			t.Fatalf("record %d: seq %d, subject %q: out of order", i, r.Seq, r.Subject)
		}
	}
	verifyOK(t, ctx, s, n)
}

// BenchmarkAppendAudit measures appending token-issuance records in the
// appender's batches of 500; ns/op is per record.
func BenchmarkAppendAudit(b *testing.B, s mint.AuditStore) {
	const batchSize = 500
	details := []byte(`{"aud":"https://api.example.com","scope":"read:cargo write:cargo","jti":"01JDW6X4R9Q2Z8M7K5H3F1D0BA","exp":1795000000}`)
	batch := make([]mint.AuditRecord, batchSize)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batchSize {
		now := time.Now()
		for i := range batch {
			batch[i] = mint.AuditRecord{Time: now, Kind: mint.AuditTokenIssued, Actor: "client_bench",
				ClientID: "client_bench", Subject: "client_bench@clients", Source: "127.0.0.1", Details: details}
		}
		if err := s.AppendAudit(ctx, batch[:min(batchSize, b.N-done)]); err != nil {
			b.Fatal(err)
		}
	}
}
