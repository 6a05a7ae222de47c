//go:build mintpprof

// A profiling build, for measuring on a test machine only: built with
// `go build -tags mintpprof ./cmd/mint`, `mint serve` also serves Go's
// /debug/pprof on MINT_PPROF_ADDR when it is set (a loopback address;
// anything else is refused). Release builds hold none of this. See
// docs/scale.md ("Session 6: writes on another replica") for its use.

package main

import (
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
	"time"
)

func init() {
	addr := os.Getenv("MINT_PPROF_ADDR")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "mint: MINT_PPROF_ADDR %q is not a loopback address: no pprof\n", addr)
		return
	}
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			fmt.Fprintf(os.Stderr, "mint: pprof on %s: %v\n", addr, err)
		}
	}()
}
