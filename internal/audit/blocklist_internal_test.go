package audit

import "testing"

// TestNextRead: a page is filled reading about the blocks it needs, not
// twice as many, and a read that found nothing widens.
func TestNextRead(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		last, read, got, want int
		next                  int
	}{
		{"a client in one record a block", 1, 1, 1, 100, 99},
		{"a client in two records a block", 4, 5, 10, 100, 45},
		{"a page per block", 1, 1, 999, 1000, 1},
		{"none found yet", 8, 8, 0, 100, 16},
		{"none found, at the cap", maxBlockRead, 500, 0, 100, maxBlockRead},
		{"rare client, capped", 1, 1, 1, 1000, maxBlockRead},
	} {
		if got := nextRead(tc.last, tc.read, tc.got, tc.want); got != tc.next {
			t.Errorf("%s: nextRead = %d, want %d", tc.name, got, tc.next)
		}
	}
}
