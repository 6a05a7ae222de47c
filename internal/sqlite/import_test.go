package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// An import tells the watchers of WatchChanges about every table it wrote,
// so that a running cache forgets the "not found" it kept for the clients.
func TestImportClientsPublishesItsTables(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		mu     sync.Mutex
		tables []string
	)
	watching := make(chan struct{})
	go s.WatchChanges(ctx, func(table string, _ []string) {
		if table == "" {
			close(watching)
			return
		}
		mu.Lock()
		tables = append(tables, table)
		mu.Unlock()
	})
	<-watching
	now := time.Now()
	err := s.ImportClients(t.Context(), []mint.ImportedClient{{
		Client: mint.Client{ID: "c1", Name: "C1", CreatedAt: now, UpdatedAt: now},
		Secret: mint.Secret{ID: "s1", Digest: make([]byte, 32), CreatedAt: now},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{tableClients, tableSecrets, tableGrants} {
		if !slices.Contains(tables, want) {
			t.Errorf("changes published = %q, want %q among them", tables, want)
		}
	}
}
