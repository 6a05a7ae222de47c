package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Token attributes on a token request's server span.
const (
	AttrClientID = "mint.client_id"    // the client its credentials proved
	AttrAudience = "mint.audience"     // the API, once the client's grant on it was found
	AttrError    = "oauth.error"       // the RFC 6749 §5.2 error code answered
	AttrReused   = "mint.token.reused" // the token answered was issued before
)

// TokenOutcome puts what became of a token request on the span in ctx,
// when it is recording. Every value is bounded by mint: the client id
// only once authenticated (an unknown or failed client leaves it out),
// the audience only once a grant on it was found, the error code from
// RFC 6749's list.
func TokenOutcome(ctx context.Context, clientID, audience, errCode string, reused bool) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 4)
	if clientID != "" {
		attrs = append(attrs, attribute.String(AttrClientID, clientID))
	}
	if audience != "" {
		attrs = append(attrs, attribute.String(AttrAudience, audience))
	}
	if errCode != "" {
		attrs = append(attrs, attribute.String(AttrError, errCode))
	}
	if reused {
		attrs = append(attrs, attribute.Bool(AttrReused, true))
	}
	span.SetAttributes(attrs...)
}
