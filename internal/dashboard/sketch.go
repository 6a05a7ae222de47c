package dashboard

import (
	"hash/maphash"
	"math/bits"
)

// sketch is a space-saving summary of the keys counted in one bucket: at
// most cap(keys) keys with a count each. A key not held replaces the one
// with the smallest count m, and starts at m+1 with an error of m: so each
// count overstates the key's true count by at most its error, and any key
// with more than total/cap(keys) is held. An open-addressed index finds a
// key in constant time; it is rebuilt in place when deletions have left
// too many tombstones. Nothing here allocates after newSketch.
type sketch struct {
	keys   []string
	counts []uint64
	errs   []uint64
	// index holds 0 (empty), tombstone, or an entry's position + 1.
	index []int32
	mask  uint64
	tombs int
}

const tombstone = -1

var seed = maphash.MakeSeed()

func newSketch(size int) sketch {
	slots := 1 << bits.Len(uint(4*size-1)) // ≥ 4 × size: at least half empty
	return sketch{
		keys:   make([]string, 0, size),
		counts: make([]uint64, size),
		errs:   make([]uint64, size),
		index:  make([]int32, slots),
		mask:   uint64(slots - 1),
	}
}

// add counts key n times.
func (s *sketch) add(key string, n uint64) {
	h := maphash.String(seed, key)
	free := -1
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch e := s.index[i]; {
		case e == 0:
			if free < 0 {
				free = int(i)
			}
			s.insert(key, n, free)
			return
		case e == tombstone:
			if free < 0 {
				free = int(i)
			}
		case s.keys[e-1] == key:
			s.counts[e-1] += n
			return
		}
	}
}

// insert puts key, absent, at the index slot free: in a new entry while
// there is room, else in place of the entry with the smallest count.
func (s *sketch) insert(key string, n uint64, free int) {
	if s.index[free] == tombstone {
		s.tombs--
	}
	if len(s.keys) < cap(s.keys) {
		s.keys = append(s.keys, key)
		at := len(s.keys) - 1
		s.counts[at], s.errs[at] = n, 0
		s.index[free] = int32(at + 1)
		return
	}
	at := s.smallest()
	s.unindex(s.keys[at], at)
	s.keys[at] = key
	s.errs[at] = s.counts[at]
	s.counts[at] += n
	s.index[free] = int32(at + 1)
	if s.tombs > len(s.index)/4 {
		s.reindex()
	}
}

func (s *sketch) smallest() int {
	at := 0
	for i, c := range s.counts[:len(s.keys)] {
		if c < s.counts[at] {
			at = i
		}
	}
	return at
}

// unindex leaves a tombstone where the entry at was indexed.
func (s *sketch) unindex(key string, at int) {
	for i := maphash.String(seed, key) & s.mask; ; i = (i + 1) & s.mask {
		if s.index[i] == int32(at+1) {
			s.index[i] = tombstone
			s.tombs++
			return
		}
	}
}

// reindex rebuilds the index without tombstones.
func (s *sketch) reindex() {
	clear(s.index)
	s.tombs = 0
	for at, key := range s.keys {
		i := maphash.String(seed, key) & s.mask
		for s.index[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.index[i] = int32(at + 1)
	}
}

// reset empties the sketch.
func (s *sketch) reset() {
	clear(s.keys) // let go of the strings
	s.keys = s.keys[:0]
	clear(s.index)
	s.tombs = 0
}

// each calls f with every key held, its count and its error.
func (s *sketch) each(f func(key string, count, err uint64)) {
	for i, k := range s.keys {
		f(k, s.counts[i], s.errs[i])
	}
}
