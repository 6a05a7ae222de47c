package hostile

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/throttle"
)

// volumeRun is how long the hostile loop runs; volumeLogBytes and
// volumeDBBytes bound what it may make mint write in that time. Before
// issue 13 one address wrote ~130 MiB of log a second this way.
const (
	volumeRun      = 3 * time.Second
	volumeLogBytes = 64 << 10
	volumeDBBytes  = 1 << 20
)

// TestStrangersCannotMakeMintWriteUnboundedBytes runs, for volumeRun, a
// loop of unauthenticated requests from one address against a real mint
// (SQLite file, a text log file at the default level, the default
// throttle): client_ids of 60,000 bytes in the body and in HTTP Basic, an
// assertion whose iss is 30,000 bytes, a new unknown client_id of 256
// bytes each time (a new audit kind each time), and paths of 8,000 bytes.
// What the log file and the database files grew by must stay under fixed
// bounds, whatever the number and size of the requests.
func TestStrangersCannotMakeMintWriteUnboundedBytes(t *testing.T) {
	dir := t.TempDir()
	logPath, dbPath := filepath.Join(dir, "mint.log"), filepath.Join(dir, "mint.db")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	srv, err := server.New(context.Background(), server.Config{
		DB: dbPath, Issuer: "http://mint.test",
		BootstrapClientID: adminID, BootstrapClientSecret: adminSecret,
		AuthThrottle: throttle.Config{},
		Log:          slog.New(slog.NewTextHandler(logFile, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(served) }()
	base := "http://" + ln.Addr().String()
	stop := func() { cancel(); <-served; srv.Close() }
	defer func() {
		if ctx.Err() == nil {
			stop()
		}
	}()
	// Let the start-up writes (schema, bootstrap, keys) settle first.
	waitReady(t, base)
	logBefore, dbBefore := fileSize(logPath), dbSize(dbPath)

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	longID := strings.Repeat("A", 60_000)
	assertion := assertionForm(t, key, strings.Repeat("I", 30_000))
	var n atomic.Int64
	hostile := []func(i int64) *http.Request{
		func(int64) *http.Request { return postRequest(base, tokenForm(longID, wrongSecret), "") },
		func(int64) *http.Request { return postRequest(base, basicForm(), basic(longID, wrongSecret)) },
		func(int64) *http.Request { return postRequest(base, assertion, "") },
		func(i int64) *http.Request {
			id := fmt.Sprintf("%0256d", i)
			return postRequest(base, tokenForm(id, wrongSecret), "")
		},
		func(int64) *http.Request {
			r, _ := http.NewRequest(http.MethodGet, base+"/"+strings.Repeat("p", 8000), nil)
			return r
		},
	}
	deadline := time.Now().Add(volumeRun)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			c := &http.Client{Timeout: 5 * time.Second}
			for time.Now().Before(deadline) {
				i := n.Add(1)
				resp, err := c.Do(hostile[i%int64(len(hostile))](i))
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode < 400 || resp.StatusCode >= 500 {
					t.Errorf("hostile request answered %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	time.Sleep(1500 * time.Millisecond) // the audit appender writes every second
	logGrowth, dbGrowth := fileSize(logPath)-logBefore, dbSize(dbPath)-dbBefore
	t.Logf("%d hostile requests in %v: log +%d bytes, database +%d bytes", n.Load(), volumeRun, logGrowth, dbGrowth)
	// Before, each request with a 60,000-byte client_id (one in five) wrote
	// more than that to the log: 100 requests already exceed the bound.
	if n.Load() < 100 {
		t.Fatalf("only %d requests sent: the bound means nothing", n.Load())
	}
	if logGrowth > volumeLogBytes {
		t.Errorf("the log grew by %d bytes (%d requests); want at most %d", logGrowth, n.Load(), volumeLogBytes)
	}
	if dbGrowth > volumeDBBytes {
		t.Errorf("the database grew by %d bytes (%d requests); want at most %d", dbGrowth, n.Load(), volumeDBBytes)
	}
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	for range 100 {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			time.Sleep(1500 * time.Millisecond) // one audit flush, the key ring's first writes
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("mint did not start")
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// dbSize is the database file with its WAL and shared-memory files.
func dbSize(path string) int64 {
	return fileSize(path) + fileSize(path+"-wal") + fileSize(path+"-shm")
}
