package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

func spillRecord(i int) mint.AuditRecord {
	return mint.AuditRecord{Time: time.UnixMicro(1_700_000_000_000_000 + int64(i)).UTC(), Kind: mint.AuditTokenIssued,
		Actor: "c", ClientID: "c", Subject: fmt.Sprintf("jti-%06d", i), Source: "127.0.0.1:1",
		Details: []byte(`{"audience":"a"}`)}
}

func openSpill(t *testing.T, path string, max int64) *Spill {
	t.Helper()
	s, err := OpenSpill(path, max)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func addSpill(t *testing.T, s *Spill, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if n, err := s.Add(spillRecord(i)); n != 0 || err != nil {
			t.Fatalf("Add(%d): %d not added, %v", i, n, err)
		}
	}
}

// drain reads every record left, committing as it goes, and returns their
// subjects in order.
func drain(t *testing.T, s *Spill, batch int) []string {
	t.Helper()
	var got []string
	for s.Pending() > 0 {
		rs, next, lost, err := s.Peek(batch)
		if err != nil || lost != 0 {
			t.Fatalf("Peek: %d lost, %v", lost, err)
		}
		for _, r := range rs {
			got = append(got, r.Subject)
		}
		if err := s.Commit(next, len(rs)); err != nil {
			t.Fatal(err)
		}
	}
	return got
}

func subjects(from, to int) []string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, spillRecord(i).Subject)
	}
	return s
}

func sameStrings(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// The file keeps records in order, gives them back whole, and is emptied
// once they are all written.
func TestSpillRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openSpill(t, filepath.Join(dir, spillName), 0)
	defer s.Close()
	addSpill(t, s, 0, 25)
	rs, _, _, err := s.Peek(1)
	if err != nil || len(rs) != 1 {
		t.Fatalf("Peek: %v %v", rs, err)
	}
	if want := spillRecord(0); rs[0].Subject != want.Subject || !rs[0].Time.Equal(want.Time) ||
		string(rs[0].Details) != string(want.Details) || rs[0].Source != want.Source {
		t.Fatalf("record read back = %+v, want %+v", rs[0], want)
	}
	if got := drain(t, s, 10); !sameStrings(got, subjects(0, 25)) {
		t.Fatalf("drained %v", got)
	}
	if s.Active() {
		t.Error("spill still active once drained")
	}
	if st, _ := os.Stat(filepath.Join(dir, spillName)); st.Size() != spillHeaderSize {
		t.Errorf("drained spill file is %d bytes, want the header's %d", st.Size(), spillHeaderSize)
	}
}

// A restarted mint sends what the previous run left, and not what it had
// already written.
func TestSpillReplaysAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s := openSpill(t, filepath.Join(dir, spillName), 0)
	addSpill(t, s, 0, 30)
	rs, next, _, _ := s.Peek(10)
	if err := s.Commit(next, len(rs)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSpill(t, filepath.Join(dir, spillName), 0)
	defer s.Close()
	if !s.Active() || s.Pending() != 20 {
		t.Fatalf("reopened: active %v, %d pending; want 20", s.Active(), s.Pending())
	}
	addSpill(t, s, 30, 35)
	if got := drain(t, s, 7); !sameStrings(got, subjects(10, 35)) {
		t.Fatalf("drained %v", got)
	}
}

// A crash's torn tail or garbage after the last record is dropped, not
// fatal; a torn header sends everything again (duplicates, never losses).
func TestSpillTornTail(t *testing.T) {
	for _, tc := range []struct {
		name    string
		damage  func(t *testing.T, path string)
		pending int
	}{
		{"cut inside the last record", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			os.Truncate(path, st.Size()-3)
		}, 9},
		{"cut inside the last record's head", func(t *testing.T, path string) {
			st, _ := os.Stat(path)
			rec := int64(spillRecordHead + len(Encode(spillRecord(9))))
			os.Truncate(path, st.Size()-rec+5)
		}, 9},
		{"garbage after the last record", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte{0, 0, 0, 4, 1, 2, 3, 4, 9, 9})
			f.Close()
		}, 10},
		{"a flipped byte in the last record", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			st, _ := f.Stat()
			f.WriteAt([]byte{0xff}, st.Size()-2)
			f.Close()
		}, 9},
		{"a torn header", func(t *testing.T, path string) {
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			f.WriteAt([]byte{0xff}, 12)
			f.Close()
		}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openSpill(t, filepath.Join(dir, spillName), 0)
			addSpill(t, s, 0, 10)
			s.Close()
			tc.damage(t, filepath.Join(dir, spillName))
			s = openSpill(t, filepath.Join(dir, spillName), 0)
			defer s.Close()
			if s.Pending() != tc.pending {
				t.Fatalf("pending after damage = %d, want %d", s.Pending(), tc.pending)
			}
			addSpill(t, s, 10, 12) // appended after the dropped tail, readable
			want := append(subjects(0, tc.pending), subjects(10, 12)...)
			if got := drain(t, s, 100); !sameStrings(got, want) {
				t.Fatalf("drained %v, want %v", got, want)
			}
		})
	}
}

// A file that is not a spill file, large or small, is refused and left
// as it was.
func TestSpillRefusesAForeignFile(t *testing.T) {
	for _, content := range []string{"SQLite format 3\x00 and more bytes", "key=1\n", "MINTSPL2"} {
		path := filepath.Join(t.TempDir(), spillName)
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := OpenSpill(path, 0); err == nil {
			t.Errorf("OpenSpill took %q", content)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Errorf("OpenSpill changed %q to %q", content, b)
		}
	}
	path := filepath.Join(t.TempDir(), spillName)
	os.WriteFile(path, []byte("MINTS"), 0o600) // a header torn as it was first written
	openSpill(t, path, 0).Close()
}

// Two processes (or two opens) never append to one file.
func TestSpillIsExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), spillName)
	s := openSpill(t, path, 0)
	if _, err := OpenSpill(path, 0); !errors.Is(err, ErrSpillInUse) {
		t.Fatalf("second OpenSpill: %v, want ErrSpillInUse", err)
	}
	s.Close()
	openSpill(t, path, 0).Close()
}

func TestSpillBound(t *testing.T) {
	rec := int64(spillRecordHead + len(Encode(spillRecord(0))))
	s := openSpill(t, filepath.Join(t.TempDir(), spillName), spillHeaderSize+3*rec)
	defer s.Close()
	addSpill(t, s, 0, 3)
	if n, err := s.Add(spillRecord(3), spillRecord(4)); n != 2 || !errors.Is(err, ErrSpillFull) {
		t.Fatalf("Add past the bound: %d not added, %v; want 2, ErrSpillFull", n, err)
	}
}

// TestAppenderSpillsThroughAnOutage: with the database away for longer
// than the buffer holds, no issuance record is dropped; once it is back
// every record is written, in the order they came, with the chain intact —
// also those a stop during the outage left for the next run.
func TestAppenderSpillsThroughAnOutage(t *testing.T) {
	dir := t.TempDir()
	store := &memStore{}
	run := func() (*Appender, *Spill, context.CancelFunc, chan struct{}) {
		sp := openSpill(t, filepath.Join(dir, spillName), 0)
		a := &Appender{Store: store, Buffer: 10, Batch: 4, FlushInterval: time.Hour, Spill: sp}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.Run(ctx); close(done) }()
		return a, sp, cancel, done
	}
	a, sp, cancel, done := run()
	a.Add(spillRecord(0))
	store.mu.Lock()
	store.fail = true
	store.mu.Unlock()
	for i := 1; i < 50; i++ {
		a.Add(spillRecord(i))
		a.Flush(context.Background())
	}
	if a.Dropped.Load() != 0 || !sp.Active() {
		t.Fatalf("during the outage: dropped %d, spill active %v", a.Dropped.Load(), sp.Active())
	}
	cancel() // a stop during the outage: the final flush fails too
	<-done
	sp.Close()
	if n := a.Pending(); n == 0 {
		t.Fatal("nothing pending after a stop during the outage")
	}

	a, sp, cancel, done = run()
	defer func() { cancel(); <-done; sp.Close() }()
	for i := 50; i < 60; i++ {
		a.Add(spillRecord(i))
	}
	store.mu.Lock()
	store.fail = false
	store.mu.Unlock()
	for a.Flush(context.Background()) > 0 {
	}
	var got []string
	for _, r := range store.records {
		got = append(got, r.Subject)
	}
	if !sameStringSets(got, subjects(0, 60)) {
		t.Fatalf("written %d records %v; want the 60 issued", len(got), got)
	}
	if a.Dropped.Load() != 0 || a.Lost.Load() != 0 || a.Pending() != 0 {
		t.Errorf("dropped %d, lost %d, pending %d", a.Dropped.Load(), a.Lost.Load(), a.Pending())
	}
	assertInBatchOrder(t, got, 4)
	if _, err := Verify(context.Background(), store); err != nil {
		t.Errorf("chain: %v", err)
	}
}

func sameStringSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s]--; seen[s] < 0 {
			return false
		}
	}
	return true
}

// assertInBatchOrder checks that the records were written in the order
// they came, to within a batch (batches were sorted by index keys before
// issuances were stored in blocks; they are in arrival order now).
func assertInBatchOrder(t *testing.T, got []string, batch int) {
	t.Helper()
	for i := range got {
		for j := i + batch; j < len(got); j++ {
			if got[j] < got[i] {
				t.Fatalf("record %s written %d places after %s, which came later", got[j], j-i, got[i])
			}
		}
	}
}

// FuzzSpillFile: whatever bytes follow the header (a crash, a disk that
// lies, an attacker with write access to mint's directory), opening the
// file neither fails nor panics, and every record it then gives back is
// whole, and re-encodes to what was read.
func FuzzSpillFile(f *testing.F) {
	var valid []byte
	for i := range 3 {
		p := Encode(spillRecord(i))
		valid = append(valid, byte(len(p)>>24), byte(len(p)>>16), byte(len(p)>>8), byte(len(p)))
		valid = append(valid, 0, 0, 0, 0) // wrong checksum
		valid = append(valid, p...)
	}
	f.Add(valid)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, tail []byte) {
		dir := t.TempDir()
		s := openSpill(t, filepath.Join(dir, spillName), 0)
		addSpill(t, s, 0, 2)
		s.Close()
		fd, _ := os.OpenFile(filepath.Join(dir, spillName), os.O_APPEND|os.O_WRONLY, 0)
		fd.Write(tail)
		fd.Close()
		s = openSpill(t, filepath.Join(dir, spillName), 0)
		defer s.Close()
		if s.Pending() < 2 {
			t.Fatalf("the two whole records before the tail were dropped: %d pending", s.Pending())
		}
		for s.Pending() > 0 {
			rs, next, lost, err := s.Peek(16)
			if err != nil || lost != 0 {
				t.Fatalf("a record that passed the open's scan is unreadable: %v", err)
			}
			for _, r := range rs {
				if _, err := Decode(Encode(r)); err != nil {
					t.Fatal(err)
				}
			}
			s.Commit(next, len(rs))
		}
	})
}

// FuzzDecode: Decode never panics, and what it accepts is exactly what
// Encode makes of the record it returns.
func FuzzDecode(f *testing.F) {
	f.Add(Encode(spillRecord(1)))
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Add(append(make([]byte, 16), 0x80, 0x00, 0, 0, 0, 0, 0)) // a length not in its shortest form
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			return
		}
		if got := Encode(r); string(got) != string(b) {
			t.Fatalf("Decode accepted bytes Encode does not make:\n%x\n%x", b, got)
		}
	})
}

const spillName = "mint.db.audit-spill"
