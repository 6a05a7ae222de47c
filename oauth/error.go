// Package oauth holds mint's one error type for protocol errors: the RFC 6749
// §5.2 error response ({"error", "error_description"}) with its HTTP status,
// used by the token endpoint, the admin API and the bearer middleware
// (RFC 6750 §3.1 codes), and the one writer that renders it.
//
// Internal causes ride along for the log and are never written to the client.
package oauth

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mintauth/mint/internal/mint"
)

// Error is a protocol error as the client sees it.
type Error struct {
	// Code is the RFC error code, e.g. "invalid_client".
	Code string `json:"error"`
	// Description is a sentence for the developer calling mint.
	Description string `json:"error_description,omitempty"`
	// Field names the request field at fault, when there is one.
	Field string `json:"field,omitempty"`
	// Limit names the limit a 429 rate_limit_exceeded hit (package
	// ratelimit): rate, tokens_per_hour or tokens_per_day.
	Limit string `json:"limit,omitempty"`
	// Status is the HTTP status the error is written with.
	Status int `json:"-"`
	// Header holds extra response headers, such as WWW-Authenticate or Allow.
	Header http.Header `json:"-"`

	cause error
}

func (e *Error) Error() string {
	msg := e.Code
	if e.Description != "" {
		msg += ": " + e.Description
	}
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

// Unwrap returns the internal cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is matches errors by code, so errors.Is(err, oauth.ErrInvalidClient) holds
// for any invalid_client error whatever its description.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func (e *Error) clone() *Error {
	c := *e
	if e.Header != nil {
		c.Header = e.Header.Clone()
	}
	return &c
}

// Describe returns a copy of e with the description set from a format.
func (e *Error) Describe(format string, args ...any) *Error {
	c := e.clone()
	c.Description = fmt.Sprintf(format, args...)
	return c
}

// WithField returns a copy of e that names the request field at fault.
func (e *Error) WithField(field string) *Error {
	c := e.clone()
	c.Field = field
	return c
}

// WithHeader returns a copy of e that is written with an extra header.
func (e *Error) WithHeader(key, value string) *Error {
	c := e.clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(key, value)
	return c
}

// WithCause returns a copy of e that carries an internal cause for the log.
func (e *Error) WithCause(err error) *Error {
	c := e.clone()
	c.cause = err
	return c
}

// The errors mint answers with. Use Describe to say what went wrong.
var (
	// RFC 6749 §5.2.
	ErrInvalidRequest       = &Error{Code: "invalid_request", Status: http.StatusBadRequest}
	ErrInvalidClient        = &Error{Code: "invalid_client", Status: http.StatusUnauthorized}
	ErrInvalidGrant         = &Error{Code: "invalid_grant", Status: http.StatusBadRequest}
	ErrUnauthorizedClient   = &Error{Code: "unauthorized_client", Status: http.StatusBadRequest}
	ErrUnsupportedGrantType = &Error{Code: "unsupported_grant_type", Status: http.StatusBadRequest}
	ErrInvalidScope         = &Error{Code: "invalid_scope", Status: http.StatusBadRequest}
	// RFC 8707 §2.
	ErrInvalidTarget = &Error{Code: "invalid_target", Status: http.StatusBadRequest}
	// RFC 6750 §3.1.
	ErrInvalidToken      = &Error{Code: "invalid_token", Status: http.StatusUnauthorized}
	ErrInsufficientScope = &Error{Code: "insufficient_scope", Status: http.StatusForbidden}

	// HTTP-level errors, in the same shape.
	ErrMethodNotAllowed     = &Error{Code: "method_not_allowed", Status: http.StatusMethodNotAllowed}
	ErrUnsupportedMediaType = &Error{Code: "unsupported_media_type", Status: http.StatusUnsupportedMediaType}
	ErrRequestTooLarge      = &Error{Code: "invalid_request", Status: http.StatusRequestEntityTooLarge}
	ErrNotFound             = &Error{Code: "not_found", Status: http.StatusNotFound}
	ErrConflict             = &Error{Code: "conflict", Status: http.StatusConflict}
	ErrServer               = &Error{Code: "server_error", Status: http.StatusInternalServerError,
		Description: "the server failed to answer; the failure is logged"}
	// A client over one of its limits (package ratelimit). RFC 6749 has
	// no code for it; this is mint's extension code.
	ErrRateLimited = &Error{Code: "rate_limit_exceeded", Status: http.StatusTooManyRequests}
	ErrUnavailable = &Error{Code: "temporarily_unavailable", Status: http.StatusServiceUnavailable,
		Description: "the server cannot answer now; try again later"}
)

// As returns err as an *Error. Anything that is not one becomes
// ErrServer carrying err as its cause, so nothing internal reaches a client.
// A server error caused by storage that is down or cannot write
// (mint.ErrUnavailable) becomes ErrUnavailable: 503, try again later.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Code == ErrServer.Code && errors.Is(e.cause, mint.ErrUnavailable) {
			return ErrUnavailable.WithCause(e.cause)
		}
		return e
	}
	if errors.Is(err, mint.ErrUnavailable) {
		return ErrUnavailable.WithCause(err)
	}
	return ErrServer.WithCause(err)
}
