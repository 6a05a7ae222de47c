package gateway_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const (
	bodySize  = 50 << 20
	firstPart = 1 << 20
)

// payload is a deterministic stream of n bytes.
func payload(seed byte, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

func sum(r io.Reader) ([32]byte, error) {
	h := sha256.New()
	_, err := io.Copy(h, r)
	return [32]byte(h.Sum(nil)), err
}

func waitFor(t *testing.T, ch <-chan struct{}, what string) bool {
	select {
	case <-ch:
		return true
	case <-time.After(20 * time.Second):
		t.Errorf("timed out waiting for %s: the gateway buffers", what)
		return false
	}
}

// TestStreamsLargeBodies sends 50 MiB each way. Each side holds back all but
// the first MiB until the other end has received that first MiB, so a
// gateway that buffered a whole body would stall the test.
func TestStreamsLargeBodies(t *testing.T) {
	iss := newIssuer(t)
	upstreamGotFirst, callerGotFirst := make(chan struct{}), make(chan struct{})
	reqSum := make(chan [32]byte, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		if _, err := io.CopyN(h, r.Body, firstPart); err != nil {
			t.Errorf("upstream read: %v", err)
			return
		}
		close(upstreamGotFirst)
		if _, err := io.Copy(h, r.Body); err != nil {
			t.Errorf("upstream read: %v", err)
			return
		}
		reqSum <- [32]byte(h.Sum(nil))
		body := payload(2, bodySize)
		if _, err := io.CopyN(w, body, firstPart); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		if !waitFor(t, callerGotFirst, "the caller to get the first MiB") {
			return
		}
		_, _ = io.Copy(w, body)
	}))
	defer up.Close()
	gw := startGateway(t, iss, up.URL, "/")

	pr, pw := io.Pipe()
	go func() {
		body := payload(1, bodySize)
		if _, err := io.CopyN(pw, body, firstPart); err != nil {
			pw.CloseWithError(err)
			return
		}
		if !waitFor(t, upstreamGotFirst, "the upstream to get the first MiB") {
			pw.CloseWithError(io.ErrUnexpectedEOF)
			return
		}
		_, err := io.Copy(pw, body)
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, gw.URL+"/upload", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+iss.token(t, "write:cargo"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, firstPart)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	close(callerGotFirst)
	gotResp, err := sum(io.MultiReader(bytes.NewReader(first), resp.Body))
	if err != nil {
		t.Fatal(err)
	}

	wantReq, _ := sum(payload(1, bodySize))
	wantResp, _ := sum(payload(2, bodySize))
	if got := <-reqSum; got != wantReq {
		t.Errorf("request body changed on the way: sha256 %x, want %x", got, wantReq)
	}
	if gotResp != wantResp {
		t.Errorf("response body changed on the way: sha256 %x, want %x", gotResp, wantResp)
	}
}
