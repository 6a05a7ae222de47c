package keyring_test

import (
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// TestLookupFindsKeyMadeByAnotherReplica: a replica asked to verify a token
// signed by a key another replica made a moment ago (before any
// notification or maintenance reached it) reads the keys again, so
// introspection, revocation and the admin API never refuse a good token
// for that reason; and made-up kids cannot make it reread more than once
// per second.
func TestLookupFindsKeyMadeByAnotherReplica(t *testing.T) {
	a, store, path := newRing(t)
	b := openRing(t, openStore(t, path))
	ctx := testContext(t)
	if err := a.EnsureKey(ctx, mint.AlgEdDSA); err != nil {
		t.Fatal(err)
	}
	kid := ""
	for _, k := range listKeys(t, store) {
		if k.Algorithm == mint.AlgEdDSA {
			kid = k.ID
		}
	}
	if _, found, err := b.LookupKey(ctx, kid); err != nil || !found {
		t.Fatalf("replica b does not find the EdDSA key replica a made: found %v, %v", found, err)
	}

	// Rate limit: a made-up kid rereads; a second one within the second
	// does not, so a key made in between stays unseen until the limit ends.
	if _, found, _ := b.LookupKey(ctx, "made-up-1"); found {
		t.Fatal("found a made-up kid")
	}
	if err := a.EnsureKey(ctx, mint.AlgES256); err != nil {
		t.Fatal(err)
	}
	var es256 string
	for _, k := range listKeys(t, store) {
		if k.Algorithm == mint.AlgES256 {
			es256 = k.ID
		}
	}
	if _, found, _ := b.LookupKey(ctx, es256); found {
		t.Fatal("reread the keys twice within a second: the rate limit does not hold")
	}
	time.Sleep(1100 * time.Millisecond)
	if _, found, _ := b.LookupKey(ctx, es256); !found {
		t.Fatal("after the rate limit ended, the new key is still not found")
	}
}
