package keycheck

import (
	"crypto/sha256"
	"math/big"
	"sync"
)

// maxCached bounds the verdicts kept. Keys reach mint through admins and
// configured issuers, not strangers, so a full cache only means a few
// keys are checked twice.
const maxCached = 4096

var verdicts struct {
	sync.Mutex
	m map[[sha256.Size]byte]error
}

// cached returns check(n), computing it once per modulus.
func cached(n *big.Int, check func(*big.Int) error) error {
	id := sha256.Sum256(n.Bytes())
	verdicts.Lock()
	err, ok := verdicts.m[id]
	verdicts.Unlock()
	if ok {
		return err
	}
	err = check(n)
	verdicts.Lock()
	defer verdicts.Unlock()
	if verdicts.m == nil || len(verdicts.m) >= maxCached {
		verdicts.m = make(map[[sha256.Size]byte]error)
	}
	verdicts.m[id] = err
	return err
}
