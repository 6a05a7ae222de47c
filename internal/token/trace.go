package token

import (
	"context"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mintauth/mint/oauth"
)

// The token path's child spans (package tracing starts the request's
// server span): the parts whose time varies with the store, the key and
// the audit log.
const (
	spanAuthenticate = "client authentication"
	spanGrant        = "grant resolution"
	spanSign         = "sign"
	spanAudit        = "audit enqueue"
)

// noSpan is what startSpan gives when the endpoint does not trace: a
// span whose methods do nothing, held in an interface without allocating.
var noSpan = trace.SpanFromContext(context.Background())

// startSpan starts a child span of ctx's named name, or returns ctx and
// noSpan when Tracer is nil: then the token path allocates nothing more
// than it did before traces (TestIssueAllocations). A request without a
// span (one the console makes in-process, past the tracing middleware)
// gets none either: its parts would be traces of their own.
func (e *Endpoint) startSpan(ctx context.Context, name string) (context.Context, trace.Span) {
	if e.Tracer == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx, noSpan
	}
	return e.Tracer.Start(ctx, name)
}

// endSpan ends span, marked failed with the OAuth error code when err is
// set: the code only, never the description, which can quote the request.
func endSpan(span trace.Span, err error) {
	if err != nil && span.IsRecording() {
		span.SetStatus(codes.Error, oauth.As(err).Code)
	}
	span.End()
}
