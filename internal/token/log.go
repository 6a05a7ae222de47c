package token

import (
	"context"
	"log/slog"
	"time"

	"github.com/mintauth/mint/internal/logline"
)

// logIssued writes the issuance line, one per token. Through mint serve's
// handler (package logline) it is written without slog's per-record work,
// the same bytes, at issued, the time the token's claims were made: the
// clock is read once per token. (An endpoint with a clock of its own,
// Now, a test's, leaves the line the real time, as slog would write.)
// Through any other handler, by slog.
func (e *Endpoint) logIssued(ctx context.Context, c *claims, scopes []string, issued time.Time) {
	log := e.log()
	if e.Now != nil {
		issued = time.Time{} // the handler reads the real clock
	}
	if h, ok := log.Handler().(*logline.Handler); ok &&
		h.TokenIssuedAt(ctx, issued, "token issued", c.ClientID, c.Audience, scopes, c.ID) {
		return
	}
	log.LogAttrs(ctx, slog.LevelInfo, "token issued", slog.String("client_id", c.ClientID),
		slog.String("audience", c.Audience), slog.Any("scopes", scopes), slog.String("jti", c.ID))
}
