package token

import (
	"context"
	"log/slog"

	"github.com/mintauth/mint/internal/logline"
)

// logIssued writes the issuance line, one per token. Through mint serve's
// handler (package logline) it is written without slog's per-record work,
// the same bytes; through any other handler, by slog.
func (e *Endpoint) logIssued(ctx context.Context, c *claims, scopes []string) {
	log := e.log()
	if h, ok := log.Handler().(*logline.Handler); ok &&
		h.TokenIssued(ctx, "token issued", c.ClientID, c.Audience, scopes, c.ID) {
		return
	}
	log.LogAttrs(ctx, slog.LevelInfo, "token issued", slog.String("client_id", c.ClientID),
		slog.String("audience", c.Audience), slog.Any("scopes", scopes), slog.String("jti", c.ID))
}
