package storecache

import "unsafe"

// A packer copies the strings and byte slices of one cached answer into a
// single allocation and hands out views of it. The collector marks one
// object where it marked one per string: at 100k clients the cache's
// objects, not its bytes, are most of what each collection walks (a CPU
// profile of mint serve at 100k clients showed a third of its CPU in
// marking, against 1 % with one client; docs/scale-cache.md). The views
// are as immutable as the cached answers already are (callers must not
// change them); a byte slice's capacity ends where it does, so an append
// to it copies rather than writing over its neighbour.
type packer struct {
	buf []byte
}

// newPacker makes room for n bytes: every view must be taken from the one
// allocation, so the caller sums the lengths first.
func newPacker(n int) packer { return packer{buf: make([]byte, 0, n)} }

func (p *packer) str(s string) string {
	if s == "" {
		return ""
	}
	start := len(p.buf)
	if start+len(s) > cap(p.buf) {
		panic("storecache: packer sized too small") // a bug in the caller's sum
	}
	p.buf = append(p.buf, s...)
	return unsafe.String(&p.buf[start], len(s))
}

// bytes keeps nil and empty apart, as the store gave them.
func (p *packer) bytes(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	start := len(p.buf)
	if start+len(b) > cap(p.buf) {
		panic("storecache: packer sized too small")
	}
	p.buf = append(p.buf, b...)
	return p.buf[start:len(p.buf):len(p.buf)]
}
