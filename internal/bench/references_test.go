package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMain lets this test binary be the reference process, as `mint bench
// --serve-references` is for mint bench.
func TestMain(m *testing.M) {
	if os.Getenv("MINT_BENCH_SERVE_REFERENCES") == "1" {
		if err := ServeReferences(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestReferenceProcess: the references served by another process answer
// as the in-process ones do, and the process ends when told to.
func TestReferenceProcess(t *testing.T) {
	ts := startMint(t)
	cfg := adminLoad(ts, time.Second)
	ans, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MINT_BENCH_SERVE_REFERENCES", "1")
	refs, stop, err := startReferences(context.Background(), ans, []string{os.Args[0]})
	if err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{refs.Baseline, refs.Signing} {
		cfg.URL = url
		got, err := Fetch(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if len(got.Body) != len(ans.Body) {
			t.Errorf("%s: body of %d bytes, mint's %d", url, len(got.Body), len(ans.Body))
		}
	}
	start := time.Now()
	stop()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the reference process took %v to stop: it did not see its input end", took)
	}
	if _, err := Fetch(context.Background(), cfg); err == nil {
		t.Error("the signing baseline still answers after stop")
	}
	if _, _, err := startReferences(context.Background(), ans, []string{"/nonexistent/mint"}); err == nil {
		t.Error("a command that cannot start gave no error")
	}
}
