package dpop

import "testing"

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example/v1", "https://api.example/v1"},
		{"HTTPS://API.Example/v1", "https://api.example/v1"},
		{"https://api.example:443/v1", "https://api.example/v1"},
		{"http://api.example:80/v1", "http://api.example/v1"},
		{"http://api.example:443/v1", "http://api.example:443/v1"},
		{"https://api.example", "https://api.example/"},
		{"https://api.example/v1?x=1#f", "https://api.example/v1"},
		{"https://api.example/%7euser/%2f", "https://api.example/~user/%2F"},
		{"https://api.example/a%41", "https://api.example/aA"},
		{"https://[::1]:8443/x", "https://[::1]:8443/x"},
		{"https://api.example:/x", "https://api.example/x"},
		{"https://api.example/V1", "https://api.example/V1"},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "/v1", "ftp://api.example/", "https://user:pw@api.example/", "https:///x", "mailto:a@b", "https://api.example/%zz", "https://api.example/%4"} {
		if got, err := NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) = %q, want an error", bad, got)
		}
	}
}
