package keyring

import (
	"slices"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// The rotation timeline of one algorithm, with the defaults:
//
//	rotate        ActivateAt                 RemoveAt
//	  |── next ──────|── active ───────────────────────────────…
//	  |   (10 min)   |
//	old key: active ─|── retired (24 h + 5 min) ──|  gone
//
// A key signs from its ActivateAt until the ActivateAt of the key after
// it. Which key signs is a matter of time, not of stored state, so that
// replicas switch at the same instant whenever they last reloaded.

// activation is when k starts (or started) signing: keys stored before
// ActivateAt existed signed from their creation.
func activation(k mint.SigningKey) time.Time {
	if k.ActivateAt.IsZero() {
		return k.CreatedAt
	}
	return k.ActivateAt
}

// startedBy reports whether k is a next or active key whose activation
// is not after t.
func startedBy(k mint.SigningKey, t time.Time) bool {
	return (k.State == mint.KeyNext || k.State == mint.KeyActive) && !activation(k).After(t)
}

// signsBefore orders two started keys of one algorithm: the one that
// activated first stops signing when the other starts. At the same instant
// a next key comes after an active one.
func signsBefore(a, b mint.SigningKey) bool {
	if ta, tb := activation(a), activation(b); !ta.Equal(tb) {
		return ta.Before(tb)
	}
	return a.State == mint.KeyActive && b.State == mint.KeyNext
}

// settle returns keys as they stand at now. For each algorithm the started
// key that activated last is active; the started keys before it are
// retired, each when the key after it activated, and stay published for
// keep; retired keys whose RemoveAt has passed are left out. Keys keep
// their order.
func settle(keys []mint.SigningKey, now time.Time, keep time.Duration) []mint.SigningKey {
	keys = slices.Clone(keys)
	started := map[string][]int{} // indices, by algorithm
	for i, k := range keys {
		if startedBy(k, now) {
			started[k.Algorithm] = append(started[k.Algorithm], i)
		}
	}
	for _, idx := range started {
		slices.SortStableFunc(idx, func(i, j int) int {
			switch {
			case signsBefore(keys[i], keys[j]):
				return -1
			case signsBefore(keys[j], keys[i]):
				return 1
			}
			return 0
		})
		for n, i := range idx {
			keys[i].ActivateAt = activation(keys[i])
			if n == len(idx)-1 {
				keys[i].State = mint.KeyActive
				continue
			}
			keys[i].State = mint.KeyRetired
			keys[i].RetiredAt = activation(keys[idx[n+1]])
			keys[i].RemoveAt = keys[i].RetiredAt.Add(keep)
		}
	}
	return slices.DeleteFunc(keys, func(k mint.SigningKey) bool {
		if k.State != mint.KeyRetired {
			return false
		}
		if k.RemoveAt.IsZero() { // retired before RemoveAt existed
			return false
		}
		return !k.RemoveAt.After(now)
	})
}

// datedRetired gives keys retired before RetiredAt and RemoveAt existed
// their dates, counting from now.
func datedRetired(keys []mint.SigningKey, now time.Time, keep time.Duration) {
	for i, k := range keys {
		if k.State == mint.KeyRetired && k.RemoveAt.IsZero() {
			if k.RetiredAt.IsZero() {
				keys[i].RetiredAt = now
			}
			keys[i].RemoveAt = keys[i].RetiredAt.Add(keep)
		}
	}
}

// pending returns the indices of alg's next keys that have not started.
func pending(keys []mint.SigningKey, alg string, now time.Time) []int {
	var out []int
	for i, k := range keys {
		if k.Algorithm == alg && k.State == mint.KeyNext && activation(k).After(now) {
			out = append(out, i)
		}
	}
	return out
}

// hasSigner reports whether alg has a next or active key.
func hasSigner(keys []mint.SigningKey, alg string) bool {
	return slices.ContainsFunc(keys, func(k mint.SigningKey) bool {
		return k.Algorithm == alg && (k.State == mint.KeyNext || k.State == mint.KeyActive)
	})
}

// sameKeys reports whether a and b store the same.
func sameKeys(a, b []mint.SigningKey) bool {
	return slices.EqualFunc(a, b, func(x, y mint.SigningKey) bool {
		return x.ID == y.ID && x.Algorithm == y.Algorithm && x.State == y.State &&
			string(x.PrivateKey) == string(y.PrivateKey) && x.CreatedAt.Equal(y.CreatedAt) &&
			x.ActivateAt.Equal(y.ActivateAt) && x.RetiredAt.Equal(y.RetiredAt) && x.RemoveAt.Equal(y.RemoveAt)
	})
}
