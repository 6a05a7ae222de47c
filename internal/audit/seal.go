package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// HashSize is the size of a record's hash (SHA-256).
const HashSize = sha256.Size

// Genesis is the PrevHash of the first record of a chain.
var Genesis = make([]byte, HashSize)

// Truncate is the time a record keeps: UTC, to the microsecond, what both
// stores round-trip exactly.
func Truncate(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Seal sets r.PrevHash to prev and r.Hash to
//
//	SHA-256(prev || Encode(r))
//
// after truncating r.Time. r.Seq must be set.
func Seal(r *mint.AuditRecord, prev []byte) {
	r.Time = Truncate(r.Time)
	r.PrevHash = append([]byte(nil), prev...)
	r.Hash = Hash(*r)
}

// Hash computes the hash r should carry, from r.PrevHash and r's fields.
func Hash(r mint.AuditRecord) []byte {
	h := sha256.New()
	h.Write(r.PrevHash)
	h.Write(Encode(r))
	return h.Sum(nil)
}

// Encode is the canonical encoding of a record's fields, what its hash
// covers: Seq and Time (Unix microseconds) as 8-byte big-endian integers,
// then Kind, Actor, ClientID, Subject, Source and Details, each as its
// length (uvarint) and bytes. Every field has one encoding, and no two
// records encode alike.
func Encode(r mint.AuditRecord) []byte {
	return appendEncoded(make([]byte, 0, 64+len(r.Kind)+len(r.Actor)+len(r.ClientID)+len(r.Subject)+len(r.Source)+len(r.Details)), r)
}

// appendEncoded appends Encode(r) to b.
func appendEncoded(b []byte, r mint.AuditRecord) []byte {
	return appendEncodedAt(b, r.Seq, r.Time.UnixMicro(), &r)
}

// appendEncodedAt appends Encode(r) to b, with seq and the time us (Unix
// microseconds) in place of r's.
func appendEncodedAt(b []byte, seq, us int64, r *mint.AuditRecord) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(seq))
	b = binary.BigEndian.AppendUint64(b, uint64(us))
	b = appendBytes(b, r.Kind)
	b = appendBytes(b, r.Actor)
	b = appendBytes(b, r.ClientID)
	b = appendBytes(b, r.Subject)
	b = appendBytes(b, r.Source)
	b = binary.AppendUvarint(b, uint64(len(r.Details)))
	return append(b, r.Details...)
}
