package admin

import (
	"errors"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// reasoned is a storage error that says why the database cannot answer,
// in words fit for an admin (sqlite and postgres unavailableError).
type reasoned interface{ UnavailableReason() string }

// describeUnavailable gives a 503 caused by the database (mint.ErrUnavailable)
// a description that says why and that nothing was changed, so that an
// operator reading the answer knows where to look (issue 20). Only admins
// see it; the token endpoint keeps the generic description.
func describeUnavailable(err error) error {
	if err == nil || !errors.Is(err, mint.ErrUnavailable) {
		return err
	}
	reason := "the database cannot answer now"
	var r reasoned
	if errors.As(err, &r) {
		reason = r.UnavailableReason()
	}
	return oauth.ErrUnavailable.Describe("%s; nothing was changed; try again later", reason).WithCause(err)
}
