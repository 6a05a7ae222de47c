package storecache

import (
	"encoding/binary"
	"unsafe"
)

// Slabs (issue 16): the cached answers of the per-client kinds live as
// records in large byte slices, which hold no pointer the collector must
// follow, so that at 100k clients a collection marks a few thousand slabs
// instead of ~700k small objects (a CPU profile of mint serve at 100k
// clients had 27–34 % of its CPU in marking; docs/scale-cache.md).
//
// A record is written once, at the end of a shard's current slab, and never
// changed after: the strings and slices a hit hands out are views of it
// (unsafe.String, unsafe.Slice), and stay valid, with the same bytes, for
// as long as anyone holds them, because a view keeps its slab alive and
// nothing writes over a record. A record that is replaced or dropped only
// counts as dead; once a shard's dead bytes pass a share of its live
// ones, the shard's live records are copied (re-encoded) into new slabs
// and the old slabs are dropped, left to the collector once no view of
// them remains (compact).
//
// A record: its length (uint32), its key's length (uint32, top bit: the
// value is kept whole, in the shard's wholes, and the record holds its
// index there), the key, padded to 8 bytes, then the value as the kind's
// codec wrote it. Records start 8-byte aligned, so a codec may lay out
// int64s and Go structs in them.
type arena struct {
	slabs [][]byte // each slab's length is what is written of it
	// live and dead count the bytes of the records in use and of those
	// replaced or dropped since the slabs were last rewritten.
	live, dead int
}

const (
	// slabMin is a shard's first slab; each next one is twice the last,
	// up to slabMax: a cache of a few clients holds a few KiB, and a
	// large one holds 16 KiB objects the collector does not scan (larger
	// ones left more of their last slab empty: 739 B a client at 64 KiB,
	// 646 at 16).
	slabMin = 1 << 10
	slabMax = 16 << 10
	// recordHeader is a record's length and key length.
	recordHeader = 8
	// wholeBit marks, in a record's key length, a value kept whole.
	wholeBit = 1 << 31
	// compactMinDead: a shard rewrites its slabs only once this many bytes
	// are dead, and more than half of what is live (see compactDue).
	compactMinDead = 16 << 10
)

// ref names a record: its slab's index in the top 32 bits, its offset in
// the slab in the bottom 32.
type ref uint64

func align8(n int) int { return (n + 7) &^ 7 }

// alloc returns the ref and room of a new record of n bytes (a multiple
// of 8), at the end of the current slab or in a new one.
func (a *arena) alloc(n int) (ref, []byte) {
	i := len(a.slabs) - 1
	if i < 0 || cap(a.slabs[i])-len(a.slabs[i]) < n {
		size := slabMin
		if i >= 0 {
			size = min(2*cap(a.slabs[i]), slabMax)
		}
		s := make([]byte, 0, max(size, n))
		if uintptr(unsafe.Pointer(unsafe.SliceData(s)))%8 != 0 {
			panic("storecache: slab not 8-byte aligned") // never: Go aligns allocations of 16 bytes and more
		}
		a.slabs = append(a.slabs, s)
		i++
	}
	s := a.slabs[i]
	off := len(s)
	a.slabs[i] = s[:off+n]
	a.live += n
	return ref(uint64(i)<<32 | uint64(off)), s[off : off+n : off+n]
}

// record returns the bytes of the record r.
func (a *arena) record(r ref) []byte {
	s := a.slabs[r>>32]
	off := uint32(r)
	n := binary.LittleEndian.Uint32(s[off:])
	return s[off : off+n : off+n]
}

// key returns a view of record r's key.
func (a *arena) key(r ref) string {
	rec := a.record(r)
	return recordKey(rec)
}

func recordKey(rec []byte) string {
	n := binary.LittleEndian.Uint32(rec[4:]) &^ wholeBit
	if n == 0 {
		return ""
	}
	return unsafe.String(&rec[recordHeader], n)
}

// recordWhole reports whether rec's value is kept whole.
func recordWhole(rec []byte) bool { return binary.LittleEndian.Uint32(rec[4:])&wholeBit != 0 }

// recordValue returns the bytes a codec wrote in rec.
func recordValue(rec []byte) []byte {
	n := binary.LittleEndian.Uint32(rec[4:]) &^ wholeBit
	return rec[recordHeader+align8(int(n)):]
}

// free counts record r as dead.
func (a *arena) free(r ref) {
	n := int(binary.LittleEndian.Uint32(a.slabs[r>>32][uint32(r):]))
	a.live -= n
	a.dead += n
}

// compactDue reports whether the slabs hold enough dead bytes to be
// rewritten: more than half the live ones, and at least compactMinDead.
// Each rewrite copies the live bytes once, at most twice the dead bytes
// that made it due: O(1) a byte written.
func (a *arena) compactDue() bool {
	return a.dead >= compactMinDead && 2*a.dead > a.live
}

// bytes returns the slabs' capacity, for tests and figures.
func (a *arena) bytes() int {
	n := 0
	for _, s := range a.slabs {
		n += cap(s)
	}
	return n
}

// putRaw copies the bytes of *v to dst, which must be 8-byte aligned and
// hold them. It is how a codec writes a Go struct (a mint.Secret, a
// string header) into a slab: a byte copy, which passes no write barrier,
// of a value whose pointers all point into the same slab (or are nil), so
// that the collector, which never looks inside a slab, needs to see none
// of them: whoever reaches such a struct holds a pointer into the slab,
// which keeps the whole slab alive.
func putRaw[T any](dst []byte, v *T) {
	copy(dst, unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v)))
}
