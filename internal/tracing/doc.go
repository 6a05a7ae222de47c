// Package tracing gives mint OpenTelemetry traces of the token endpoint
// and the admin API, exported over OTLP/HTTP (the OTLP specification's
// protobuf encoding, POST to /v1/traces) when an endpoint is configured,
// and nothing at all when none is: no tracer provider is built, no
// middleware is installed, and the token path takes the branch that does
// not trace (token.Endpoint.Tracer is nil).
//
// Incoming requests continue the caller's trace from a W3C Trace Context
// traceparent header (https://www.w3.org/TR/trace-context/ §3.2); their
// tracestate (§3.3) is dropped, as a stranger's text. Spans
// leave the process through a bounded queue (queue.go): a collector that
// is down or slow costs dropped spans, counted, never a slower or failed
// token request.
//
// Attributes carry only values mint bounds itself (the route, the method
// from a fixed list, the status, the OAuth error code, a client id once
// its credentials are proven, an audience once the client's grant on it
// is found): never a header, the request body, a secret, an assertion or
// a token. docs/observability.md lists them.
package tracing
