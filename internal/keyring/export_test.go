package keyring

import "github.com/mintauth/mint/internal/mint"

// Unseal opens a stored key with master, for tests that look for the
// private key's bytes where they must not be.
func Unseal(master []byte, k mint.SigningKey) ([]byte, error) {
	s, err := newSealer(master)
	if err != nil {
		return nil, err
	}
	return s.open(k)
}
