// Command cargo-client is the partner's side of mint's README tour: it gets
// a token with the client credentials grant through mint's Go SDK (package
// client) and calls the example cargo API with it N times. The SDK fetches
// one token and shares it, so the last line should read "N calls, 1 token
// request".
//
//	export PARTNER_CLIENT_ID=… PARTNER_CLIENT_SECRET=…
//	go run ./examples/cargo-client -n 200
//
// With -dpop it makes a key at start and asks for DPoP-bound tokens
// (RFC 9449): a token that leaks is then useless without the key
// (docs/sender-constrained.md). Nothing else in the code changes.
//
// With -cert and -key it presents a TLS client certificate to mint and to
// the API (RFC 8705): mint binds the token to the certificate, and an API
// behind mint's gateway or middleware takes it only over a connection
// that presents it. Without PARTNER_CLIENT_SECRET the certificate is also
// how the partner authenticates (tls_client_auth); MINT_TOKEN_URL is then
// mint's mTLS endpoint (discovery's mtls_endpoint_aliases):
//
//	export MINT_TOKEN_URL=https://127.0.0.1:8443/oauth/token PARTNER_CLIENT_ID=…
//	go run ./examples/cargo-client -cert partner.pem -key partner.key -ca mint-ca.pem \
//	    -api 'https://127.0.0.1:8081/ws/rest/Cargo'
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/client"
)

const defaultAPI = "http://127.0.0.1:9090/ws/rest/Cargo?filter=subCargos.freight%28GTE%292500000"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "cargo-client:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cargo-client", flag.ContinueOnError)
	api := fs.String("api", defaultAPI, "`URL` to GET")
	audience := fs.String("audience", "https://dataloy", "`audience` of the token")
	n := fs.Int("n", 10, "how many calls to make")
	withDPoP := fs.Bool("dpop", false, "bind the tokens to a key made at start (DPoP, RFC 9449)")
	certFile := fs.String("cert", "", "PEM `file` of a TLS client certificate to present (RFC 8705); without PARTNER_CLIENT_SECRET it authenticates the client")
	keyFile := fs.String("key", "", "PEM `file` of -cert's private key")
	caFile := fs.String("ca", "", "PEM `file` of CAs to trust besides the system's, for mint and the API")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tokenURL := getenv("MINT_TOKEN_URL")
	if tokenURL == "" {
		tokenURL = "http://127.0.0.1:8080/oauth/token"
	}
	if getenv("PARTNER_CLIENT_ID") == "" || (getenv("PARTNER_CLIENT_SECRET") == "" && *certFile == "") {
		return errors.New("set PARTNER_CLIENT_ID and PARTNER_CLIENT_SECRET")
	}
	base, err := transport(*certFile, *keyFile, *caFile)
	if err != nil {
		return err
	}
	tokenRequests := &countingTransport{base: base}
	cfg := &client.Config{
		TokenURL:     tokenURL,
		ClientID:     getenv("PARTNER_CLIENT_ID"),
		ClientSecret: getenv("PARTNER_CLIENT_SECRET"),
		Audience:     *audience,
		HTTPClient:   &http.Client{Transport: tokenRequests},
	}
	if *withDPoP {
		prover, err := dpop.GenerateProver() // an ES256 key, in memory only
		if err != nil {
			return err
		}
		cfg.DPoP = prover
	}
	// API calls go over their own transport, so only token requests are counted.
	hc := &http.Client{Transport: cfg.Transport(base)}
	failed := 0
	for i := 1; i <= *n; i++ {
		status, err := get(ctx, hc, *api)
		if err != nil {
			return fmt.Errorf("call %d: %w", i, err)
		}
		if status != "200 OK" {
			failed++
		}
		fmt.Fprintf(stdout, "call %d: %s\n", i, status)
	}
	fmt.Fprintf(stdout, "%s, %s\n", plural(*n, "call"), plural(int(tokenRequests.n.Load()), "token request"))
	if failed > 0 {
		return fmt.Errorf("%s failed", plural(failed, "call"))
	}
	return nil
}

// transport is the HTTP transport of token requests and API calls: the
// default one, presenting the client certificate when one is given and
// trusting the CAs of caFile too. (Without the counting wrapper, setting
// client.Config.Certificate does the same for the certificate.)
func transport(certFile, keyFile, caFile string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("-cert and -key: %w", err)
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-ca %s: no PEM certificate", caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return tr, nil
}

// get calls url and returns the answer's status, reading the body so the
// connection is reused.
func get(ctx context.Context, hc *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.Status, err
}

// countingTransport counts the requests it sends.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.base.RoundTrip(req)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
