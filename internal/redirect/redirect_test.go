package redirect

import (
	"net/url"
	"testing"
)

func TestOrigin(t *testing.T) {
	same := [][2]string{
		{"https://Example.COM/a", "https://example.com:443/b?c"},
		{"http://example.com", "HTTP://example.com:80/"},
		{"http://[::1]:8080/x", "http://[::1]:8080"},
		{"https://user:pw@example.com/", "https://example.com/"},
	}
	differ := [][2]string{
		{"https://example.com", "http://example.com"},       // scheme: net/http keeps Authorization
		{"http://127.0.0.1:8080", "http://127.0.0.1:8081"},  // port: net/http keeps Authorization
		{"https://example.com", "https://api.example.com"},  // subdomain: net/http keeps Authorization
		{"https://example.com", "https://example.com.evil"}, // suffix
		{"http://127.0.0.1", "http://localhost"},            // same machine, other name
		{"https://example.com:443", "https://example.com:8443"},
	}
	for _, p := range same {
		if a, b := origin(t, p[0]), origin(t, p[1]); a != b {
			t.Errorf("Origin(%s) = %s, Origin(%s) = %s; want equal", p[0], a, p[1], b)
		}
	}
	for _, p := range differ {
		if a, b := origin(t, p[0]), origin(t, p[1]); a == b {
			t.Errorf("Origin(%s) = Origin(%s) = %s; want different", p[0], p[1], a)
		}
	}
}

func origin(t *testing.T, s string) string {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return Origin(u)
}
