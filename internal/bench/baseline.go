package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Answer is one real answer of the token endpoint, kept so that a baseline
// server can replay it.
type Answer struct {
	Header http.Header
	Body   []byte
}

// Alg returns the "alg" of the access token's JWS header, or "" when it
// cannot be read.
func (a *Answer) Alg() string {
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(a.Body, &ans) != nil {
		return ""
	}
	head, _, _ := strings.Cut(ans.AccessToken, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(raw, &h) != nil {
		return ""
	}
	return h.Alg
}

// Fetch makes one token request as cfg describes and returns the answer;
// an answer that is not a token is an error naming it.
func Fetch(ctx context.Context, cfg Config) (*Answer, error) {
	tr, err := newTokenRequest(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := tr.new(ctx)
	if err != nil {
		return nil, err
	}
	transport := newTransport(1)
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s: %w", cfg.URL, err)
	}
	if resp.StatusCode != http.StatusOK || !hasAccessToken(body) {
		return nil, fmt.Errorf("%s answered %s: %s", cfg.URL, resp.Status, clip(body))
	}
	return &Answer{Header: resp.Header.Clone(), Body: body}, nil
}

// Baseline starts a plain net/http server on a free loopback port that
// answers every POST with ans: the same status, headers and bytes, so that
// it costs the load generator and the network exactly what mint does, and
// nothing else. It returns the server's URL and a function that stops it;
// the server also stops when ctx ends.
func Baseline(ctx context.Context, ans *Answer) (url string, stop func(), err error) {
	return serveLoopback(ctx, replay(ans))
}

// serveLoopback serves h on a free loopback port until stop is called or
// ctx ends, and returns its token endpoint's URL.
func serveLoopback(ctx context.Context, h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // ErrServerClosed, once stopped
	}()
	stopped := context.AfterFunc(ctx, func() { srv.Close() })
	stop = func() {
		stopped()
		srv.Close()
		<-done
	}
	return "http://" + ln.Addr().String() + "/oauth/token", stop, nil
}

// replay is the baseline handler. It drains the request body, as mint reads
// it, and writes the recorded answer; Date is the server's own, and
// Content-Length is the recorded body's.
func replay(ans *Answer) http.Handler {
	header := replayHeader(ans)
	body := bytes.Clone(ans.Body)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if startAnswer(w, r, header) {
			_, _ = w.Write(body)
		}
	})
}

// replayHeader is the header a reference answers with: ans's, without its
// Date, with Content-Length set to its body's.
func replayHeader(ans *Answer) http.Header {
	header := ans.Header.Clone()
	header.Del("Date")
	header.Set("Content-Length", strconv.Itoa(len(ans.Body)))
	return header
}

// startAnswer refuses anything but POST, drains the request body, as mint
// reads it, and writes status 200 with header; it reports whether the body
// is the caller's to write.
func startAnswer(w http.ResponseWriter, r *http.Request, header http.Header) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<10))
	h := w.Header()
	for k, v := range header {
		h[k] = v
	}
	w.WriteHeader(http.StatusOK)
	return true
}
