package audit

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// errBadEncoding: bytes that Encode did not make.
var errBadEncoding = errors.New("audit: not a record's encoding")

// Decode is Encode's inverse; the spill file reads its records with it.
// It rejects anything Encode would not have made, bytes left over included.
func Decode(b []byte) (mint.AuditRecord, error) {
	if len(b) < 16 {
		return mint.AuditRecord{}, errBadEncoding
	}
	r := mint.AuditRecord{
		Seq:  int64(binary.BigEndian.Uint64(b[:8])),
		Time: time.UnixMicro(int64(binary.BigEndian.Uint64(b[8:16]))).UTC(),
	}
	b = b[16:]
	var fields [6][]byte
	for i := range fields {
		n, k := binary.Uvarint(b)
		// k must be the shortest encoding of n, as Encode writes it.
		if k <= 0 || k != len(binary.AppendUvarint(nil, n)) || n > uint64(len(b)-k) {
			return mint.AuditRecord{}, errBadEncoding
		}
		fields[i] = b[k : k+int(n)]
		b = b[k+int(n):]
	}
	if len(b) != 0 {
		return mint.AuditRecord{}, errBadEncoding
	}
	r.Kind, r.Actor, r.ClientID = string(fields[0]), string(fields[1]), string(fields[2])
	r.Subject, r.Source = string(fields[3]), string(fields[4])
	if len(fields[5]) > 0 {
		r.Details = append([]byte(nil), fields[5]...)
	}
	return r, nil
}
