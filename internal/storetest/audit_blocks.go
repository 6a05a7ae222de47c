package storetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

// Token issuances are stored in blocks, one per batch (issue 15; package
// audit, block.go). These tests pin down that readers see the same records
// as from rows, and that the chain still names what an attacker changed.

// blockBatch is a batch as the appender hands it over: a failure, ten
// issuances from three clients, a failure. Stored: row 1, block 2–11,
// row 12.
func blockBatch() []mint.AuditRecord {
	in := []mint.AuditRecord{rec(0, mint.AuditAuthFailure, "c0")}
	for i := 1; i <= 10; i++ {
		r := rec(i, mint.AuditTokenIssued, fmt.Sprint("c", i%3))
		r.Actor = r.ClientID
		r.Details = fmt.Appendf(nil, `{"audience":"https://a","scopes":["read"],"jti":"sub_%d"}`, i)
		in = append(in, r)
	}
	return append(in, rec(11, mint.AuditAuthFailure, "c1"))
}

func runBlockTamper(t *testing.T, open func(t *testing.T) mint.Store, tamper AuditTamper) {
	// reseal rewrites block 2–11 as an attacker who recomputes its hashes
	// would, from the records change returns.
	reseal := func(change func([]mint.AuditRecord) []mint.AuditRecord, moveLast bool) func(*testing.T, mint.Store, []mint.AuditRecord) {
		return func(t *testing.T, s mint.Store, all []mint.AuditRecord) {
			recs := change(slices.Clone(all[1:11]))
			b := audit.SealBlock(1, all[0].Hash, recs)
			last := int64(11)
			if moveLast {
				last = b.Last
			}
			tamper.Exec(t, s, `UPDATE audit_block SET payload = ?, last_seq = ? WHERE first_seq = 2`, b.Payload, last)
		}
	}
	payload := func(t *testing.T, s mint.Store, all []mint.AuditRecord) []byte {
		return audit.SealBlock(1, all[0].Hash, slices.Clone(all[1:11])).Payload
	}
	setPayload := func(change func(t *testing.T, p []byte, all []mint.AuditRecord) []byte) func(*testing.T, mint.Store, []mint.AuditRecord) {
		return func(t *testing.T, s mint.Store, all []mint.AuditRecord) {
			p := payload(t, s, all)
			tamper.Exec(t, s, `UPDATE audit_block SET payload = ? WHERE first_seq = 2`, change(t, p, all))
		}
	}
	replace := func(t *testing.T, p []byte, old, new []byte) []byte {
		t.Helper()
		if bytes.Count(p, old) != 1 {
			t.Fatalf("%q is %d times in the payload", old, bytes.Count(p, old))
		}
		return bytes.Replace(p, old, new, 1)
	}
	for _, tc := range []struct {
		name   string
		do     func(t *testing.T, s mint.Store, all []mint.AuditRecord)
		broken int64
	}{
		{"changed subject", setPayload(func(t *testing.T, p []byte, _ []mint.AuditRecord) []byte {
			return replace(t, p, []byte("sub_5"), []byte("sub_X"))
		}), 6},
		{"changed hash", setPayload(func(t *testing.T, p []byte, all []mint.AuditRecord) []byte {
			h := slices.Clone(all[7].Hash)
			h[0] ^= 1
			return replace(t, p, all[7].Hash, h)
		}), 8},
		{"changed the interned client", setPayload(func(t *testing.T, p []byte, _ []mint.AuditRecord) []byte {
			return replace(t, p, []byte("\x02c2"), []byte("\x02cX"))
		}), 3},
		{"removed a record, rest rechained", reseal(func(r []mint.AuditRecord) []mint.AuditRecord { return slices.Delete(r, 4, 5) }, true), 11},
		{"removed a record, row left", reseal(func(r []mint.AuditRecord) []mint.AuditRecord { return slices.Delete(r, 4, 5) }, false), 2},
		{"inserted a record, rest rechained", reseal(func(r []mint.AuditRecord) []mint.AuditRecord {
			return slices.Insert(r, 3, r[3])
		}, true), 12},
		{"deleted the block", func(t *testing.T, s mint.Store, _ []mint.AuditRecord) {
			tamper.Exec(t, s, `DELETE FROM audit_block WHERE first_seq = 2`)
		}, 2},
		{"moved the block", func(t *testing.T, s mint.Store, _ []mint.AuditRecord) {
			tamper.Exec(t, s, `UPDATE audit_block SET first_seq = 3 WHERE first_seq = 2`)
		}, 2},
		{"changed prev_hash", func(t *testing.T, s mint.Store, _ []mint.AuditRecord) {
			tamper.Exec(t, s, `UPDATE audit_block SET prev_hash = ? WHERE first_seq = 2`, make([]byte, 32))
		}, 2},
		{"truncated payload", setPayload(func(_ *testing.T, p []byte, _ []mint.AuditRecord) []byte { return p[:len(p)-1] }), 2},
		{"garbage payload", setPayload(func(_ *testing.T, p []byte, _ []mint.AuditRecord) []byte { return []byte("garbage") }), 2},
	} {
		t.Run("block/"+tc.name, func(t *testing.T) {
			ctx := testContext(t)
			store := open(t)
			s := store.(mint.AuditStore)
			must(t, "AppendAudit", s.AppendAudit(ctx, blockBatch()))
			verifyOK(t, ctx, s, 12)
			all, err := s.ListAudit(ctx, mint.AuditFilter{})
			must(t, "ListAudit", err)
			tc.do(t, store, all)
			wantBroken(t, ctx, s, tc.broken)
		})
	}

	// An upgraded database: issuances as rows, then in blocks, then rows
	// again, read and verified as one log.
	t.Run("mixed rows and blocks", func(t *testing.T) {
		ctx := testContext(t)
		store := open(t)
		s := store.(mint.AuditStore)
		var in []mint.AuditRecord
		for i := range 30 {
			r := rec(i, mint.AuditTokenIssued, fmt.Sprint("c", i%4))
			r.Actor = r.ClientID
			in = append(in, r)
		}
		tamper.AppendRows(t, store, in[:10])
		must(t, "AppendAudit", s.AppendAudit(ctx, in[10:20]))
		tamper.AppendRows(t, store, in[20:25])
		must(t, "AppendAudit", s.AppendAudit(ctx, in[25:]))
		verifyOK(t, ctx, s, 30)
		checkListings(t, ctx, s, in)
		all, err := s.ListAudit(ctx, mint.AuditFilter{})
		must(t, "ListAudit", err)

		// Pruning: rows one by one, blocks whole. Rows 1–10, block 11–20
		// (times 10–19 min), rows 21–25, block 26–30.
		for _, step := range []struct {
			before  int
			deleted int
			anchor  int64
		}{
			{15, 10, 10}, // block 11–20 holds records to keep: it stays, whole
			{27, 15, 25}, // the block, now all older, and rows 21–25
			{100, 5, 30}, // the last block: the anchor is its last record
		} {
			n, err := s.PruneAudit(ctx, at(step.before))
			must(t, "PruneAudit", err)
			rep := verifyOK(t, ctx, s, 30-int(step.anchor))
			if n != step.deleted || rep.Anchor.Seq != step.anchor || !bytes.Equal(rep.Anchor.Hash, all[step.anchor-1].Hash) {
				t.Fatalf("PruneAudit(t%d) deleted %d, anchor %d; want %d deleted, anchor %d with its hash",
					step.before, n, rep.Anchor.Seq, step.deleted, step.anchor)
			}
		}
		must(t, "AppendAudit after pruning", s.AppendAudit(ctx, in[:3]))
		verifyOK(t, ctx, s, 3)
		tamper.AppendRows(t, store, in[:2])
		tamper.Exec(t, store, `UPDATE audit_log SET subject = 'x' WHERE seq = 34`)
		wantBroken(t, ctx, s, 34)
	})
}

// testAuditBlocksListLikeRows: logs of rows and blocks of every size
// answer every filter, in both orders, paged with every limit, exactly as
// the filter's definition on the records appended says: blocks straddle
// cursors and pages; a client, kind or time found inside a block.
func testAuditBlocksListLikeRows(t *testing.T, ctx context.Context, store mint.Store) {
	s := store.(mint.AuditStore)
	rng := rand.New(rand.NewPCG(15, 15))
	var in []mint.AuditRecord
	n := 0
	for _, size := range []int{1, 7, 2, 40, 1, 3, 25, 9} {
		var batch []mint.AuditRecord
		if size%2 == 1 { // a failure ahead, as the appender puts them
			batch = append(batch, rec(n, mint.AuditAuthFailure, fmt.Sprint("c", rng.IntN(5))))
			n++
		}
		for range size {
			// Times go back and forth inside a batch: the appender sorts by
			// client, not time.
			r := rec(n+rng.IntN(5)-2, mint.AuditTokenIssued, fmt.Sprint("c", rng.IntN(5)))
			r.Actor, r.Subject = r.ClientID, fmt.Sprintf("sub_%d", n)
			batch = append(batch, r)
			n++
		}
		if size == 3 {
			batch = append(batch, rec(n, "admin.clients.update", "c1"))
			n++
		}
		must(t, "AppendAudit", s.AppendAudit(ctx, batch))
		in = append(in, batch...)
	}
	verifyOK(t, ctx, s, len(in))
	checkListings(t, ctx, s, in)
}

// checkListings lists s with many filters, paging through each with
// several limits in both orders, and compares with the records appended
// (in, in seq order from 1) filtered by the filter's definition.
func checkListings(t *testing.T, ctx context.Context, s mint.AuditStore, in []mint.AuditRecord) {
	t.Helper()
	filters := []mint.AuditFilter{
		{}, {ClientID: "c1"}, {ClientID: "c3"}, {ClientID: "admin_1"}, {ClientID: "nobody"},
		{Kind: mint.AuditTokenIssued}, {Kind: "token."}, {Kind: "admin."}, {Kind: mint.AuditAuthFailure},
		{Since: at(20)}, {Until: at(30)}, {Since: at(10), Until: at(40)},
		{ClientID: "c2", Kind: mint.AuditTokenIssued, Since: at(5)},
		{AfterSeq: 13}, {BeforeSeq: 40}, {AfterSeq: 3, BeforeSeq: 30, ClientID: "c0"},
	}
	for _, f := range filters {
		var want []string
		for i, r := range in {
			seq := int64(i + 1)
			tm := audit.Truncate(r.Time)
			if seq > f.AfterSeq && (f.BeforeSeq == 0 || seq < f.BeforeSeq) && audit.KindMatches(f.Kind, r.Kind) &&
				(f.ClientID == "" || f.ClientID == r.Actor || f.ClientID == r.ClientID) &&
				(f.Since.IsZero() || !tm.Before(f.Since)) && (f.Until.IsZero() || tm.Before(f.Until)) {
				want = append(want, fmt.Sprint(seq, r.Subject))
			}
		}
		for _, newest := range []bool{false, true} {
			w := want
			if newest {
				w = slices.Clone(want)
				slices.Reverse(w)
			}
			for _, limit := range []int{1, 2, 3, 7, 1000} {
				var got []string
				pf := f
				pf.NewestFirst, pf.Limit = newest, limit
				for page := 0; ; page++ {
					recs, err := s.ListAudit(ctx, pf)
					must(t, "ListAudit", err)
					if len(recs) > limit || page > len(in) {
						t.Fatalf("%+v: a page of %d records, page %d", pf, len(recs), page)
					}
					for _, r := range recs {
						got = append(got, fmt.Sprint(r.Seq, r.Subject))
						if !bytes.Equal(r.Hash, audit.Hash(r)) {
							t.Fatalf("%+v: record %d's hash does not match its fields", pf, r.Seq)
						}
					}
					if len(recs) < limit {
						break
					}
					if last := recs[len(recs)-1].Seq; newest {
						pf.BeforeSeq = last
					} else {
						pf.AfterSeq = last
					}
				}
				if !slices.Equal(got, w) {
					t.Fatalf("%+v, limit %d, newest first %v:\n got %v\nwant %v", f, limit, newest, got, w)
				}
			}
		}
	}
}
