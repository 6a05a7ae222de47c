package oauth_test

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// predefined lists every shared error value of the package.
var predefined = []struct {
	name   string
	err    *oauth.Error
	code   string
	status int
}{
	{"ErrInvalidRequest", oauth.ErrInvalidRequest, "invalid_request", 400},
	{"ErrInvalidClient", oauth.ErrInvalidClient, "invalid_client", 401},
	{"ErrInvalidGrant", oauth.ErrInvalidGrant, "invalid_grant", 400},
	{"ErrUnauthorizedClient", oauth.ErrUnauthorizedClient, "unauthorized_client", 400},
	{"ErrUnsupportedGrantType", oauth.ErrUnsupportedGrantType, "unsupported_grant_type", 400},
	{"ErrInvalidScope", oauth.ErrInvalidScope, "invalid_scope", 400},
	{"ErrInvalidTarget", oauth.ErrInvalidTarget, "invalid_target", 400},
	{"ErrInvalidToken", oauth.ErrInvalidToken, "invalid_token", 401},
	{"ErrInsufficientScope", oauth.ErrInsufficientScope, "insufficient_scope", 403},
	{"ErrMethodNotAllowed", oauth.ErrMethodNotAllowed, "method_not_allowed", 405},
	{"ErrUnsupportedMediaType", oauth.ErrUnsupportedMediaType, "unsupported_media_type", 415},
	{"ErrRequestTooLarge", oauth.ErrRequestTooLarge, "invalid_request", 413},
	{"ErrNotFound", oauth.ErrNotFound, "not_found", 404},
	{"ErrConflict", oauth.ErrConflict, "conflict", 409},
	{"ErrServer", oauth.ErrServer, "server_error", 500},
	{"ErrUnavailable", oauth.ErrUnavailable, "temporarily_unavailable", 503},
}

// snapshot copies e deeply enough to notice any later change to it.
func snapshot(e *oauth.Error) oauth.Error {
	c := *e
	c.Header = e.Header.Clone()
	return c
}

func TestPredefinedErrors(t *testing.T) {
	for _, p := range predefined {
		t.Run(p.name, func(t *testing.T) {
			if p.err.Code != p.code || p.err.Status != p.status {
				t.Errorf("%s is %s %d, want %s %d", p.name, p.err.Code, p.err.Status, p.code, p.status)
			}
			if p.err.Field != "" || p.err.Header != nil || errors.Unwrap(p.err) != nil {
				t.Errorf("%s carries a field, header or cause: %+v", p.name, *p.err)
			}
		})
	}
}

// TestCopiesLeaveSharedErrorsAlone: every With/Describe returns a new value
// and never writes through to the value it was called on, which is shared
// by every request.
func TestCopiesLeaveSharedErrorsAlone(t *testing.T) {
	cause := errors.New("disk full")
	tests := []struct {
		name   string
		derive func(*oauth.Error) *oauth.Error
		check  func(t *testing.T, got *oauth.Error)
	}{
		{"Describe", func(e *oauth.Error) *oauth.Error { return e.Describe("scope %q is unknown", "admin") },
			func(t *testing.T, got *oauth.Error) {
				if got.Description != `scope "admin" is unknown` {
					t.Errorf("Description = %q", got.Description)
				}
			}},
		{"WithField", func(e *oauth.Error) *oauth.Error { return e.WithField("scope") },
			func(t *testing.T, got *oauth.Error) {
				if got.Field != "scope" {
					t.Errorf("Field = %q", got.Field)
				}
			}},
		{"WithHeader", func(e *oauth.Error) *oauth.Error { return e.WithHeader("www-authenticate", `Bearer realm="mint"`) },
			func(t *testing.T, got *oauth.Error) {
				if v := got.Header.Get("WWW-Authenticate"); v != `Bearer realm="mint"` {
					t.Errorf("WWW-Authenticate = %q", v)
				}
			}},
		{"WithCause", func(e *oauth.Error) *oauth.Error { return e.WithCause(cause) },
			func(t *testing.T, got *oauth.Error) {
				if !errors.Is(got, cause) || errors.Unwrap(got) != cause {
					t.Errorf("cause = %v, want %v", errors.Unwrap(got), cause)
				}
			}},
		{"Chained", func(e *oauth.Error) *oauth.Error {
			return e.WithHeader("Allow", "POST").Describe("use POST").WithField("method").WithCause(cause).WithHeader("Retry-After", "1")
		}, func(t *testing.T, got *oauth.Error) {
			if got.Header.Get("Allow") != "POST" || got.Header.Get("Retry-After") != "1" ||
				got.Description != "use POST" || got.Field != "method" || errors.Unwrap(got) != cause {
				t.Errorf("chained copy lost something: %+v", *got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := make([]oauth.Error, len(predefined))
			for i, p := range predefined {
				before[i] = snapshot(p.err)
			}
			for i, p := range predefined {
				got := tt.derive(p.err)
				if got == p.err {
					t.Fatalf("%s: returned the shared value itself", p.name)
				}
				if got.Code != p.code || got.Status != p.status {
					t.Errorf("%s: copy is %s %d, want %s %d", p.name, got.Code, got.Status, p.code, p.status)
				}
				tt.check(t, got)
				if now := snapshot(p.err); !reflect.DeepEqual(now, before[i]) {
					t.Errorf("%s changed:\n now: %+v\nwas: %+v", p.name, now, before[i])
				}
			}
		})
	}
}

// TestCopiesDoNotShareHeaders: a copy of a copy that has headers gets its
// own map, so adding a header to one request's error cannot leak into
// another's.
func TestCopiesDoNotShareHeaders(t *testing.T) {
	base := oauth.ErrInvalidToken.WithHeader("WWW-Authenticate", `Bearer realm="mint"`)
	want := base.Header.Clone()
	tests := []struct {
		name   string
		derive func(*oauth.Error) *oauth.Error
	}{
		{"WithHeader", func(e *oauth.Error) *oauth.Error { return e.WithHeader("X-Extra", "1") }},
		{"WithHeaderSameKey", func(e *oauth.Error) *oauth.Error {
			return e.WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`)
		}},
		{"DescribeThenMutate", func(e *oauth.Error) *oauth.Error {
			c := e.Describe("expired")
			c.Header.Add("X-Extra", "1")
			return c
		}},
		{"WithFieldThenMutate", func(e *oauth.Error) *oauth.Error {
			c := e.WithField("token")
			c.Header["Www-Authenticate"][0] = "clobbered"
			return c
		}},
		{"WithCauseThenMutate", func(e *oauth.Error) *oauth.Error {
			c := e.WithCause(io.EOF)
			c.Header.Del("WWW-Authenticate")
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.derive(base)
			if !reflect.DeepEqual(base.Header, want) {
				t.Errorf("the original's headers changed to %v, want %v", base.Header, want)
			}
		})
	}
}

func TestIs(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		target error
		want   bool
	}{
		{"SameValue", oauth.ErrInvalidClient, oauth.ErrInvalidClient, true},
		{"Described", oauth.ErrInvalidClient.Describe("unknown client"), oauth.ErrInvalidClient, true},
		{"WithHeaderAndCause", oauth.ErrInvalidToken.WithHeader("WWW-Authenticate", "Bearer").WithCause(io.EOF),
			oauth.ErrInvalidToken, true},
		{"Wrapped", fmt.Errorf("token endpoint: %w", oauth.ErrInvalidScope.Describe("no")), oauth.ErrInvalidScope, true},
		{"SameCodeOtherStatus", oauth.ErrRequestTooLarge, oauth.ErrInvalidRequest, true},
		{"TargetDescribed", oauth.ErrInvalidGrant, oauth.ErrInvalidGrant.Describe("other text"), true},
		{"OtherCode", oauth.ErrInvalidClient.Describe("x"), oauth.ErrInvalidGrant, false},
		{"PlainError", errors.New("invalid_client"), oauth.ErrInvalidClient, false},
		{"Nil", nil, oauth.ErrServer, false},
		{"CauseIsReachable", oauth.ErrServer.WithCause(io.ErrUnexpectedEOF), io.ErrUnexpectedEOF, true},
		{"CauseIsNotAnotherCode", oauth.ErrServer.WithCause(oauth.ErrInvalidClient), oauth.ErrInvalidGrant, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errors.Is(tt.err, tt.target); got != tt.want {
				t.Errorf("errors.Is(%v, %v) = %v, want %v", tt.err, tt.target, got, tt.want)
			}
		})
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		name string
		err  *oauth.Error
		want string
	}{
		{"CodeOnly", oauth.ErrNotFound, "not_found"},
		{"WithDescription", oauth.ErrInvalidScope.Describe("scope %q", "admin"), `invalid_scope: scope "admin"`},
		{"WithCause", oauth.ErrServer.WithCause(errors.New("db locked")),
			"server_error: the server failed to answer; the failure is logged: db locked"},
		{"FieldAndHeaderAreNotInTheMessage", oauth.ErrInvalidRequest.WithField("scope").WithHeader("X", "y"),
			"invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAs(t *testing.T) {
	const leak = "pq: password authentication failed for user mint_admin at 10.0.0.5"
	plain := errors.New(leak)
	described := oauth.ErrInvalidClient.Describe("unknown client")

	tests := []struct {
		name       string
		err        error
		wantSame   *oauth.Error // when not nil, As must return exactly this value
		wantCode   string
		wantStatus int
		wantCause  error
	}{
		{"PlainErrorBecomesServerError", plain, nil, "server_error", 500, plain},
		{"WrappedPlainError", fmt.Errorf("load client: %w", plain), nil, "server_error", 500, plain},
		{"ErrorPassesThrough", described, described, "invalid_client", 401, nil},
		{"WrappedErrorIsUnwrapped", fmt.Errorf("auth: %w", described), described, "invalid_client", 401, nil},
		{"ServerErrorKeepsItsCause", oauth.ErrServer.WithCause(plain), nil, "server_error", 500, plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oauth.As(tt.err)
			if tt.wantSame != nil && got != tt.wantSame {
				t.Errorf("As returned %p, want the same value %p", got, tt.wantSame)
			}
			if got.Code != tt.wantCode || got.Status != tt.wantStatus {
				t.Errorf("As = %s %d, want %s %d", got.Code, got.Status, tt.wantCode, tt.wantStatus)
			}
			if tt.wantCause != nil && !errors.Is(got, tt.wantCause) {
				t.Errorf("As lost the cause %v (the log needs it)", tt.wantCause)
			}
			if tt.wantCode == "server_error" && got == oauth.ErrServer {
				t.Error("As returned the shared ErrServer with a cause attached")
			}
		})
	}

	t.Run("CauseIsNotRendered", func(t *testing.T) {
		for _, err := range []error{plain, fmt.Errorf("load client: %w", plain), oauth.ErrServer.WithCause(plain)} {
			w := httptest.NewRecorder()
			oauth.WriteError(w, err)
			if body := w.Body.String(); strings.Contains(body, "password") || strings.Contains(body, "10.0.0.5") {
				t.Errorf("body leaks the cause: %s", body)
			}
			if !strings.Contains(oauth.As(err).Error(), leak) {
				t.Errorf("Error() = %q lacks the cause; the log would too", oauth.As(err).Error())
			}
		}
	})

	t.Run("SharedErrServerUntouched", func(t *testing.T) {
		if errors.Unwrap(oauth.ErrServer) != nil {
			t.Errorf("ErrServer carries a cause: %v", errors.Unwrap(oauth.ErrServer))
		}
	})
}

func TestAsUnavailableStorage(t *testing.T) {
	cause := fmt.Errorf("postgres: list secrets: %w", errors.Join(errors.New("connection refused"), mint.ErrUnavailable))
	for name, err := range map[string]error{
		"server error with the cause": oauth.ErrServer.WithCause(cause),
		"bare cause":                  cause,
	} {
		t.Run(name, func(t *testing.T) {
			got := oauth.As(err)
			if got.Code != "temporarily_unavailable" || got.Status != 503 || !errors.Is(got, mint.ErrUnavailable) {
				t.Errorf("As = %s %d (cause kept: %v), want temporarily_unavailable 503", got.Code, got.Status, errors.Is(got, mint.ErrUnavailable))
			}
		})
	}
	if got := oauth.As(oauth.ErrServer.WithCause(errors.New("disk on fire"))); got.Status != 500 {
		t.Errorf("other server errors: status %d, want 500", got.Status)
	}
}
