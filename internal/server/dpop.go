package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/token"
)

// dpopChecker is the token endpoint's DPoP proof checker (RFC 9449): jti
// replay is refused through the store, so across replicas, and with
// Config.DPoPNonce every proof must carry a nonce mint issued. Nonces are
// an HMAC of the time under a key derived from the master key, so that
// every replica issues and accepts the same ones without sharing state.
func (s *Server) dpopChecker() *dpop.Checker {
	var nonces *dpop.Nonces
	if s.cfg.DPoPNonce {
		// The key ring opened with the master key already, so it is there.
		// Nonces asked for are never silently off: without the master key
		// this replica draws a key of its own, and its nonces are then
		// refused by other replicas (clients retry once with theirs).
		master, err := s.masterKey(context.Background())
		if err != nil {
			s.cfg.Log.Error("DPoP nonces use a key of this process only: no master key", "err", err)
			master = make([]byte, 32)
			rand.Read(master)
		}
		mac := hmac.New(sha256.New, master)
		mac.Write([]byte("mint dpop nonce v1"))
		nonces = &dpop.Nonces{Key: mac.Sum(nil), Now: s.now}
	}
	return token.NewDPoPChecker(s.store, nonces, s.now)
}
