package audit

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mintauth/mint/internal/mint"
)

// The spill file keeps the token path's audit records while the database
// cannot take them (issue 20), so that an outage longer than the
// Appender's buffer loses none, and a mint restarted during it sends the
// previous run's records when the database returns.
//
// Layout: a 24-byte header, then records one after the other.
//
//	header: "MINTSPL1" | consumed (8 bytes, big-endian) | reserved (4) | CRC-32C of the first 20 bytes (4)
//	record: length n (4 bytes, big-endian) | CRC-32C of the payload (4) | payload (n bytes)
//
// The payload is Encode's encoding of the record with Seq 0 (the store
// numbers records as it appends them). consumed is the offset of the first
// record not yet written to the database; it is rewritten, in place, after
// each batch the database took. Records are appended through a buffer in
// memory (at most spillBufferMax bytes) and the file is written and fsynced
// by Sync, which the Appender calls every flush interval: a crash loses at
// most the records spilled since the last Sync. A write that fails (a full
// disk) is cut off the file again and the records stay in the buffer, to be
// written by the next Sync; the buffer's records are read from memory.
// A record cut short by a crash, or whose checksum does not match, ends the
// file: it and whatever follows are dropped (truncated) when the file is
// opened, and a torn header means the whole file is sent again (duplicates,
// never losses). A crash between a batch's commit and the header's rewrite
// sends that batch again too.

const (
	spillMagic      = "MINTSPL1"
	spillHeaderSize = 24
	spillRecordHead = 8
	// maxSpillRecord bounds one record's payload: larger lengths are a
	// torn or foreign file, not a record (the fields are bounded far below).
	maxSpillRecord = 1 << 20
	// spillBufferMax bounds the records kept in memory when the file cannot
	// be written (about 20,000); past it new records are refused.
	spillBufferMax = 4 << 20
	// spillWriteAt is how many buffered bytes Add writes out at once.
	spillWriteAt = 64 << 10
	// DefaultSpillMax bounds the spill file: about 1.3 million issuance
	// records of 200 bytes, close to a minute at mint's maximum token rate
	// and hours at a usual one.
	DefaultSpillMax = 256 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrSpillFull: the spill file reached its bound; the record is dropped.
var ErrSpillFull = errors.New("audit spill file full")

// ErrSpillInUse: another process has the spill file open.
var ErrSpillInUse = errors.New("audit spill file in use by another process")

// Spill is an on-disk queue of audit records, first in, first out. It is
// safe for concurrent use.
type Spill struct {
	path string
	max  int64

	mu       sync.Mutex
	f        *os.File
	buf      []byte // records not written to the file yet
	disk     int64  // bytes in the file
	size     int64  // disk + len(buf)
	consumed int64  // offset of the first record not yet written to the database
	pending  int    // records after consumed
	dirty    bool   // appended since the last Sync
	active   atomic.Bool
}

// OpenSpill opens (or creates) the spill file at path, dropping a torn
// tail, and returns it with the records a previous run left in it still
// queued. max bounds the file's size; 0: DefaultSpillMax. One process at a
// time may use a spill file.
func OpenSpill(path string, max int64) (*Spill, error) {
	if max <= 0 {
		max = DefaultSpillMax
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit spill: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit spill: %w", err)
	}
	if err := lockSpill(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit spill %s: %w", path, err)
	}
	s := &Spill{path: path, max: max, f: f}
	if err := s.load(); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit spill %s: %w", path, err)
	}
	s.active.Store(s.pending > 0)
	return s, nil
}

// load reads the header and scans the records, truncating the file after
// the last whole one.
func (s *Spill) load() error {
	st, err := s.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < spillHeaderSize {
		// New, or a header torn while it was first written; not a small
		// file of someone else's, which reset would empty.
		start := make([]byte, min(st.Size(), int64(len(spillMagic))))
		if _, err := s.f.ReadAt(start, 0); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if !strings.HasPrefix(spillMagic, string(start)) {
			return errors.New("not an audit spill file (bad magic); move it away")
		}
		return s.reset()
	}
	head := make([]byte, spillHeaderSize)
	if _, err := s.f.ReadAt(head, 0); err != nil {
		return err
	}
	if string(head[:8]) != spillMagic {
		return errors.New("not an audit spill file (bad magic); move it away")
	}
	consumed, ok := parseSpillHeader(head)
	if !ok || consumed > st.Size() {
		consumed = spillHeaderSize // a torn header: send everything again
	}
	n, end, err := scanSpill(io.NewSectionReader(s.f, consumed, st.Size()-consumed))
	if err != nil {
		return err
	}
	s.consumed, s.pending, s.size, s.disk = consumed, n, consumed+end, consumed+end
	if s.size < st.Size() {
		if err := s.f.Truncate(s.size); err != nil {
			return err
		}
	}
	if s.pending == 0 {
		return s.reset()
	}
	return nil
}

// reset empties the file to its header. s.mu is held (or s not shared yet).
func (s *Spill) reset() error {
	s.buf = s.buf[:0]
	s.size, s.disk, s.consumed, s.pending = spillHeaderSize, spillHeaderSize, spillHeaderSize, 0
	if err := s.f.Truncate(0); err != nil {
		return err
	}
	if _, err := s.f.WriteAt(spillHeader(spillHeaderSize), 0); err != nil {
		return err
	}
	return s.f.Sync()
}

func spillHeader(consumed int64) []byte {
	b := make([]byte, 0, spillHeaderSize)
	b = append(b, spillMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(consumed))
	b = append(b, 0, 0, 0, 0)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func parseSpillHeader(b []byte) (consumed int64, ok bool) {
	if len(b) < spillHeaderSize || string(b[:8]) != spillMagic ||
		binary.BigEndian.Uint32(b[20:24]) != crc32.Checksum(b[:20], castagnoli) {
		return 0, false
	}
	c := binary.BigEndian.Uint64(b[8:16])
	if c < spillHeaderSize || c > 1<<62 {
		return 0, false
	}
	return int64(c), true
}

// Active reports whether records wait in the spill: new records must then
// queue behind them, to keep their order.
func (s *Spill) Active() bool { return s != nil && s.active.Load() }

// Pending returns how many records wait in the spill.
func (s *Spill) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Add appends records to the spill, as many as fit; it returns how many
// did not (ErrSpillFull) or could not be written.
func (s *Spill) Add(rs ...mint.AuditRecord) (notAdded int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range rs {
		r.Seq = 0
		payload := Encode(r)
		if len(payload) > maxSpillRecord {
			continue // cannot happen for records mint makes; never read back
		}
		if s.size+int64(spillRecordHead+len(payload)) > s.max {
			return len(rs) - i, ErrSpillFull
		}
		if len(s.buf) >= spillWriteAt {
			if err := s.writeOut(); err != nil && len(s.buf) >= spillBufferMax {
				return len(rs) - i, err
			}
		}
		s.buf = binary.BigEndian.AppendUint32(s.buf, uint32(len(payload)))
		s.buf = binary.BigEndian.AppendUint32(s.buf, crc32.Checksum(payload, castagnoli))
		s.buf = append(s.buf, payload...)
		s.size += int64(spillRecordHead + len(payload))
		s.pending++
		s.dirty = true
		s.active.Store(true)
	}
	return 0, nil
}

// writeOut appends the buffer to the file. If that fails, whatever part
// was written is cut off again, so that the file still ends with a whole
// record, and the buffer is kept. s.mu is held.
func (s *Spill) writeOut() error {
	if len(s.buf) == 0 {
		return nil
	}
	if _, err := s.f.WriteAt(s.buf, s.disk); err != nil {
		return errors.Join(err, s.f.Truncate(s.disk))
	}
	s.disk += int64(len(s.buf))
	s.buf = s.buf[:0]
	return nil
}

// Sync writes buffered records to the file and fsyncs it.
func (s *Spill) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	if err := s.writeOut(); err != nil {
		return err
	}
	if err := s.f.Sync(); err != nil {
		return err
	}
	s.dirty = false
	return nil
}

// Peek returns up to n of the oldest records waiting, and the offset to
// pass to Commit once the database has them. A record it cannot read (a
// disk that changed the file under mint) ends the file: it and those
// after it are dropped, their number returned in lost with the error.
func (s *Spill) Peek(n int) (records []mint.AuditRecord, next int64, lost int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == 0 {
		return nil, s.consumed, 0, nil
	}
	s.writeOut() // if it fails, the buffer is read from memory
	r := bufio.NewReaderSize(io.MultiReader(io.NewSectionReader(s.f, s.consumed, s.disk-s.consumed),
		bytes.NewReader(s.buf)), 64<<10)
	next = s.consumed
	for len(records) < n && len(records) < s.pending {
		rec, size, rerr := readSpillRecord(r)
		if rerr != nil {
			lost = s.pending - len(records)
			err = fmt.Errorf("audit spill: record at offset %d: %w", next, rerr)
			s.pending, s.size, s.buf = len(records), next, s.buf[:0]
			if s.pending == 0 {
				s.active.Store(false)
				return nil, next, lost, errors.Join(err, s.reset())
			}
			s.disk = min(s.disk, next)
			return records, next, lost, errors.Join(err, s.f.Truncate(s.disk))
		}
		records = append(records, rec)
		next += int64(size)
	}
	return records, next, 0, nil
}

// Commit marks the records before offset as written to the database; once
// none is left the file is emptied.
func (s *Spill) Commit(offset int64, records int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consumed = offset
	s.pending -= records
	if s.pending <= 0 {
		s.dirty = false
		s.active.Store(false)
		return s.reset()
	}
	if offset > s.disk { // the records read from the buffer: write them first
		if err := s.writeOut(); err != nil {
			return err
		}
	}
	if _, err := s.f.WriteAt(spillHeader(offset), 0); err != nil {
		return err
	}
	return s.f.Sync()
}

// Close syncs and closes the file; records left in it are sent by the
// next run.
func (s *Spill) Close() error {
	err := s.Sync()
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(err, s.f.Close())
}

// scanSpill counts the whole records r holds and returns the length they
// take; a torn or corrupt record ends the scan. Only I/O errors fail it.
func scanSpill(r io.Reader) (n int, end int64, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		_, size, err := readSpillRecord(br)
		switch {
		case err == nil:
			n++
			end += int64(size)
		case errors.Is(err, errTornSpill):
			return n, end, nil
		default:
			return n, end, err
		}
	}
}

// errTornSpill: what follows is not a whole record (a crash's torn tail).
var errTornSpill = errors.New("torn or corrupt record")

// readSpillRecord reads one record and returns it with the bytes it took.
func readSpillRecord(r io.Reader) (mint.AuditRecord, int, error) {
	var head [spillRecordHead]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return mint.AuditRecord{}, 0, tornOr(err)
	}
	n := binary.BigEndian.Uint32(head[:4])
	if n > maxSpillRecord {
		return mint.AuditRecord{}, 0, errTornSpill
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return mint.AuditRecord{}, 0, tornOr(err)
	}
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(head[4:]) {
		return mint.AuditRecord{}, 0, errTornSpill
	}
	rec, err := Decode(payload)
	if err != nil {
		return mint.AuditRecord{}, 0, errTornSpill
	}
	return rec, spillRecordHead + int(n), nil
}

func tornOr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errTornSpill
	}
	return err
}
