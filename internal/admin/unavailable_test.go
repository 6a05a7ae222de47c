package admin

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

type fullDisk struct{}

func (fullDisk) Error() string             { return "sqlite: database or disk is full (13)" }
func (fullDisk) UnavailableReason() string { return "the database's disk is full" }
func (fullDisk) Unwrap() error             { return mint.ErrUnavailable }

func TestDescribeUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string // in the description; "" : err unchanged
	}{
		{"no error", nil, ""},
		{"not the database's", mint.ErrNotFound, ""},
		{"a reason", fmt.Errorf("create client: %w", fullDisk{}), "the database's disk is full; nothing was changed"},
		{"no reason", fmt.Errorf("x: %w", mint.ErrUnavailable), "the database cannot answer now; nothing was changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := describeUnavailable(tc.err)
			if tc.want == "" {
				if got != tc.err {
					t.Fatalf("describeUnavailable(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			var e *oauth.Error
			if !errors.As(got, &e) || e.Status != 503 || e.Code != "temporarily_unavailable" || !strings.Contains(e.Description, tc.want) {
				t.Fatalf("describeUnavailable(%v) = %#v, want 503 temporarily_unavailable saying %q", tc.err, got, tc.want)
			}
			if strings.Contains(e.Description, "(13)") {
				t.Errorf("the driver's own words reached the answer: %q", e.Description)
			}
		})
	}
}
