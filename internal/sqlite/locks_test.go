package sqlite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/proclocks"
)

// TestNoOperationDropsTheLocksOfAnOpenStore guards issue 13 part 2: no
// code path of this package may open and close a descriptor on a database
// file while this process has it open through SQLite, because closing any
// descriptor drops every POSIX lock the process holds on the file, and an
// outside reader then deletes the WAL under the running store.
//
// A store is opened, the POSIX locks SQLite took on the file are read from
// /proc/locks, then a random sequence of the package's operations runs on
// the same file — other stores opened (read-write and read-only), kept
// and closed, backups, integrity checks, writes, reads, new databases
// beside it — and after each one every lock the first store held must
// still be held.
func TestNoOperationDropsTheLocksOfAnOpenStore(t *testing.T) {
	ctx := testContext(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "mint.db")
	s := openTest(t, path)
	held := func() []proclocks.Lock {
		t.Helper()
		locks, err := proclocks.Held(os.Getpid(), path)
		if errors.Is(err, proclocks.ErrUnsupported) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		return locks
	}
	baseline := held()
	if len(baseline) == 0 {
		t.Fatal("an open store holds no POSIX lock on its database file: " +
			"its locks were dropped, and an outside reader may delete the WAL under it")
	}

	var kept []*Store
	seq := 0
	ops := []struct {
		name string
		do   func() error
	}{
		{"open and close another store", func() error {
			o, err := Open(ctx, path)
			if err != nil {
				return err
			}
			return o.Close()
		}},
		{"open another store and keep it", func() error {
			o, err := Open(ctx, path)
			kept = append(kept, o)
			return err
		}},
		{"close a kept store", func() error {
			if len(kept) == 0 {
				return nil
			}
			o := kept[len(kept)-1]
			kept = kept[:len(kept)-1]
			return o.Close()
		}},
		{"open read-only and close", func() error {
			o, err := OpenReadOnly(ctx, path)
			if err != nil {
				return err
			}
			if _, err := o.ListAPIs(ctx); err != nil {
				return err
			}
			return o.Close()
		}},
		{"back up", func() error {
			seq++
			return Backup(ctx, path, filepath.Join(dir, fmt.Sprintf("backup-%d.db", seq)))
		}},
		{"check integrity", func() error { return IntegrityCheck(ctx, path) }},
		{"write", func() error {
			seq++
			return s.CreateAPI(ctx, mint.API{ID: fmt.Sprintf("api_%d", seq),
				Audience: fmt.Sprintf("https://%d.example.com", seq), CreatedAt: time.Now()})
		}},
		{"read", func() error { _, err := s.ListAPIs(ctx); return err }},
		{"open a new database beside it", func() error {
			seq++
			o, err := Open(ctx, filepath.Join(dir, fmt.Sprintf("other-%d.db", seq)))
			if err != nil {
				return err
			}
			return o.Close()
		}},
	}
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("seed %d", seed)
	for step := range 40 {
		op := ops[rng.IntN(len(ops))]
		if step < len(ops) {
			op = ops[step] // every operation at least once
		}
		if err := op.do(); err != nil {
			t.Fatalf("step %d, %s: %v", step, op.name, err)
		}
		if missing := proclocks.Missing(baseline, held()); len(missing) > 0 {
			t.Fatalf("step %d, %s dropped the store's locks %v on its database file", step, op.name, missing)
		}
	}
	for _, o := range kept {
		o.Close()
	}
	if missing := proclocks.Missing(baseline, held()); len(missing) > 0 {
		t.Fatalf("closing the other stores dropped the store's locks %v", missing)
	}
}
