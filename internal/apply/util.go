package apply

import (
	"crypto/sha256"
	"encoding/hex"
)

// shortHash names a value in a plan without showing it.
func shortHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
