//go:build !unix

package audit_test

import "time"

// cpuTime is 0 where getrusage is not: the metric reads 0.
func cpuTime() time.Duration { return 0 }
