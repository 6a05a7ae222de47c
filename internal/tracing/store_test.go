package tracing

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// TestStore: on each backend, an admin write inside a request's span is
// a child span named for the store method; a failed one is marked with
// the kind of failure only, never the error's text (it names values); a
// call outside any span makes no span.
func TestStore(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			rec := tracetest.NewSpanRecorder()
			tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
			store := Store(testdb.Open(t, backend), tracer)
			api := mint.API{ID: "api_traced", Name: "traced", Audience: "https://secret-looking.test", Scopes: []string{"read"}}
			if err := store.CreateAPI(context.Background(), api); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.Ended()); n != 0 {
				t.Fatalf("%d spans for a call outside any span", n)
			}
			ctx, root := tracer.Start(context.Background(), "POST /admin/v1/apis")
			api.ID = "api_traced_again"
			if err := store.CreateAPI(ctx, api); err == nil {
				t.Fatal("a second API with the same audience was created")
			}
			if _, err := store.UpdateAPI(ctx, "api_traced", func(a mint.API) (mint.API, error) { a.Name = "renamed"; return a, nil }); err != nil {
				t.Fatal(err)
			}
			root.End()
			spans := rec.Ended()
			if len(spans) != 3 {
				t.Fatalf("%d spans, want 2 store spans and the root", len(spans))
			}
			for i, want := range []struct {
				name   string
				status codes.Code
				desc   string
			}{{"store CreateAPI", codes.Error, "conflict"}, {"store UpdateAPI", codes.Unset, ""}} {
				s := spans[i]
				if s.Name() != want.name || s.Parent().SpanID() != root.SpanContext().SpanID() ||
					s.Status().Code != want.status || s.Status().Description != want.desc {
					t.Errorf("span %d: %q parent %v status %v %q; want %q under the root, %v %q",
						i, s.Name(), s.Parent().SpanID(), s.Status().Code, s.Status().Description, want.name, want.status, want.desc)
				}
				for _, kv := range s.Attributes() {
					if strings.Contains(kv.Value.Emit(), "secret-looking") {
						t.Errorf("span %q carries the audience: %v", s.Name(), kv)
					}
				}
			}
		})
	}
}
