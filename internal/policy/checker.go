package policy

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// Checker runs the policies of the token path: the API's, then the
// client's. It keeps each policy compiled, keyed by its text, so that a
// policy is compiled once per process (when it is saved through this
// process's admin API, at Warm, or else at its first token), never per
// token. It is safe for concurrent use once its fields are set.
type Checker struct {
	// Log receives the errors of runs and the claims dropped; nil
	// discards them.
	Log *slog.Logger
	// Audit, when set, records each refusal (mint.AuditTokenDenied).
	Audit *audit.Appender
	// Now is the clock of request.time; nil means time.Now.
	Now func() time.Time

	mu       sync.RWMutex
	programs map[string]*Program
}

// maxCached bounds the compiled policies kept: past it the cache starts
// again empty (policies no longer stored do not pile up).
const maxCached = 4096

// Program returns the compiled policy of src from the cache, compiling it
// on a miss.
func (c *Checker) Program(src string) (*Program, error) {
	c.mu.RLock()
	p, ok := c.programs[src]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := Compile(src)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.programs == nil || len(c.programs) >= maxCached {
		c.programs = make(map[string]*Program)
	}
	c.programs[src] = p
	c.mu.Unlock()
	return p, nil
}

// Warm compiles the policies of every API, so that the first tokens after
// a start do not pay for it. A policy that does not compile is logged
// (its tokens will be refused).
func (c *Checker) Warm(ctx context.Context, store mint.Store) error {
	apis, err := store.ListAPIs(ctx)
	if err != nil {
		return err
	}
	for _, a := range apis {
		if a.Policy == "" {
			continue
		}
		if _, err := c.Program(a.Policy); err != nil {
			c.log().LogAttrs(ctx, slog.LevelWarn, "stored policy does not compile", slog.String("api", a.ID), slog.Any("error", err))
		}
	}
	return nil
}

// Check runs the API's policy and then the client's on a token about to be
// issued with scopes. It returns the claims to add (the members of a JSON
// object, see Decision.Claims), or an *oauth.Error refusing the token:
// unauthorized_client with the policy's reason, or with a generic one when
// a policy failed to run (fail closed; the cause is logged, not answered).
// A claim the client's policy gives that the API's gave already keeps the
// API's value.
func (c *Checker) Check(ctx context.Context, client mint.Client, api mint.API, grant mint.Grant, requested, scopes []string) ([]byte, error) {
	in := c.input(ctx, client, api, grant, requested, scopes)
	defer inputs.Put(in)
	var claims []byte
	for _, p := range [2]struct{ owner, src string }{{"api", api.Policy}, {"client", client.Policy}} {
		if p.src == "" {
			continue
		}
		d, err := c.run(ctx, p.src, in)
		if err != nil {
			c.log().LogAttrs(ctx, slog.LevelError, "policy failed: token refused", slog.String("policy_of", p.owner),
				slog.String("client_id", client.ID), slog.String("audience", api.Audience), slog.Any("error", err))
			return nil, c.refuse(ctx, in, p.owner, failedReason)
		}
		if len(d.Dropped) > 0 {
			c.log().LogAttrs(ctx, slog.LevelWarn, "policy claims dropped", slog.String("policy_of", p.owner),
				slog.String("client_id", client.ID), slog.String("audience", api.Audience), slog.Any("claims", d.Dropped))
		}
		if d.Deny {
			return nil, c.refuse(ctx, in, p.owner, d.Reason)
		}
		claims = merge(claims, d.Claims)
	}
	return claims, nil
}

// failedReason is the description of a refusal by a policy that failed to
// run: its error may show the policy's text or data, which is not the
// client's to read.
const failedReason = "the token could not be checked against the issuance policy"

func (c *Checker) run(ctx context.Context, src string, in *Input) (Decision, error) {
	p, err := c.Program(src)
	if err != nil {
		return Decision{}, err
	}
	return p.Evaluate(in)
}

// inputs keeps the Inputs of runs that ended: nothing a run returns
// refers to its Input (claims are encoded before it ends).
var inputs = sync.Pool{New: func() any { return new(Input) }}

func (c *Checker) input(ctx context.Context, client mint.Client, api mint.API, grant mint.Grant, requested, scopes []string) *Input {
	in := inputs.Get().(*Input)
	*in = Input{
		Client:  Client{ID: client.ID, Name: client.Name, Metadata: client.Metadata},
		API:     API{ID: api.ID, Audience: api.Audience, Name: api.Name},
		Grant:   Grant{Scopes: grant.Scopes},
		Request: Request{Scopes: requested, Granted: scopes, Source: sourceIP(audit.SourceFrom(ctx)), Time: c.now()},
	}
	return in
}

// sourceIP is the IP of an address as audit.SourceFrom gives it (host:port
// or a bare IP), IPv4-mapped IPv6 as IPv4, without a zone; "" when it is
// neither. An IPv4 address is a substring of addr (ParseAddr takes only its
// canonical form): no copy on the common path.
func sourceIP(addr string) string {
	if addr == "" {
		return "" // unknown; the parsers' errors would allocate
	}
	host := addr
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		host = addr[:strings.LastIndexByte(addr, ':')]
		if ap.Addr().Is4() {
			return host
		}
		return ap.Addr().Unmap().WithZone("").String()
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	if a.Is4() {
		return host
	}
	return a.Unmap().WithZone("").String()
}

// merge adds the claims of more to claims, skipping names claims has.
func merge(claims, more []byte) []byte {
	if len(claims) == 0 {
		return more
	}
	if len(more) == 0 {
		return claims
	}
	var have, add map[string]json.RawMessage
	if json.Unmarshal(append(append([]byte{'{'}, claims...), '}'), &have) != nil ||
		json.Unmarshal(append(append([]byte{'{'}, more...), '}'), &add) != nil {
		return claims
	}
	for k, v := range add {
		if _, ok := have[k]; !ok {
			have[k] = v
		}
	}
	b, _ := json.Marshal(have)
	return b[1 : len(b)-1]
}

func (c *Checker) refuse(ctx context.Context, in *Input, owner, reason string) error {
	if c.Audit != nil {
		details, _ := json.Marshal(struct {
			Audience string   `json:"audience"`
			Scopes   []string `json:"scopes"`
			Policy   string   `json:"policy"`
			Reason   string   `json:"reason"`
		}{in.API.Audience, in.Request.Granted, owner, reason})
		c.Audit.Add(mint.AuditRecord{Time: in.Request.Time, Kind: mint.AuditTokenDenied, Actor: in.Client.ID,
			ClientID: in.Client.ID, Subject: in.API.ID, Source: audit.SourceFrom(ctx), Details: details})
	}
	return oauth.ErrUnauthorizedClient.Describe("%s", reason)
}

func (c *Checker) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

var discard = slog.New(slog.DiscardHandler)

func (c *Checker) log() *slog.Logger {
	if c.Log == nil {
		return discard
	}
	return c.Log
}
