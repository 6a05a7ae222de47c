package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// auditDroppedMetric is the counter mint serve publishes of the issuance
// records its audit log dropped for a full buffer.
const auditDroppedMetric = "mint_audit_dropped_total"

// auditDropped reads mint_audit_dropped_total from a Prometheus text
// exposition at metricsURL; 0 and no error when metricsURL is empty.
func auditDropped(ctx context.Context, metricsURL string) (int64, error) {
	if metricsURL == "" {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", metricsURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("reading %s: %s", metricsURL, resp.Status)
	}
	return findCounter(bufio.NewScanner(resp.Body), auditDroppedMetric)
}

// findCounter returns the value of the unlabelled series name.
func findCounter(sc *bufio.Scanner, name string) (int64, error) {
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name+" ")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return 0, fmt.Errorf("%s has no value", name)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return int64(v), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("the metrics have no %s (a mint older than this bench?)", name)
}
