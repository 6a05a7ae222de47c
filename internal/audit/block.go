package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// A block stores a run of token.issued records, one batch of the Appender,
// as one database row (issue 15): a row and four index entries per token
// cost the audit writer a quarter of a signature's CPU, and fell behind
// when the tokens came from thousands of clients.
//
// The chain is unchanged: every record still has its Seq and its own Hash,
// SHA-256(prev || Encode(r)), exactly as if it were a row. A block keeps
// the PrevHash of its first record (a column of its row) and, in its
// payload, each record's fields and Hash; a record's PrevHash is the Hash
// stored before it. So readers see the same records, hashes included, and
// Verify checks each record as before: a record changed inside a block is
// named, not just its block.
//
// Payload, version 1 (every integer a varint, unsigned unless said):
//
//	version (1 byte) | count | base time (signed, Unix µs)
//	strings: count, then each as length and bytes
//	per record: time - base (signed) | kind, actor, client_id, source
//	  (indexes into strings) | subject (length, bytes) | details | hash (32 bytes)
//
// details is 0 then its length and bytes, or 1 + i then j: strings[i],
// the subject, strings[j] — the issuance's JSON around its jti, the same
// for every token of one audience and scopes, so it is stored once.
const blockVersion = 1

// MaxBlockStrings bounds the interned strings of one block, and so the
// allocation a hostile payload can ask for.
const maxBlockStrings = 1 << 20

// BlockRecord reports whether a record is stored in blocks rather than as
// a row: token issuances are.
func BlockRecord(r mint.AuditRecord) bool { return r.Kind == mint.AuditTokenIssued }

// Block is one stored block: its first record's Seq and PrevHash, and the
// payload. The other columns a store keeps (the last Seq, the time range,
// the side index of clients) are read aids the chain does not cover.
type Block struct {
	First    int64
	PrevHash []byte
	Payload  []byte
}

// Sealed is a block ready to store.
type Sealed struct {
	Block
	Last             int64
	TimeMin, TimeMax int64 // Unix µs
	// Clients are the distinct client IDs and actors of the records,
	// sorted: one row each in the side index a query by client reads.
	Clients []string
	// Hash is the last record's hash, the chain's new head.
	Hash []byte
}

// SealBlock chains records after (seq, prev), numbering them seq+1, …,
// and encodes them as a block. It leaves records as they were.
//
// It runs once per batch on the audit writer, which shares the machine
// with signing: each string is interned once per block (the same kind,
// client and source as the record before cost no map lookup), the
// clients of the side index are the interned strings used as client or
// actor, and every record's canonical encoding and hash go through one
// reused buffer and digest.
func SealBlock(seq int64, prev []byte, records []mint.AuditRecord) Sealed {
	s := Sealed{Block: Block{First: seq + 1, PrevHash: append([]byte(nil), prev...)}}
	var e sealer
	e.init(len(records))
	body := make([]byte, 0, len(records)*(HashSize+40))
	var base int64
	for i := range records {
		r := &records[i]
		t := Truncate(r.Time)
		us := t.UnixMicro()
		if i == 0 {
			base, s.TimeMin, s.TimeMax = us, us, us
		}
		s.TimeMin, s.TimeMax = min(s.TimeMin, us), max(s.TimeMax, us)

		e.enc = appendEncodedAt(e.enc[:0], seq+1+int64(i), us, r)
		e.h.Reset()
		e.h.Write(prev)
		e.h.Write(e.enc)

		body = binary.AppendVarint(body, us-base)
		body = binary.AppendUvarint(body, e.intern(slotKind, r.Kind))
		body = binary.AppendUvarint(body, e.client(slotActor, r.Actor))
		body = binary.AppendUvarint(body, e.client(slotClient, r.ClientID))
		body = binary.AppendUvarint(body, e.intern(slotSource, r.Source))
		body = appendBytes(body, r.Subject)
		if k := bytes.LastIndex(r.Details, []byte(r.Subject)); r.Subject != "" && k >= 0 {
			body = binary.AppendUvarint(body, 1+e.internBytes(slotPre, r.Details[:k]))
			body = binary.AppendUvarint(body, e.internBytes(slotPost, r.Details[k+len(r.Subject):]))
		} else {
			body = binary.AppendUvarint(body, 0)
			body = appendBytes(body, string(r.Details))
		}
		start := len(body)
		body = e.h.Sum(body)
		prev = body[start:len(body):len(body)]
	}
	n := 1 + 3*binary.MaxVarintLen64
	for _, v := range e.table {
		n += binary.MaxVarintLen64 + len(v)
	}
	p := make([]byte, 0, n+len(body))
	p = append(p, blockVersion)
	p = binary.AppendUvarint(p, uint64(len(records)))
	p = binary.AppendVarint(p, base)
	p = binary.AppendUvarint(p, uint64(len(e.table)))
	for _, v := range e.table {
		p = appendBytes(p, v)
	}
	s.Payload = append(p, body...)
	s.Last = seq + int64(len(records))
	s.Hash = append([]byte(nil), prev...)
	s.Clients = e.clients()
	return s
}

// The fields SealBlock interns, each remembering the last string it saw.
const (
	slotKind = iota
	slotActor
	slotClient
	slotSource
	slotPre
	slotPost
	slots
)

// sealer is SealBlock's interning and hashing state for one block.
type sealer struct {
	strs     map[string]uint64
	table    []string
	isClient []bool // by table index: used as a client ID or actor
	last     [slots]struct {
		s string
		i uint64
		b []byte // the bytes of s, for internBytes
	}
	h   hash.Hash
	enc []byte
}

func (e *sealer) init(n int) {
	e.strs = make(map[string]uint64, min(n, 1024))
	e.h = sha256.New()
	e.enc = make([]byte, 0, 512)
	for i := range e.last {
		e.last[i].i = ^uint64(0) // nothing seen yet
	}
}

// intern returns v's index in the table, adding it at the end if new.
func (e *sealer) intern(slot int, v string) uint64 {
	l := &e.last[slot]
	if l.i != ^uint64(0) && l.s == v {
		return l.i
	}
	i, ok := e.strs[v]
	if !ok {
		i = uint64(len(e.table))
		e.strs[v], e.table, e.isClient = i, append(e.table, v), append(e.isClient, false)
	}
	l.s, l.i = v, i
	return i
}

// internBytes is intern for a piece of a record's details.
func (e *sealer) internBytes(slot int, v []byte) uint64 {
	l := &e.last[slot]
	if l.i != ^uint64(0) && bytes.Equal(l.b, v) {
		return l.i
	}
	i, ok := e.strs[string(v)] // no allocation for the lookup
	if !ok {
		i = uint64(len(e.table))
		s := string(v)
		e.strs[s], e.table, e.isClient = i, append(e.table, s), append(e.isClient, false)
	}
	l.b, l.i = v, i
	return i
}

// client interns a client ID or actor and marks it for the side index.
func (e *sealer) client(slot int, v string) uint64 {
	i := e.intern(slot, v)
	if v != "" {
		e.isClient[i] = true
	}
	return i
}

// clients returns the distinct client IDs and actors, sorted.
func (e *sealer) clients() []string {
	n := 0
	for _, c := range e.isClient {
		if c {
			n++
		}
	}
	out := make([]string, 0, n)
	for i, c := range e.isClient {
		if c {
			out = append(out, e.table[i])
		}
	}
	slices.Sort(out)
	return out
}

func appendBytes(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// ErrBadBlock is what Decode returns for a payload it cannot read.
var ErrBadBlock = errors.New("audit: block does not decode")

// BlockFilter is what Decode keeps of a block's records, tested before a
// record is copied out of the payload. Its byte slices are the payload's,
// valid during the call only: a filter compares them (string(b) == s does
// not allocate) and keeps none. Nil keeps every record.
type BlockFilter func(seq int64, t time.Time, kind, actor, clientID []byte) bool

// Decode returns b's records that keep selects, in Seq order, with their
// PrevHash and Hash. The payload is checked whole whatever keep selects:
// it must hold exactly last-first+1 records (last is the store's column;
// 0 skips the check) and nothing after them. A payload that does not
// decode is ErrBadBlock, never a panic.
//
// Only the records kept are copied, and the strings they use: a query by
// client reads whole blocks to find a record or two in each, and copying
// every interned string of a block from 10,000 clients cost more than the
// rest of the read.
func (b Block) Decode(last int64, keep BlockFilter) ([]mint.AuditRecord, error) {
	d := decoder{p: b.Payload}
	if d.byte() != blockVersion {
		return nil, fmt.Errorf("%w: block %d: unknown version", ErrBadBlock, b.First)
	}
	n := d.uvarint()
	base := d.varint()
	ns := d.uvarint()
	// Every record takes at least HashSize bytes, every string one: a count
	// beyond what the payload can hold is refused before it is allocated.
	if d.err != nil || n == 0 || n > uint64(len(b.Payload)/HashSize) || ns > maxBlockStrings || ns > uint64(len(b.Payload)) {
		return nil, fmt.Errorf("%w: block %d: bad header", ErrBadBlock, b.First)
	}
	if last != 0 && uint64(last-b.First+1) != n {
		return nil, fmt.Errorf("%w: block %d: holds %d records, its row says %d", ErrBadBlock, b.First, n, last-b.First+1)
	}
	table := make([][]byte, ns)
	for i := range table {
		table[i] = d.bytes()
	}
	raw := func(i uint64) []byte {
		if i >= uint64(len(table)) {
			d.fail()
			return nil
		}
		return table[i]
	}
	strs := make(map[uint64]string) // the strings copied so far, by index
	str := func(i uint64) string {
		v, ok := strs[i]
		if !ok {
			v = string(table[i])
			strs[i] = v
		}
		return v
	}
	var out []mint.AuditRecord
	prev := b.PrevHash
	for i := range n {
		t := time.UnixMicro(base + d.varint()).UTC()
		ik, ia, ic, is := d.uvarint(), d.uvarint(), d.uvarint(), d.uvarint()
		kind, actor, client, _ := raw(ik), raw(ia), raw(ic), raw(is)
		subject := d.bytes()
		var raw0 []byte
		var ipre, ipost uint64
		k := d.uvarint()
		if k == 0 {
			raw0 = d.bytes()
		} else {
			ipre, ipost = k-1, d.uvarint()
			raw(ipre)
			raw(ipost)
		}
		hash := d.take(HashSize)
		if d.err != nil {
			return nil, fmt.Errorf("%w: block %d: record %d: truncated or out of range", ErrBadBlock, b.First, i)
		}
		seq := b.First + int64(i)
		if keep == nil || keep(seq, t, kind, actor, client) {
			r := mint.AuditRecord{Seq: seq, Time: t, Kind: str(ik), Actor: str(ia), ClientID: str(ic),
				Subject: string(subject), Source: str(is), PrevHash: slices.Clone(prev), Hash: slices.Clone(hash)}
			if k == 0 {
				r.Details = slices.Clone(raw0)
			} else {
				r.Details = slices.Concat(table[ipre], subject, table[ipost])
			}
			out = append(out, r)
		}
		prev = hash
	}
	if len(d.p) != 0 {
		return nil, fmt.Errorf("%w: block %d: %d bytes after the last record", ErrBadBlock, b.First, len(d.p))
	}
	return out, nil
}

// decoder reads a payload; after the first error every read returns zero
// values and err stays set.
type decoder struct {
	p   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = ErrBadBlock
	}
	d.p = nil
}

func (d *decoder) byte() byte {
	if len(d.p) < 1 {
		d.fail()
		return 0
	}
	c := d.p[0]
	d.p = d.p[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.p)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.p)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *decoder) take(n uint64) []byte {
	if n > uint64(len(d.p)) {
		d.fail()
		return nil
	}
	b := d.p[:n:n]
	d.p = d.p[n:]
	return b
}

func (d *decoder) bytes() []byte { return d.take(d.uvarint()) }

// corruptKind is the kind of CorruptBlock's record.
const corruptKind = "audit.corrupt-block"

// CorruptBlock is what a store lists in place of a block that does not
// decode: one record at the block's first Seq that no hash matches, so
// that Verify names the block as changed and a listing shows it.
func CorruptBlock(b Block, err error) mint.AuditRecord {
	return mint.AuditRecord{
		Seq: b.First, Kind: corruptKind, PrevHash: b.PrevHash,
		Details: fmt.Appendf(nil, `{"error":%q}`, err.Error()),
	}
}
