package mint

import "crypto/rand"

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewClientID returns a random client identifier of 32 letters and digits
// (about 190 bits), the shape Auth0 uses, safe in URLs, forms and Basic auth
// without escaping.
func NewClientID() string { return randomString(32) }

// NewID returns a random identifier for a stored resource, such as
// "api_3hQ…", with the given prefix so that ids name their kind in logs.
func NewID(prefix string) string { return prefix + "_" + randomString(20) }

func randomString(n int) string {
	// 62 does not divide 256: reject the top bytes to keep every letter
	// equally likely.
	const limit = 256 - 256%len(idAlphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4)
	for len(out) < n {
		rand.Read(buf)
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, idAlphabet[int(b)%len(idAlphabet)])
			}
		}
	}
	return string(out)
}
