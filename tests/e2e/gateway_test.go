package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/mintauth/mint/internal/gateway"
	"github.com/mintauth/mint/internal/server"
)

// bodySize is the size of the streamed bodies: large enough that buffering
// anywhere would show, small enough to hash quickly under -race.
const bodySize = 20 << 20

// seeded returns n bytes of reproducible data, generated as it is read.
func seeded(seed byte, n int64) io.Reader {
	var s [32]byte
	s[0] = seed
	return io.LimitReader(rand.NewChaCha8(s), n)
}

// plainUpstream stands in for an API not written in Go: it echoes the
// headers it got, hashes what is uploaded and streams downloads, all
// without buffering.
func plainUpstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(r.Header)
	})
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"bytes": n, "sha256": hex.EncodeToString(h.Sum(nil))})
	})
	mux.HandleFunc("GET /download", func(w http.ResponseWriter, r *http.Request) {
		seed, _ := strconv.Atoi(r.URL.Query().Get("seed"))
		w.Header().Set("Content-Type", "application/octet-stream")
		io.Copy(w, seeded(byte(seed), bodySize))
	})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	return hs, &hits
}

// startGateway runs `mint gateway`'s Serve on 127.0.0.1.
func startGateway(t *testing.T, o *gateway.Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gateway.Serve(ctx, ln, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("gateway.Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func TestGatewayInFrontOfPlainUpstream(t *testing.T) {
	m := startMint(t, server.Config{})
	reader := dataloy(t, m, 86400)
	writer := m.createClient(t, "uploading partner", grant{prodAudience, []string{"read:cargo", "write:cargo"}})
	writer.Audience = prodAudience
	upstream, hits := plainUpstream(t)
	rules, err := gateway.ParseRules("GET / read:cargo; POST / write:cargo")
	if err != nil {
		t.Fatal(err)
	}
	gw := startGateway(t, &gateway.Options{Upstream: upstream.URL, Issuer: m.URL, Audience: prodAudience, Rules: rules})
	ctx := context.Background()

	t.Run("spoofed identity headers never reach the upstream", func(t *testing.T) {
		req, _ := http.NewRequest("GET", gw+"/echo", nil)
		req.Header.Set("X-Mint-Client-Id", "mint-admin")
		req.Header["x-mint-scopes"] = []string{"apis:write"}
		req.Header["X-MINT-CLIENT-ID"] = []string{"someone-else"}
		resp, err := reader.Client(ctx).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var seen http.Header
		if err := json.NewDecoder(resp.Body).Decode(&seen); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s, %v", resp.Status, err)
		}
		if got := seen.Values("X-Mint-Client-Id"); !slices.Equal(got, []string{reader.ClientID}) {
			t.Errorf("upstream X-Mint-Client-Id = %q, want only the verified %q", got, reader.ClientID)
		}
		if got := seen.Values("X-Mint-Scopes"); !slices.Equal(got, []string{"read:cargo"}) {
			t.Errorf("upstream X-Mint-Scopes = %q, want only the verified read:cargo", got)
		}
	})

	t.Run("no token: refused before the upstream", func(t *testing.T) {
		before := hits.Load()
		req, _ := http.NewRequest("GET", gw+"/echo", nil)
		req.Header.Set("X-Mint-Client-Id", reader.ClientID)
		req.Header.Set("X-Mint-Scopes", "read:cargo")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s, WWW-Authenticate %q; want 401 Bearer", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		if hits.Load() != before {
			t.Error("the upstream was called")
		}
	})

	t.Run("read-only token cannot POST", func(t *testing.T) {
		before := hits.Load()
		resp, err := reader.Client(ctx).Post(gw+"/upload", "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("status %s, want 403", resp.Status)
		}
		if hits.Load() != before {
			t.Error("the upstream was called")
		}
	})

	t.Run("20 MiB request body streams intact", func(t *testing.T) {
		sent := sha256.New()
		body := io.TeeReader(seeded(1, bodySize), sent)
		req, _ := http.NewRequest("POST", gw+"/upload", body) // no length: chunked
		resp, err := writer.Client(ctx).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Bytes  int64
			SHA256 string
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s, %v", resp.Status, err)
		}
		if want := hex.EncodeToString(sent.Sum(nil)); got.Bytes != bodySize || got.SHA256 != want {
			t.Errorf("upstream got %d bytes, sha256 %s; sent %d, %s", got.Bytes, got.SHA256, bodySize, want)
		}
	})

	t.Run("20 MiB response body streams intact", func(t *testing.T) {
		resp, err := reader.Client(ctx).Get(gw + "/download?seed=2")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got, want := sha256.New(), sha256.New()
		n, err := io.Copy(got, resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s, %v", resp.Status, err)
		}
		io.Copy(want, seeded(2, bodySize))
		if n != bodySize || !slices.Equal(got.Sum(nil), want.Sum(nil)) {
			t.Errorf("received %d bytes, sha256 %x; upstream sent %d, %x", n, got.Sum(nil), bodySize, want.Sum(nil))
		}
	})
}
