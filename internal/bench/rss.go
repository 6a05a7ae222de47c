package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// RSS is a process's resident memory, in bytes, over a run.
type RSS struct {
	Start int64 `json:"start_bytes"`
	Peak  int64 `json:"peak_bytes"`
	End   int64 `json:"end_bytes"`
}

// RSSWatch samples one process's resident memory.
type RSSWatch struct {
	pid    int
	stop   context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	rss    RSS
	failed error
}

// WatchRSS reads the resident memory of process pid now, then every
// interval until Stop. It fails at once when the process's memory cannot be
// read (no such process, or no /proc).
func WatchRSS(ctx context.Context, pid int, every time.Duration) (*RSSWatch, error) {
	first, err := ReadRSS(pid)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(ctx)
	w := &RSSWatch{pid: pid, stop: stop, done: make(chan struct{}), rss: RSS{first, first, first}}
	go w.loop(ctx, every)
	return w, nil
}

func (w *RSSWatch) loop(ctx context.Context, every time.Duration) {
	defer close(w.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			w.sample()
		}
	}
}

func (w *RSSWatch) sample() {
	v, err := ReadRSS(w.pid)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.failed = err
		return
	}
	w.rss.End = v
	w.rss.Peak = max(w.rss.Peak, v)
}

// Stop takes a last sample and returns the first, the largest and the
// last. The error is that of the last failed sample, if any.
func (w *RSSWatch) Stop() (RSS, error) {
	w.stop()
	<-w.done
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.rss, w.failed
}

// ReadRSS returns the VmRSS of process pid from /proc/PID/status, in bytes.
func ReadRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmRSS(raw)
}

// parseVmRSS finds the line "VmRSS:	  12345 kB" in a /proc status file.
func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected VmRSS line %q", sc.Text())
		}
		return kb << 10, nil
	}
	return 0, errors.New("no VmRSS in the process status (a kernel thread, or a zombie)")
}
