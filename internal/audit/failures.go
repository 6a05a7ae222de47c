package audit

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/throttle"
)

// A stranger's failed authentications must not write unbounded bytes to
// the database (issue 13): each was a record of its own, kept as long as
// the chain. Pruning only failures is not possible without breaking the
// hash chain (a record gone from the middle is a break), so repeats are
// aggregated instead: the first failure of a kind (client_id as presented,
// source, method, reason) in a FailureWindow is a record at once, as
// before; the repeats in that window are counted, and at its end one more
// auth.failure record says how many there were and since when. The
// throttle bounds how many kinds one source can make in a window.

// Defaults of Log's failure aggregation.
const (
	DefaultFailureWindow = time.Minute
	// maxFailureKinds bounds the kinds counted at once; past it a failure
	// is a record of its own, which the throttle bounds per source.
	maxFailureKinds = 10_000
	// summaryWait bounds how long writing a count may wait for room in a
	// full buffer: no request waits on it.
	summaryWait = 5 * time.Second
)

// failureKey is a kind of failure; source is the host (throttle.Source),
// not the port a new connection changes.
type failureKey struct{ clientID, source, method, reason string }

// repeats counts the failures of one kind after the first in a window.
type repeats struct {
	first     time.Time // of the window's first failure, recorded at once
	n         int
	last      time.Time
	scheduled bool
}

// AuthFailed records an auth.failure; it is never dropped for volume.
// Repeats within the window are counted into one record (see above).
func (l *Log) AuthFailed(ctx context.Context, clientID, method, reason string) {
	source := SourceFrom(ctx)
	k := failureKey{clip(clientID), throttle.Source(source), method, clip(reason)}
	now := l.now()
	if l.counted(k, now) {
		return
	}
	r := failureRecord(k, now, nil)
	r.Source = source // the address with its port, as before; the count names the host
	l.Appender.AddKept(ctx, r)
}

// counted counts a repeat of k within its window, scheduling the count's
// record at the window's end, and reports whether it did; false: k's
// failure is to be recorded now (and starts a window).
func (l *Log) counted(k failureKey, now time.Time) bool {
	window := l.FailureWindow
	if window == 0 {
		window = DefaultFailureWindow
	}
	if window < 0 {
		return false
	}
	l.failMu.Lock()
	defer l.failMu.Unlock()
	if l.failures == nil {
		l.failures = map[failureKey]*repeats{}
	}
	r, ok := l.failures[k]
	switch {
	case ok && now.Sub(r.first) < window:
		r.n++
		r.last = now
		if !r.scheduled {
			r.scheduled = true
			time.AfterFunc(r.first.Add(window).Sub(now), func() { l.writeRepeats(k) })
		}
		return true
	case ok && r.scheduled: // the window is over and its count not yet written
		return false
	case len(l.failures) >= maxFailureKinds && !ok:
		l.dropQuiet(now, window)
		if len(l.failures) >= maxFailureKinds {
			return false
		}
	}
	k.clientID, k.source, k.reason = strings.Clone(k.clientID), strings.Clone(k.source), strings.Clone(k.reason)
	l.failures[k] = &repeats{first: now}
	return false
}

// dropQuiet forgets the kinds whose window is over with no repeat to
// write. l.failMu is held.
func (l *Log) dropQuiet(now time.Time, window time.Duration) {
	for k, r := range l.failures {
		if !r.scheduled && now.Sub(r.first) >= window {
			delete(l.failures, k)
		}
	}
}

// writeRepeats writes the count of k's repeats and forgets k.
func (l *Log) writeRepeats(k failureKey) {
	l.failMu.Lock()
	r, ok := l.failures[k]
	if ok {
		delete(l.failures, k)
	}
	l.failMu.Unlock()
	if !ok || r.n == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), summaryWait)
	defer cancel()
	l.Appender.AddKept(ctx, failureRecord(k, r.last, r))
}

// FlushFailures writes every count not yet written, now; the server calls
// it before stopping the Appender.
func (l *Log) FlushFailures() {
	l.failMu.Lock()
	keys := make([]failureKey, 0, len(l.failures))
	for k, r := range l.failures {
		if r.n > 0 {
			keys = append(keys, k)
		}
	}
	l.failMu.Unlock()
	for _, k := range keys {
		l.writeRepeats(k)
	}
}

// failureRecord is the record of one failure of kind k at t, or with r,
// of r.n repeats since the one recorded at r.first.
func failureRecord(k failureKey, t time.Time, r *repeats) mint.AuditRecord {
	d := struct {
		Method  string     `json:"method"`
		Reason  string     `json:"reason"`
		Repeats int        `json:"repeats,omitempty"`
		Since   *time.Time `json:"since,omitempty"`
	}{Method: k.method, Reason: k.reason}
	if r != nil {
		first := r.first.UTC()
		d.Repeats, d.Since = r.n, &first
	}
	details, _ := json.Marshal(d)
	return mint.AuditRecord{Time: t, Kind: mint.AuditAuthFailure, Actor: k.clientID, ClientID: k.clientID,
		Source: k.source, Details: details}
}
