package keycheck

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"math/big"
)

const (
	// MinRSABits is the smallest modulus accepted (RFC 7518 §3.3, NIST
	// SP 800-131A): 1024-bit moduli have been within reach for years.
	MinRSABits = 2048
	// MaxRSABits bounds the work one verification may cost.
	MaxRSABits = 8192
	// minExponent is FIPS 186-5's lower bound on e. Small exponents (3)
	// are what signature forgeries against lax PKCS #1 v1.5 verifiers use.
	minExponent = 65537
	// smallPrimeBound: the modulus may have no prime factor below it.
	smallPrimeBound = 1 << 14
)

// RSA accepts a modulus of MinRSABits to MaxRSABits bits that is odd, not
// prime, not a perfect power and without a factor below 2^14, and an odd
// exponent of at least 65537. A prime or perfect-power modulus lets anyone
// compute φ(n), hence the private exponent, and so forge signatures.
func RSA(k *rsa.PublicKey) error {
	if k == nil || k.N == nil {
		return errors.New("RSA key without a modulus")
	}
	if bits := k.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
		return fmt.Errorf("RSA key has %d bits; it must have %d to %d", bits, MinRSABits, MaxRSABits)
	}
	if k.E < minExponent || k.E%2 == 0 || k.E > 1<<31-1 {
		return fmt.Errorf("RSA public exponent %d is not allowed: it must be odd, at least %d and below 2^31 (65537 is usual)", k.E, minExponent)
	}
	return cached(k.N, checkModulus)
}

// checkModulus runs the costly checks of n, cheapest first.
func checkModulus(n *big.Int) error {
	if n.Bit(0) == 0 {
		return errors.New("RSA modulus is even")
	}
	if g := new(big.Int).GCD(nil, nil, n, smallPrimorial); g.Cmp(one) != 0 {
		return errors.New("RSA modulus has a small prime factor: it can be factored at once")
	}
	// A prime passes every round of ProbablyPrime, so 0 rounds (the
	// Baillie-PSW test alone) never lets a prime through; a composite
	// usually fails its first Miller-Rabin round, so this costs one
	// exponentiation for a sound key.
	if n.ProbablyPrime(0) {
		return errors.New("RSA modulus is prime: anyone can compute its private exponent")
	}
	if k, ok := perfectPower(n); ok {
		return fmt.Errorf("RSA modulus is a perfect power (a %d-th power): anyone can factor it", k)
	}
	return nil
}

var one = big.NewInt(1)

// smallPrimes are the primes below smallPrimeBound, and smallPrimorial
// their product, for one GCD instead of thousands of divisions.
var smallPrimes, smallPrimorial = sieve(smallPrimeBound)

func sieve(bound int) ([]int, *big.Int) {
	composite := make([]bool, bound)
	var primes []int
	product := big.NewInt(1)
	for i := 2; i < bound; i++ {
		if composite[i] {
			continue
		}
		primes = append(primes, i)
		product.Mul(product, big.NewInt(int64(i)))
		for j := i * i; j < bound; j += i {
			composite[j] = true
		}
	}
	return primes, product
}

// perfectPower reports whether n = r^k for some k ≥ 2, returning a prime
// k that fits. n has no factor below smallPrimeBound, so r exceeds it and
// k is at most log(n)/log(smallPrimeBound).
func perfectPower(n *big.Int) (int, bool) {
	maxK := n.BitLen() / 14 // log2(smallPrimeBound)
	for _, k := range smallPrimes {
		if k > maxK {
			break
		}
		r := root(n, k)
		if new(big.Int).Exp(r, big.NewInt(int64(k)), nil).Cmp(n) == 0 {
			return k, true
		}
	}
	return 0, false
}

// root is ⌊n^(1/k)⌋ for n > 0, by Newton's method from just above the
// root: a floating-point estimate (relative error near 1e-13) raised by a
// margin, so that few steps remain.
func root(n *big.Int, k int) *big.Int {
	if k == 2 {
		return new(big.Int).Sqrt(n)
	}
	bk := big.NewInt(int64(k))
	bk1 := big.NewInt(int64(k - 1))
	x := rootEstimate(n, k)
	for {
		// y = ((k-1)x + n / x^(k-1)) / k, which is ≥ the root and < x
		// while x is above it.
		t := new(big.Int).Exp(x, bk1, nil)
		t.Quo(n, t)
		y := new(big.Int).Mul(x, bk1)
		y.Add(y, t).Quo(y, bk)
		if y.Cmp(x) >= 0 {
			return x
		}
		x = y
	}
}

// rootEstimate is a little more than n^(1/k).
func rootEstimate(n *big.Int, k int) *big.Int {
	shift := max(n.BitLen()-64, 0)
	top, _ := new(big.Float).SetInt(new(big.Int).Rsh(n, uint(shift))).Float64()
	log2 := (math.Log2(top) + float64(shift)) / float64(k)
	whole := math.Floor(log2)
	// 2^frac in [1,2) with 52 bits after the point, times 1+2^-30.
	mant := uint64(math.Exp2(log2-whole)*(1+1.0/(1<<30))*(1<<52)) + 1
	x := new(big.Int).SetUint64(mant)
	if e := int(whole) - 52; e >= 0 {
		x.Lsh(x, uint(e))
	} else {
		x.Rsh(x, uint(-e))
	}
	return x.Add(x, one)
}
