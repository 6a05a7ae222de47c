package dashboard

import "github.com/mintauth/mint/internal/ratelimit"

// Reasons are the refusals counted, by the error code the token endpoint
// answered (RFC 6749 §5.2, RFC 8707 §2, mint's rate_limit_exceeded and
// temporarily_unavailable); any other code counts as ReasonOther. The
// list is fixed, so a stranger's request cannot add a series.
var Reasons = []string{
	"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "invalid_target", "access_denied",
	"rate_limit_exceeded", "temporarily_unavailable", "server_error", ReasonOther,
}

// ReasonOther counts the refusals whose code is not in Reasons.
const ReasonOther = "other"

// Limits are the per-client limits whose hits are counted (package
// ratelimit); refused or, in observe mode, only counted.
var Limits = []string{ratelimit.LimitRate, ratelimit.LimitTokensPerHour, ratelimit.LimitTokensPerDay}

const (
	nReasons = 12
	nLimits  = 3
)

// reasonIndex is code's place in Reasons, ReasonOther's for an unknown
// code. A switch, not a map: it runs on every refusal and allocates
// nothing.
func reasonIndex(code string) int {
	switch code {
	case "invalid_request":
		return 0
	case "invalid_client":
		return 1
	case "invalid_grant":
		return 2
	case "unauthorized_client":
		return 3
	case "unsupported_grant_type":
		return 4
	case "invalid_scope":
		return 5
	case "invalid_target":
		return 6
	case "access_denied":
		return 7
	case "rate_limit_exceeded":
		return 8
	case "temporarily_unavailable":
		return 9
	case "server_error":
		return 10
	}
	return nReasons - 1
}

// limitIndex is limit's place in Limits, -1 for another.
func limitIndex(limit string) int {
	switch limit {
	case ratelimit.LimitRate:
		return 0
	case ratelimit.LimitTokensPerHour:
		return 1
	case ratelimit.LimitTokensPerDay:
		return 2
	}
	return -1
}
