package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// A stranger repeating one failure, from new connections each time, makes
// one record at once and one count at the window's end, not a record per
// request; another client_id is another kind; after the window a failure
// is recorded at once again; FlushFailures writes a count still pending.
func TestRepeatedFailuresAreCounted(t *testing.T) {
	store := &memStore{}
	app := &Appender{Store: store}
	const window = 200 * time.Millisecond
	l := &Log{Appender: app, FailureWindow: window}
	long := strings.Repeat("x", 60_000)
	for i := range 1000 {
		ctx := WithSource(context.Background(), fmt.Sprintf("192.0.2.7:%d", 10000+i))
		l.AuthFailed(ctx, long, "client_secret_post", "no live secret matches")
	}
	l.AuthFailed(WithSource(context.Background(), "192.0.2.7:1"), "other", "client_secret_post", "no live secret matches")
	app.Flush(context.Background())
	if n := len(store.records); n != 2 {
		t.Fatalf("%d records after 1001 failures of 2 kinds; want 2 until the window ends", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		app.Flush(context.Background())
		if len(store.records) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(store.records); n != 3 {
		t.Fatalf("%d records after the window; want 3 (two failures, one count)", n)
	}
	count := store.records[2]
	var d struct {
		Repeats int       `json:"repeats"`
		Since   time.Time `json:"since"`
		Method  string    `json:"method"`
	}
	if err := json.Unmarshal(count.Details, &d); err != nil || d.Repeats != 999 || d.Method != "client_secret_post" || d.Since.IsZero() {
		t.Fatalf("count record %s (%v); want 999 repeats since the first", count.Details, err)
	}
	if len(count.Actor) > maxField || count.Kind != mint.AuditAuthFailure || count.Source != "192.0.2.7" {
		t.Fatalf("count record: kind %s, actor of %d bytes, source %q", count.Kind, len(count.Actor), count.Source)
	}
	ctx := WithSource(context.Background(), "192.0.2.7:2")
	l.AuthFailed(ctx, long, "client_secret_post", "no live secret matches")
	l.AuthFailed(ctx, long, "client_secret_post", "no live secret matches")
	l.FlushFailures()
	app.Flush(context.Background())
	if n := len(store.records); n != 5 {
		t.Fatalf("%d records; want 5: a failure after the window is recorded at once, and FlushFailures writes its repeat", n)
	}
}

// A negative window records every failure, as before.
func TestFailureAggregationOff(t *testing.T) {
	store := &memStore{}
	app := &Appender{Store: store}
	l := &Log{Appender: app, FailureWindow: -1}
	for range 5 {
		l.AuthFailed(WithSource(context.Background(), "192.0.2.7:1"), "c", "client_secret_post", "x")
	}
	app.Flush(context.Background())
	if len(store.records) != 5 {
		t.Fatalf("%d records; want 5", len(store.records))
	}
}
