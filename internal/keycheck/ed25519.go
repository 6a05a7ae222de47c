package keycheck

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
	"slices"
)

// Ed25519 accepts a 32-byte public key that is the canonical encoding of a
// point of the curve whose order is not small. With a key of small order
// (1, 2, 4 or 8, the identity among them) [k]A takes at most eight values,
// so a signature that verifies can be found without the private key; a
// non-canonical encoding is a second spelling of some key, which no
// honest implementation produces.
//
// The arithmetic is math/big on the affine curve: slow and not constant
// time, which is fine for three doublings of a public point.
func Ed25519(k ed25519.PublicKey) error {
	if len(k) != ed25519.PublicKeySize {
		return fmt.Errorf("Ed25519 key has %d bytes, not %d", len(k), ed25519.PublicKeySize)
	}
	x, y, err := decodePoint(k)
	if err != nil {
		return err
	}
	for range 3 { // [8]P
		x, y = edAdd(x, y, x, y)
	}
	if x.Sign() == 0 && y.Cmp(one) == 0 {
		return errors.New("Ed25519 key is a point of small order: signatures under it can be forged")
	}
	return nil
}

var (
	edP = new(big.Int).Sub(new(big.Int).Lsh(one, 255), big.NewInt(19))
	// edD is -121665/121666 mod p (RFC 8032 §5.1).
	edD = func() *big.Int {
		d := new(big.Int).ModInverse(big.NewInt(121666), edP)
		d.Mul(d, big.NewInt(-121665))
		return d.Mod(d, edP)
	}()
	// edSqrtM1 is a square root of -1 mod p: 2^((p-1)/4).
	edSqrtM1 = new(big.Int).Exp(big.NewInt(2), new(big.Int).Rsh(new(big.Int).Sub(edP, one), 2), edP)
)

// decodePoint decodes a point as RFC 8032 §5.1.3 does, refusing the
// encodings it allows but no encoder makes (y ≥ p, and -0 for x).
func decodePoint(b []byte) (x, y *big.Int, err error) {
	le := slices.Clone(b)
	sign := le[31] >> 7
	le[31] &= 0x7f
	slices.Reverse(le)
	y = new(big.Int).SetBytes(le)
	if y.Cmp(edP) >= 0 {
		return nil, nil, errors.New("Ed25519 key is not canonically encoded")
	}
	// x² = (y² - 1) / (d y² + 1)
	y2 := new(big.Int).Mul(y, y)
	u := new(big.Int).Sub(y2, one)
	v := new(big.Int).Mul(edD, y2)
	v.Add(v, one)
	x2 := u.Mul(u, new(big.Int).ModInverse(v.Mod(v, edP), edP))
	x2.Mod(x2, edP)
	// p ≡ 5 (mod 8): a root is x2^((p+3)/8), or that times √-1.
	x = new(big.Int).Exp(x2, new(big.Int).Rsh(new(big.Int).Add(edP, big.NewInt(3)), 3), edP)
	if !isSquareRoot(x, x2) {
		x.Mul(x, edSqrtM1).Mod(x, edP)
		if !isSquareRoot(x, x2) {
			return nil, nil, errors.New("Ed25519 key is not a point of the curve")
		}
	}
	if x.Sign() == 0 && sign == 1 {
		return nil, nil, errors.New("Ed25519 key is not canonically encoded")
	}
	if uint8(x.Bit(0)) != sign {
		x.Sub(edP, x)
	}
	return x, y, nil
}

func isSquareRoot(x, x2 *big.Int) bool {
	sq := new(big.Int).Mul(x, x)
	return sq.Mod(sq, edP).Cmp(x2) == 0
}

// edAdd adds two points of -x² + y² = 1 + d x² y² (RFC 8032 §5.1.4, affine;
// the formula is complete, its denominators never vanish).
func edAdd(x1, y1, x2, y2 *big.Int) (*big.Int, *big.Int) {
	x1y2 := new(big.Int).Mul(x1, y2)
	y1x2 := new(big.Int).Mul(y1, x2)
	x1x2 := new(big.Int).Mul(x1, x2)
	y1y2 := new(big.Int).Mul(y1, y2)
	t := new(big.Int).Mul(edD, x1x2)
	t.Mul(t, y1y2).Mod(t, edP)
	dx := new(big.Int).Add(one, t)
	dy := new(big.Int).Sub(one, t)
	x3 := x1y2.Add(x1y2, y1x2)
	x3.Mul(x3, dx.ModInverse(dx.Mod(dx, edP), edP)).Mod(x3, edP)
	y3 := y1y2.Add(y1y2, x1x2)
	y3.Mul(y3, dy.ModInverse(dy.Mod(dy, edP), edP)).Mod(y3, edP)
	return x3, y3
}
