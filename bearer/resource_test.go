package bearer_test

import (
	"encoding/json"
	"testing"

	"github.com/mintauth/mint/bearer"
)

// TestResourceMetadataCertificateBound: RFC 9728 §2's
// tls_client_certificate_bound_access_tokens is written either way, false
// unless the API says it can check certificate-bound tokens, and saying
// so changes nothing else.
func TestResourceMetadataCertificateBound(t *testing.T) {
	base := bearer.NewResourceMetadata("https://api.example", []string{"https://mint.example"}, false)
	for _, tt := range []struct {
		name string
		m    bearer.ResourceMetadata
		want bool
	}{
		{"default", base, false},
		{"supported", base.WithCertificateBound(true), true},
		{"said twice", base.WithCertificateBound(true).WithCertificateBound(false), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatal(err)
			}
			got, present := doc["tls_client_certificate_bound_access_tokens"]
			if !present || got != tt.want {
				t.Fatalf("tls_client_certificate_bound_access_tokens %v (present %v), want %v in %s", got, present, tt.want, raw)
			}
			if doc["resource"] != "https://api.example" || doc["dpop_bound_access_tokens_required"] != false {
				t.Fatalf("other members changed: %s", raw)
			}
		})
	}
	if base.TLSCertificateBound {
		t.Fatal("WithCertificateBound changed the value it was called on")
	}
}
