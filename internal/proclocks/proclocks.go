// Package proclocks reads, from Linux's /proc/locks, the POSIX (fcntl)
// locks a process holds on a file, for the tests that check no code path
// of mint drops the locks SQLite holds on a live database. Reading
// /proc/locks opens nothing on the file itself. It is for tests only.
package proclocks

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// ErrUnsupported: there is no /proc/locks here (not Linux).
var ErrUnsupported = errors.New("proclocks: /proc/locks is Linux only")

// Lock is one POSIX lock: its type (READ or WRITE) and byte range as
// /proc/locks writes them ("EOF" for a lock to the end of the file).
type Lock struct {
	Type       string
	Start, End string
}

func (l Lock) String() string { return fmt.Sprintf("%s %s-%s", l.Type, l.Start, l.End) }

// Held returns the POSIX locks process pid holds on the file at path, in
// the order /proc/locks lists them. Locks a process waits for are not
// held and are left out.
func Held(pid int, path string) ([]Lock, error) {
	if runtime.GOOS != "linux" {
		return nil, ErrUnsupported
	}
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nil, fmt.Errorf("proclocks: %w", err)
	}
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	file := fmt.Sprintf("%02x:%02x:%d", major, minor, st.Ino)

	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil, fmt.Errorf("proclocks: %w", err)
	}
	defer f.Close()
	var held []Lock
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "12: POSIX  ADVISORY  READ 4242 fe:00:9977915 1073741826 1073742335"
		fields := strings.Fields(sc.Text())
		if len(fields) != 8 || fields[1] != "POSIX" {
			continue // a waiter ("12: -> POSIX …"), flock, OFD or lease
		}
		if fields[4] != strconv.Itoa(pid) || fields[5] != file {
			continue
		}
		held = append(held, Lock{Type: fields[3], Start: fields[6], End: fields[7]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("proclocks: %w", err)
	}
	return held, nil
}

// Missing returns the locks of want that are not in got.
func Missing(want, got []Lock) []Lock {
	have := map[Lock]bool{}
	for _, l := range got {
		have[l] = true
	}
	var missing []Lock
	for _, l := range want {
		if !have[l] {
			missing = append(missing, l)
		}
	}
	return missing
}
