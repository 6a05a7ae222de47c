package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"sync"
	"time"
)

// Table names WatchChanges reports, as in the schema.
const (
	tableAPIs        = "apis"
	tableClients     = "clients"
	tableSecrets     = "secrets"
	tableGrants      = "grants"
	tableSigningKeys = "signing_keys"
	// tableRevokedTokens: a token was revoked (the token reuse cache
	// listens; the store cache holds nothing from it).
	tableRevokedTokens = "revoked_tokens"
	// tableClientsUpdate and tableAPIsUpdate: rows of clients or apis
	// updated in place, which changes no secret and no grant (a client's
	// or an API's deletion takes them along, and is told as "clients" or
	// "apis"), so a cache drops the rows only (issue 16). A mint older
	// than these names reads them from the log as a table it does not
	// know, and drops everything.
	tableClientsUpdate = "clients:update"
	tableAPIsUpdate    = "apis:update"
)

// The change log (migration 00008) and how it is read and pruned.
var (
	// pollEvery is how often a watcher reads the change log. A change made
	// by another process is heard within about this long; a poll that
	// finds nothing is one indexed read of an empty range.
	pollEvery = 250 * time.Millisecond
	// pollBatch bounds the rows one poll reads; more wait for the next.
	pollBatch = 512
)

const (
	// logKeep is how many of the newest rows pruning keeps: a watcher that
	// fell further behind finds a hole and drops everything it holds.
	logKeep = 4096
	// pruneEvery: a write whose seq is a multiple of it prunes the log, so
	// the table stays under logKeep+pruneEvery rows.
	pruneEvery = 256
)

// WatchChanges calls onChange with a table's name after each write that
// may have changed the table commits, until ctx is done or reading the
// change log fails; it then returns why. keys name the client whose row,
// secrets or grants changed, or are nil: anything in the table may have
// changed (APIs, and a grant's write that failed before reading its
// client). It first calls onChange("", nil) — "anything may have
// changed" — once it is watching, so a caller can drop what it read
// before; it calls it again when it finds it missed changes (the log was
// pruned past what it had read).
//
// Writes through this Store are told in process: the call comes from the
// writing goroutine before the write method returns, after the commit, so
// a read made after onChange sees it. Writes by any other Store on the
// same file — another process (`mint apply`, `mint import clients`,
// another `mint serve`) or another Open in this one — are read from the
// change log every pollEvery, so they are heard within about that long.
// Failed writes may be reported in process, never from the log. Writes
// that only record use (RecordSecretUse), pruning and assertion ids are
// not reported, nor are tables changed by cascade: a deleted client is
// reported as "clients", not also as "secrets" and "grants". An update of
// a client's or an API's row in place is reported as "clients:update" or
// "apis:update": it changes no secret and no grant.
//
// onChange must be quick and must not call the Store; calls are made one
// at a time.
func (s *Store) WatchChanges(ctx context.Context, onChange func(table string, keys []string)) error {
	var mu sync.Mutex
	serial := func(table string, keys []string) {
		mu.Lock()
		defer mu.Unlock()
		onChange(table, keys)
	}
	// Read where the log ends before telling "": what others committed
	// before is covered by "", what they commit after is read by polls.
	last, err := s.lastChange(ctx)
	if err != nil {
		return err
	}
	stop := s.changes.watch(serial)
	defer stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if last, err = s.pollChanges(ctx, last, serial); err != nil {
			if ctx.Err() != nil {
				return ctx.Err() // the poll was cut short, it did not fail
			}
			return err
		}
	}
}

// lastChange returns the seq of the change log's newest row, 0 if none.
func (s *Store) lastChange(ctx context.Context) (int64, error) {
	var last int64
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM change_log`).Scan(&last)
	if err != nil {
		return 0, failed("sqlite: watch changes: %w", err)
	}
	return last, nil
}

// pollChanges tells onChange of the rows other writers logged after seq
// last, and returns the seq it read up to. Seqs of committed rows follow
// each other (AUTOINCREMENT, one writer at a time), so a row that does not
// follow the last one read means rows were pruned unread: onChange("",
// nil) then.
func (s *Store) pollChanges(ctx context.Context, last int64, onChange func(string, []string)) (int64, error) {
	rows, err := s.read.QueryContext(ctx,
		`SELECT seq, writer, table_name, keys FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?`, last, pollBatch)
	if err != nil {
		return last, failed("sqlite: watch changes: %w", err)
	}
	defer rows.Close()
	me := s.changes.writerID()
	for rows.Next() {
		var (
			seq           int64
			writer, table string
			keys          sql.NullString
		)
		if err := rows.Scan(&seq, &writer, &table, &keys); err != nil {
			return last, failed("sqlite: watch changes: %w", err)
		}
		missed := seq != last+1
		last = seq
		switch {
		case missed:
			onChange("", nil)
		case writer == me:
			// told in process when it was written
		default:
			decoded, err := decodeKeys(keys)
			if err != nil {
				onChange("", nil) // a row this binary cannot read: assume the worst
				continue
			}
			onChange(table, decoded)
		}
	}
	if err := rows.Err(); err != nil {
		return last, failed("sqlite: watch changes: %w", err)
	}
	return last, nil
}

func decodeKeys(keys sql.NullString) ([]string, error) {
	if !keys.Valid {
		return nil, nil
	}
	var out []string
	if err := json.Unmarshal([]byte(keys.String), &out); err != nil {
		return nil, err
	}
	return out, nil
}

// logChange appends to the change log, in tx, that keys of table (any row
// of it, without keys) may have changed, so that other processes' watchers
// hear of it once tx commits, and prunes the log now and then. Every write
// that changes what a cache may hold must log in its own transaction:
// write methods do it by announcing the change with changing (inTx then
// calls logChange), which also tells this process's watchers after the
// commit. A bulk write such as an import does the same — one changing per
// table it writes, as ApplyPlan does — or, if it manages its own *sql.Tx,
// calls logChange in it and s.changes.publish after the commit.
func (s *Store) logChange(ctx context.Context, tx *sql.Tx, table string, keys ...string) error {
	var encoded sql.NullString
	if keys != nil {
		b, err := json.Marshal(keys)
		if err != nil {
			return failed("sqlite: log change: %w", err)
		}
		encoded = sql.NullString{String: string(b), Valid: true}
	}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO change_log (writer, table_name, keys, written_at) VALUES (?, ?, ?, ?)`,
		s.changes.writerID(), table, encoded, millis(time.Now()))
	if err != nil {
		return failed("sqlite: log change: %w", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return failed("sqlite: log change: %w", err)
	}
	if seq%pruneEvery != 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM change_log WHERE seq <= ?`, seq-logKeep); err != nil {
		return failed("sqlite: prune change log: %w", err)
	}
	return nil
}

// pendingChange is a change a write method announced with changing.
// changingTables is changing for several whole tables at once, as writes
// of any number of rows (an import batch, an applied plan) announce them.
func (s *Store) changingTables(ctx context.Context, tables ...string) (_ context.Context, done func()) {
	dones := make([]func(), len(tables))
	for i, table := range tables {
		ctx, dones[i] = s.changing(ctx, table)
	}
	return ctx, func() {
		for _, d := range dones {
			d()
		}
	}
}

type pendingChange struct {
	table string
	keys  []string
	// later, when set, holds keys the write learns inside its
	// transaction (changingLater); empty: the whole table.
	later *[]string
}

// keysNow are the keys to log or tell.
func (p pendingChange) keysNow() []string {
	if p.later != nil {
		return *p.later
	}
	return p.keys
}

type pendingChangesKey struct{}

// changing announces that the write about to run with the returned context
// may change keys of table (any row, without keys): inTx logs it in the
// write's transaction for other processes, and done, which the write
// method defers, tells this process's watchers once the write has ended.
func (s *Store) changing(ctx context.Context, table string, keys ...string) (_ context.Context, done func()) {
	return s.announce(ctx, pendingChange{table: table, keys: keys})
}

// changingLater is changing for a write that knows its keys only once it
// has read its row inside its transaction (a grant written by its ID):
// the write sets *keys before its transaction ends; left empty, the
// change is the whole table's, as with changing(ctx, table). Without it,
// one grant's change emptied every client's grants in every process
// (issue 16).
func (s *Store) changingLater(ctx context.Context, table string) (_ context.Context, keys *[]string, done func()) {
	keys = new([]string)
	ctx, done = s.announce(ctx, pendingChange{table: table, later: keys})
	return ctx, keys, done
}

func (s *Store) announce(ctx context.Context, p pendingChange) (_ context.Context, done func()) {
	pending, _ := ctx.Value(pendingChangesKey{}).([]pendingChange)
	pending = append(pending[:len(pending):len(pending)], p)
	return context.WithValue(ctx, pendingChangesKey{}, pending), func() { s.changes.publish(p.table, p.keysNow()...) }
}

// logPending logs, in tx, the changes announced in ctx with changing.
func (s *Store) logPending(ctx context.Context, tx *sql.Tx) error {
	pending, _ := ctx.Value(pendingChangesKey{}).([]pendingChange)
	for _, p := range pending {
		if err := s.logChange(ctx, tx, p.table, p.keysNow()...); err != nil {
			return err
		}
	}
	return nil
}

// changeFeed hands changes to the watchers of WatchChanges and names this
// Store in the change log. Its zero value has no watchers.
type changeFeed struct {
	mu       sync.Mutex
	next     int
	watchers map[int]func(table string, keys []string)

	idOnce sync.Once
	id     string
}

// writerID returns the random ID this Store's rows in the change log carry.
func (f *changeFeed) writerID() string {
	f.idOnce.Do(func() { f.id = rand.Text() })
	return f.id
}

// watch adds onChange, tells it "" and returns a function removing it.
func (f *changeFeed) watch(onChange func(table string, keys []string)) (stop func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.watchers == nil {
		f.watchers = make(map[int]func(string, []string))
	}
	id := f.next
	f.next++
	f.watchers[id] = onChange
	onChange("", nil)
	return func() {
		f.mu.Lock()
		delete(f.watchers, id)
		f.mu.Unlock()
	}
}

// publish tells every watcher that keys of table (any row of it, without
// keys) may have changed. Write methods defer it, so that it runs once
// their transaction has ended.
func (f *changeFeed) publish(table string, keys ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, onChange := range f.watchers {
		onChange(table, keys)
	}
}
