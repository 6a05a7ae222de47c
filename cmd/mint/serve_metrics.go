package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/mintauth/mint/internal/server"
)

// defaultMetricsAddr is where mint serve publishes /metrics unless told
// otherwise: loopback, because the series name clients and audiences, and
// not Prometheus's own 9090, so that both can run on one host.
const defaultMetricsAddr = "127.0.0.1:9464"

// metricsOff is the --metrics-addr value that serves no metrics.
const metricsOff = "off"

// metricsFlags are mint serve's metrics flags (docs/serving.md).
type metricsFlags struct {
	addr       string
	public     bool
	maxClients int
	envErr     error
}

func (m *metricsFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	if v := getenv("MINT_METRICS_PUBLIC"); v != "" {
		var err error
		if m.public, err = strconv.ParseBool(v); err != nil {
			m.envErr = fmt.Errorf("MINT_METRICS_PUBLIC: %w", err)
		}
	}
	if v := getenv("MINT_METRICS_MAX_CLIENTS"); v != "" && m.envErr == nil {
		var err error
		if m.maxClients, err = strconv.Atoi(v); err != nil {
			m.envErr = fmt.Errorf("MINT_METRICS_MAX_CLIENTS: %w", err)
		}
	}
	fs.StringVar(&m.addr, "metrics-addr", env(getenv, "MINT_METRICS_ADDR", defaultMetricsAddr),
		`serve /metrics here, never on --addr; "off" serves none (env MINT_METRICS_ADDR)`)
	fs.BoolVar(&m.public, "metrics-public", m.public,
		"allow a --metrics-addr that is not loopback: the metrics name every active client and API (env MINT_METRICS_PUBLIC=true)")
	fs.IntVar(&m.maxClients, "metrics-max-clients", m.maxClients,
		`client ids (and audiences) that get series of their own; the rest are counted as "other", 0 = 1000 (env MINT_METRICS_MAX_CLIENTS)`)
}

// apply checks the flags, sets cfg's metrics fields and returns the
// address to listen on, "" for none.
func (m *metricsFlags) apply(cfg *server.Config) (string, error) {
	if m.envErr != nil {
		return "", m.envErr
	}
	if m.maxClients < 0 {
		return "", fmt.Errorf("--metrics-max-clients cannot be negative")
	}
	cfg.MetricsMaxClients = m.maxClients
	if m.addr == metricsOff || m.addr == "" {
		return "", nil
	}
	if !m.public && !isLoopback(m.addr) {
		return "", fmt.Errorf("refusing to serve /metrics on %s, which is not a loopback address: "+
			"the metrics name every active client and API; scrape 127.0.0.1, "+
			"or give --metrics-public if the network in between is yours", m.addr)
	}
	return m.addr, nil
}
