package oauthparams

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/mintauth/mint/oauth"
)

// TestReadBodySizes: a body of up to MaxBytes is read whole, however the
// reader hands it over and whether or not its length was announced; one
// byte more is 413; a reader's failure is invalid_request.
func TestReadBodySizes(t *testing.T) {
	const max = 4096
	spec := testSpec
	spec.MaxBytes = max
	readers := map[string]func(b []byte) io.Reader{
		"whole":        func(b []byte) io.Reader { return bytes.NewReader(b) },
		"byte by byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"data and EOF": func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) },
		"half":         func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for _, size := range []int{0, 1, 1023, 1024, 1025, 2048, max - 1, max, max + 1, 3 * max} {
		for name, reader := range readers {
			for _, announced := range []bool{true, false} {
				body := bytes.Repeat([]byte("a"), size)
				r := httptest.NewRequest(http.MethodPost, "/", reader(body))
				r.ContentLength = -1
				if announced {
					r.ContentLength = int64(size)
				}
				got, err := spec.readBody(r, make([]byte, 0, 1024))
				switch {
				case size > max:
					var oe *oauth.Error
					if !errors.As(err, &oe) || oe.Status != http.StatusRequestEntityTooLarge {
						t.Errorf("%d bytes, %s, announced %v: %v, want 413", size, name, announced, err)
					}
				case err != nil || !bytes.Equal(got, body):
					t.Errorf("%d bytes, %s, announced %v: read %d bytes, %v", size, name, announced, len(got), err)
				}
			}
		}
	}
	r := httptest.NewRequest(http.MethodPost, "/", iotest.ErrReader(errors.New("connection reset")))
	r.ContentLength = -1
	var oe *oauth.Error
	if _, err := spec.readBody(r, nil); !errors.As(err, &oe) || oe.Code != "invalid_request" {
		t.Errorf("failing reader: %v, want invalid_request", err)
	}
}

// TestReadIntoConcurrent: requests read at once, through the shared
// buffers, each get their own parameters, and keep them once the buffers
// have gone on to other requests.
func TestReadIntoConcurrent(t *testing.T) {
	const n = 64
	got := make([]Params, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := strings.Repeat(string(rune('a'+i%26)), 10+i)
			body := `{"client_id":"` + id + `","client_secret":"s` + id + `"}`
			ctype := "application/json"
			if i%2 == 1 {
				body, ctype = "client_id="+id+"&client_secret=s"+id, "application/x-www-form-urlencoded"
			}
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			r.Header.Set("Content-Type", ctype)
			p := Params{}
			if err := formSpec.ReadInto(r, p); err != nil {
				t.Error(err)
				return
			}
			got[i] = p
		}()
	}
	wg.Wait()
	for i, p := range got {
		id := strings.Repeat(string(rune('a'+i%26)), 10+i)
		if p["client_id"] != id || p["client_secret"] != "s"+id || len(p) != 2 {
			t.Errorf("request %d read %v", i, p)
		}
	}
}
