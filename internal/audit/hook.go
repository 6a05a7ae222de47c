package audit

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/verbatim"
)

// Issuances is the hook of the token endpoint (token.Endpoint.Audit): it
// is told of every token issued, after signing.
type Issuances interface {
	TokenIssued(ctx context.Context, api mint.API, clientID string, scopes []string, jti string)
}

// Failures is the hook of client authentication
// (clientauth.Authenticator.Audit): it is told of every failure, with the
// client ID as presented, the method and the reason mint logs.
type Failures interface {
	AuthFailed(ctx context.Context, clientID, method, reason string)
}

var (
	_ Issuances = (*Log)(nil)
	_ Failures  = (*Log)(nil)
)

// Log turns the token path's events into records for an Appender: every
// failure, and the issuances each API's AuditIssuance asks for.
type Log struct {
	Appender *Appender
	Now      func() time.Time // nil: time.Now
	// FailureWindow is how long repeats of one failure are counted into
	// one record (failures.go); 0: DefaultFailureWindow, negative: every
	// failure is a record of its own.
	FailureWindow time.Duration

	samples sync.Map // API ID → *atomic.Uint64, issuances seen

	failMu   sync.Mutex
	failures map[failureKey]*repeats
}

// maxField bounds what a caller's own words (a client ID as presented)
// may put in a record.
const maxField = 256

// TokenIssued queues a token.issued record unless the API's setting
// leaves this one out.
func (l *Log) TokenIssued(ctx context.Context, api mint.API, clientID string, scopes []string, jti string) {
	every, err := ParseIssuance(api.AuditIssuance)
	if err != nil {
		every = 1 // a setting mint would not store: record everything
	}
	if every == 0 || (every > 1 && !l.sampled(api.ID, every)) {
		return
	}
	l.Appender.Add(mint.AuditRecord{
		Time: l.now(), Kind: mint.AuditTokenIssued, Actor: clientID, ClientID: clientID,
		Subject: jti, Source: SourceFrom(ctx), Details: issuedDetails(api.Audience, scopes, jti, sampleOf(every)),
	})
}

// issuedDetails is the Details of a token.issued record:
//
//	{"audience":"…","scopes":["…"],"jti":"…","sample":N}
//
// with "sample" only when N is not 0, the same bytes json.Marshal writes for
// such a struct (field order, HTML escaping, [] for no scopes; the tests
// compare them), appended by hand into one allocation: it is made for every
// token, and json.Marshal's reflection cost about 1 µs and 2 allocations.
func issuedDetails(audience string, scopes []string, jti string, sample int) []byte {
	n := len(`{"audience":"","scopes":[],"jti":"","sample":}`) + len(audience) + len(jti) + 20
	for _, s := range scopes {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, `{"audience":`...)
	b = appendJSONString(b, audience)
	b = append(b, `,"scopes":[`...)
	for i, s := range scopes {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	b = append(b, `],"jti":`...)
	b = appendJSONString(b, jti)
	if sample != 0 {
		b = append(b, `,"sample":`...)
		b = strconv.AppendInt(b, int64(sample), 10)
	}
	return append(b, '}')
}

// appendJSONString appends s quoted as json.Marshal quotes it. Audiences,
// scopes and token IDs are printable ASCII with nothing to escape but for
// the rare "&" of a URL's query; anything that needs escaping (HTML's <, >,
// &, control bytes, non-ASCII that encoding/json may rewrite) goes through
// encoding/json.
func appendJSONString(b []byte, s string) []byte {
	if !verbatim.JSONHTML(s) { // eight bytes at a time
		quoted, _ := json.Marshal(s) // a string always encodes
		return append(b, quoted...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// sampled counts an issuance for the API and keeps one in every.
func (l *Log) sampled(apiID string, every int) bool {
	v, _ := l.samples.LoadOrStore(apiID, new(atomic.Uint64))
	return (v.(*atomic.Uint64).Add(1)-1)%uint64(every) == 0
}

func (l *Log) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

func sampleOf(every int) int {
	if every > 1 {
		return every
	}
	return 0
}

func clip(s string) string {
	if len(s) > maxField {
		return strings.Clone(s[:maxField]) // not a piece that keeps all of s queued
	}
	return s
}

// MaxSample is the largest N of "sample:N".
const MaxSample = 1_000_000

// ErrIssuanceSetting: not "all", "off" or "sample:N".
var ErrIssuanceSetting = errors.New(`audit_issuance must be "all", "off" or "sample:N" with N from 1 to 1000000`)

// ParseIssuance reads an API's AuditIssuance: it returns 1 to record
// every issuance ("all" or ""), N to record one in N ("sample:N"), and 0
// to record none ("off").
func ParseIssuance(s string) (every int, err error) {
	switch s {
	case "", mint.AuditAll:
		return 1, nil
	case mint.AuditOff:
		return 0, nil
	}
	n, ok := strings.CutPrefix(s, "sample:")
	if !ok {
		return 0, ErrIssuanceSetting
	}
	every, err = strconv.Atoi(n)
	if err != nil || every < 1 || every > MaxSample || strconv.Itoa(every) != n {
		return 0, ErrIssuanceSetting
	}
	return every, nil
}

// sourceKey is the context key of WithSource.
type sourceKey struct{}

// WithSource returns a context carrying the network address a request
// came from, for the records made while serving it.
func WithSource(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, sourceKey{}, addr)
}

// SourceFrom returns the address WithSource put in ctx, or "".
func SourceFrom(ctx context.Context) string {
	s, _ := ctx.Value(sourceKey{}).(string)
	return s
}
