package client

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestBearerError(t *testing.T) {
	tests := []struct{ name, header, want string }{
		{"RFC 6750 example", `Bearer realm="example", error="invalid_token", error_description="The access token expired"`, "invalid_token"},
		{"unquoted", `Bearer error=invalid_token`, "invalid_token"},
		{"scheme case", `bearer ERROR="invalid_token"`, "invalid_token"},
		{"no error", `Bearer realm="api"`, ""},
		{"other code", `Bearer error="insufficient_scope", scope="a"`, "insufficient_scope"},
		{"after another scheme", `Basic realm="x", Bearer error="invalid_token"`, "invalid_token"},
		{"other scheme only", `Basic realm="x", error="invalid_token"`, ""},
		{"escaped quote", `Bearer error_description="say \"hi\", error=x", error="invalid_token"`, "invalid_token"},
		{"garbage", `=,"" ,=Bearer`, ""},
		{"unterminated", `Bearer error="invalid_tok`, "invalid_tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bearerError(tt.header); got != tt.want {
				t.Errorf("bearerError(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}

func FuzzBearerError(f *testing.F) {
	f.Add(`Bearer realm="example", error="invalid_token"`)
	f.Add(`Basic realm="x", Bearer error=invalid_token`)
	f.Add(`"\`)
	f.Fuzz(func(t *testing.T, v string) {
		bearerError(v) // must return, without panic, for any input
	})
}

func TestBodyRejectsToken(t *testing.T) {
	tests := []struct {
		name, body string
		want       bool
	}{
		{"seed 003", `{"statusCode": 401, "statusText": "Unauthorized", "message": "Token expired."}`, true},
		{"invalid token message", `{"message":"Invalid token"}`, true},
		{"RFC 6750 code in body", `{"error":"invalid_token"}`, true},
		{"odd statusCode type", `{"statusCode":"401","message":"Token expired."}`, true},
		{"other message", `{"statusCode": 401, "message": "Client not allowed."}`, false},
		{"other status", `{"statusCode": 403, "message": "Token expired."}`, false},
		{"not JSON", `Token expired.`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bodyRejectsToken([]byte(tt.body)); got != tt.want {
				t.Errorf("bodyRejectsToken(%s) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

func TestTokenRejectedKeepsBody(t *testing.T) {
	body := `{"statusCode": 401, "message": "Token expired."}` + strings.Repeat(" ", 2*maxPeek)
	resp := &http.Response{Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
	tokenRejected(resp) // too long to parse, but must leave the body whole
	got, _ := io.ReadAll(resp.Body)
	if string(got) != body {
		t.Errorf("body after peeking has %d bytes, want %d", len(got), len(body))
	}
}
