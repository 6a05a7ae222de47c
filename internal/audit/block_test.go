package audit_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

var blockT0 = time.Date(2026, 3, 1, 12, 0, 0, 123_456_789, time.UTC)

// blockCases are batches a block must store exactly: the issuances the
// token endpoint makes, and whatever else a record may hold.
var blockCases = []struct {
	name    string
	records []mint.AuditRecord
}{
	{"one", []mint.AuditRecord{issuance(0, 1)}},
	{"many clients", func() (rs []mint.AuditRecord) {
		for i := range 300 {
			rs = append(rs, issuance(i, 37))
		}
		return rs
	}()},
	{"edge fields", []mint.AuditRecord{
		{Time: blockT0, Kind: mint.AuditTokenIssued},                                                     // all empty
		{Time: blockT0.Add(-time.Hour), Kind: mint.AuditTokenIssued, Subject: "j", Details: []byte("j")}, // details is the subject
		{Time: blockT0, Kind: mint.AuditTokenIssued, Subject: "jj", Details: []byte(`{"a":"jj","b":"jj"}`)},
		{Time: blockT0, Kind: mint.AuditTokenIssued, Subject: "absent", Details: []byte(`{"x":1}`)},
		{Time: blockT0, Kind: mint.AuditTokenIssued, Actor: "ä\x00\xff", ClientID: "c", Source: "[::1]:1", Subject: "é", Details: []byte(`"é"`)},
		{Time: time.Unix(0, 0), Kind: "other.kind", Actor: "a", ClientID: "b"},
		{Time: blockT0.Add(24 * 365 * time.Hour), Kind: mint.AuditTokenIssued, Details: bytes.Repeat([]byte("x"), 70_000)},
	}},
}

// rowChain seals records one by one, as rows are, after (seq, prev).
func rowChain(seq int64, prev []byte, records []mint.AuditRecord) []mint.AuditRecord {
	out := slices.Clone(records)
	for i := range out {
		out[i].Seq = seq + 1 + int64(i)
		audit.Seal(&out[i], prev)
		prev = out[i].Hash
	}
	return out
}

// TestBlockRoundTrip: a block decodes to the records it was sealed from,
// with the hashes they would have as rows: the chain does not depend on
// how records are stored.
func TestBlockRoundTrip(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, audit.HashSize)
	for _, tc := range blockCases {
		t.Run(tc.name, func(t *testing.T) {
			want := rowChain(41, prev, tc.records)
			b := audit.SealBlock(41, prev, tc.records)
			if b.First != 42 || b.Last != 41+int64(len(tc.records)) || !bytes.Equal(b.Hash, want[len(want)-1].Hash) {
				t.Fatalf("block %d–%d, head %x; want %d–%d, head %x", b.First, b.Last, b.Hash, 42, want[len(want)-1].Seq, want[len(want)-1].Hash)
			}
			got, err := b.Decode(b.Last, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				if !sameRecord(got[i], want[i]) {
					t.Fatalf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
			for _, r := range want {
				for _, c := range []string{r.ClientID, r.Actor} {
					if _, ok := slices.BinarySearch(b.Clients, c); c != "" && !ok {
						t.Errorf("client %q is not in the side index rows %v", c, b.Clients)
					}
				}
			}
		})
	}
}

// TestBlockIsCompact: an issuance from the token endpoint costs a few dozen
// bytes besides its hash, what makes a block cheap to write.
func TestBlockIsCompact(t *testing.T) {
	var rs []mint.AuditRecord
	for i := range 5000 {
		rs = append(rs, issuance(i, 1000))
	}
	b := audit.SealBlock(0, audit.Genesis, rs)
	per := len(b.Payload) / len(rs)
	t.Logf("%d bytes a record, %d of them the hash", per, audit.HashSize)
	if per > audit.HashSize+40 {
		t.Fatalf("%d bytes a record", per)
	}
}

func TestBlockFilterAndLastHash(t *testing.T) {
	b := audit.SealBlock(9, audit.Genesis, blockCases[1].records)
	got, err := b.Decode(b.Last, func(seq int64, _ time.Time, _, _, client []byte) bool { return string(client) == "client-3" })
	if err != nil {
		t.Fatal(err)
	}
	all := rowChain(9, audit.Genesis, blockCases[1].records)
	var want []mint.AuditRecord
	for _, r := range all {
		if r.ClientID == "client-3" {
			want = append(want, r)
		}
	}
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("%d records of client-3, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameRecord(got[i], want[i]) {
			t.Fatalf("record %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if h := audit.LastHash(audit.StoredBlock{Block: b.Block, Last: b.Last}); !bytes.Equal(h, b.Hash) {
		t.Fatalf("LastHash %x, want %x", h, b.Hash)
	}
	if _, err := b.Decode(b.Last+1, nil); err == nil {
		t.Fatal("a block whose row claims one more record decodes")
	}
}

func sameRecord(a, b mint.AuditRecord) bool {
	return a.Seq == b.Seq && a.Time.Equal(b.Time) && a.Time.Location() == time.UTC && a.Kind == b.Kind &&
		a.Actor == b.Actor && a.ClientID == b.ClientID && a.Subject == b.Subject && a.Source == b.Source &&
		bytes.Equal(a.Details, b.Details) && bytes.Equal(a.PrevHash, b.PrevHash) && bytes.Equal(a.Hash, b.Hash)
}

// FuzzBlockDecode: whatever bytes a block's payload holds (an attacker
// with write access to the database chooses them), Decode does not panic
// or hang, and what it decodes either fails verification against the
// chain the block was part of, or is exactly the records sealed: a changed
// payload cannot change a record unseen.
func FuzzBlockDecode(f *testing.F) {
	prev := bytes.Repeat([]byte{3}, audit.HashSize)
	for _, tc := range blockCases[:2] {
		f.Add(audit.SealBlock(0, prev, tc.records).Payload, uint(0))
	}
	f.Add([]byte{1, 1, 0, 0}, uint(0))
	f.Add([]byte{}, uint(0))
	orig := blockCases[1].records
	sealed := audit.SealBlock(0, prev, orig)
	want := rowChain(0, prev, orig)
	f.Add(sealed.Payload, uint(17))
	f.Fuzz(func(t *testing.T, payload []byte, flip uint) {
		// Either the fuzzer's bytes, or the real block with one byte flipped.
		if flip > 0 && len(payload) == len(sealed.Payload) {
			payload = slices.Clone(sealed.Payload)
			payload[int(flip)%len(payload)] ^= byte(flip>>8) | 1
		}
		b := audit.Block{First: 1, PrevHash: prev, Payload: payload}
		got, err := b.Decode(0, nil)
		if err != nil {
			return
		}
		c := audit.Chain{Seq: 0, Hash: prev}
		for _, r := range got {
			if _, problem := c.Next(r); problem != "" {
				return // verification names it
			}
		}
		if !bytes.Equal(c.Hash, sealed.Hash) {
			return // the next record, or the head, does not chain to it
		}
		if len(got) != len(want) {
			t.Fatalf("%d records verify as the block's %d", len(got), len(want))
		}
		for i := range want {
			if !sameRecord(got[i], want[i]) {
				t.Fatalf("record %d changed and still verifies: %+v", i, got[i])
			}
		}
	})
}

// FuzzBlockRoundTrip: any record fields survive a block.
func FuzzBlockRoundTrip(f *testing.F) {
	f.Add("client", "jti-1", "127.0.0.1:1", []byte(`{"jti":"jti-1"}`), int64(0))
	f.Add("", "", "", []byte(nil), int64(-1))
	f.Fuzz(func(t *testing.T, client, subject, source string, details []byte, dt int64) {
		rs := []mint.AuditRecord{
			{Time: blockT0, Kind: mint.AuditTokenIssued, Actor: client, ClientID: client, Subject: subject, Source: source, Details: details},
			{Time: blockT0.Add(time.Duration(dt % (1 << 50))), Kind: mint.AuditTokenIssued, Actor: "x", ClientID: client, Subject: subject + "2", Source: source, Details: details},
		}
		want := rowChain(5, audit.Genesis, rs)
		b := audit.SealBlock(5, audit.Genesis, rs)
		got, err := b.Decode(b.Last, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if !sameRecord(got[i], want[i]) {
				t.Fatalf("record %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
	})
}

func ExampleSealBlock() {
	b := audit.SealBlock(0, audit.Genesis, []mint.AuditRecord{issuance(1, 1), issuance(2, 1)})
	fmt.Println(b.First, b.Last, b.Clients)
	// Output: 1 2 [client-0]
}
