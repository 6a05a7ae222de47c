package ratelimit

import (
	"fmt"
	"strconv"
	"time"

	"github.com/mintauth/mint/oauth"
)

// exceeded is a limit a request went over.
type exceeded struct {
	limit  string // LimitRate, LimitTokensPerHour, LimitTokensPerDay
	policy string // the policy's name in the headers: "rate", "hour", "day"
	quota  int64
	window time.Duration
	reset  time.Duration // until one more request or token fits
}

// refusal is the 429 for ex: Retry-After (RFC 9110 §10.2.3) and the fields
// of draft-ietf-httpapi-ratelimit-headers-11 §2–3, e.g.
//
//	RateLimit-Policy: "hour";q=100;w=3600
//	RateLimit: "hour";r=0;t=1234
//
// with the body {"error":"rate_limit_exceeded","error_description":…,
// "limit":"tokens_per_hour"}.
func (ex exceeded) refusal() *oauth.Error {
	policy := ex.policy
	if policy == "" {
		policy = ex.limit
	}
	wait := seconds(ex.reset)
	window := seconds(ex.window)
	var desc string
	if ex.limit == LimitRate {
		desc = fmt.Sprintf("request rate reached (%d requests per %d s); retry in %d s", ex.quota, window, wait)
	} else {
		desc = fmt.Sprintf("%s (%d) reached; resets in %d s", ex.limit, ex.quota, wait)
	}
	e := oauth.ErrRateLimited.Describe("%s", desc).
		WithHeader("Retry-After", strconv.FormatInt(wait, 10)).
		WithHeader("RateLimit-Policy", fmt.Sprintf("%q;q=%d;w=%d", policy, ex.quota, window)).
		WithHeader("RateLimit", fmt.Sprintf("%q;r=0;t=%d", policy, wait))
	e.Limit = ex.limit
	return e
}

// seconds rounds d up to whole seconds, at least 1: a client told 0 would
// retry at once.
func seconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
