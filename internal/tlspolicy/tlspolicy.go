// Package tlspolicy is the TLS policy every listener of mint serves, so
// that mint serve, its mTLS listener and mint gateway cannot drift apart:
// TLS 1.3, or TLS 1.2 with ECDHE and an AEAD only.
package tlspolicy

import "crypto/tls"

// MinVersion is the oldest TLS version served.
const MinVersion = tls.VersionTLS12

// Suites are the only TLS 1.2 cipher suites served: ECDHE for forward
// secrecy, an AEAD for integrity. Go's default list still holds CBC suites
// with SHA-1 MACs (Lucky13-style padding oracles, no AEAD). TLS 1.3, whose
// suites are all AEAD and not configurable, is preferred by any client
// that speaks it.
var Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}
