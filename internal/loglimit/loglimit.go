// Package loglimit bounds the log lines a stranger can make mint write
// (issue 13): a client_id of 60,000 bytes in a loop from one address
// wrote 647 MiB of log in 5 s, one whole line per request, although the
// throttle answered 429.
//
// A Limiter lets each source (an IP address, or an IPv6 /64, as the
// throttle counts them) write at most Burst lines per Window. The lines
// left out are counted, and at the end of the window one line says how
// many there were, so a flood stays visible in the log at a bounded cost:
// at most Burst+1 lines per source per window, whatever the request rate
// or size. Callers also clip every field a stranger chose (Clip).
package loglimit

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/throttle"
)

// Defaults of New's zero arguments.
const (
	DefaultBurst      = 20
	DefaultWindow     = time.Minute
	DefaultMaxSources = 10_000
)

// Limiter counts log lines per source. It is safe for concurrent use.
type Limiter struct {
	burst      int
	window     time.Duration
	maxSources int
	// suppressed is told, once a window has ended, how many lines of
	// source were left out in it.
	suppressed func(source string, lines int)

	mu        sync.Mutex
	sources   map[string]*budget
	nextSweep time.Time
	// others is the one budget of every source that finds the map full.
	others budget
}

// Others names, in a report, the sources that shared one budget because
// MaxSources were already counted.
const Others = "other sources"

type budget struct {
	start     time.Time
	used      int
	left      int  // lines left out in this window
	reporting bool // a report of left is scheduled
}

// New returns a Limiter; zero arguments take the defaults. suppressed is
// called from a timer goroutine at the end of each window in which a
// source had lines left out. Once maxSources are counted, the sources not
// yet counted share one budget, reported as Others.
func New(burst int, window time.Duration, maxSources int, suppressed func(source string, lines int)) *Limiter {
	if burst <= 0 {
		burst = DefaultBurst
	}
	if window <= 0 {
		window = DefaultWindow
	}
	if maxSources <= 0 {
		maxSources = DefaultMaxSources
	}
	return &Limiter{burst: burst, window: window, maxSources: maxSources, suppressed: suppressed,
		sources: map[string]*budget{}}
}

// Allow reports whether a line for a request from addr may be written.
func (l *Limiter) Allow(addr string) bool {
	src := throttle.Source(addr)
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.sources[src]
	switch {
	case ok:
	case l.makeRoom(now):
		b = &budget{start: now}
		l.sources[strings.Clone(src)] = b
	default:
		b, src = &l.others, Others
	}
	if now.Sub(b.start) >= l.window && !b.reporting {
		b.start, b.used = now, 0
	}
	if b.used < l.burst && !b.reporting {
		b.used++
		return true
	}
	b.left++
	if !b.reporting {
		b.reporting = true
		time.AfterFunc(b.start.Add(l.window).Sub(now), func() { l.report(src) })
	}
	return false
}

// report tells of the lines src had left out and starts its next window.
func (l *Limiter) report(src string) {
	l.mu.Lock()
	b, ok := l.sources[src]
	if src == Others {
		b, ok = &l.others, true
	}
	n := 0
	if ok {
		n = b.left
		b.left, b.reporting, b.used, b.start = 0, false, 0, time.Now()
	}
	l.mu.Unlock()
	if n > 0 && l.suppressed != nil {
		l.suppressed(src, n)
	}
}

// makeRoom makes room for one more source when the map is full: it drops
// the sources whose window ended with nothing to report. It reports
// whether there is room. l.mu is held.
func (l *Limiter) makeRoom(now time.Time) bool {
	if len(l.sources) < l.maxSources {
		return true
	}
	if now.Before(l.nextSweep) { // a full map is scanned at most 10 times a window
		return false
	}
	l.nextSweep = now.Add(l.window / 10)
	for k, b := range l.sources {
		if !b.reporting && now.Sub(b.start) >= l.window {
			delete(l.sources, k)
		}
	}
	return len(l.sources) < l.maxSources
}

// MaxField bounds a field a stranger chose (a client_id, a path) in a log
// line.
const MaxField = 256

// Clip returns s when it is at most MaxField bytes, else its first
// MaxField bytes followed by how long it was, as a copy that does not
// keep s alive.
func Clip(s string) string {
	if len(s) <= MaxField {
		return s
	}
	return strings.ToValidUTF8(s[:MaxField], "") + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
