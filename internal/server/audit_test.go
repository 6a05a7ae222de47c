package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/sqlite"
)

// TestAuditOfTheTokenPath: tokens issued and failed authentications are
// recorded with the source address, written by Close at the latest; an API
// with audit_issuance "off" records no issuance, but failures always are;
// the chain verifies.
func TestAuditOfTheTokenPath(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "mint.db")
	srv := newServer(t, server.Config{DB: db, BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret})
	for range 3 {
		if got := tokenStatus(t, srv, "ops-admin", adminSecret); got != http.StatusOK {
			t.Fatalf("token: status %d", got)
		}
	}
	if got := tokenStatus(t, srv, "ops-admin", "wrong-secret-0123456789"); got != http.StatusUnauthorized {
		t.Fatalf("wrong secret: status %d", got)
	}
	apis, err := srv.Store().ListAPIs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apis {
		if a.Audience != mint.AdminAudience {
			continue
		}
		_, err = srv.Store().UpdateAPI(ctx, a.ID, func(a mint.API) (mint.API, error) {
			a.AuditIssuance = mint.AuditOff
			return a, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tokenStatus(t, srv, "ops-admin", adminSecret)
	tokenStatus(t, srv, "nobody", "wrong-secret-0123456789")
	srv.Close()

	store, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	records, err := store.ListAudit(ctx, mint.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range records {
		kinds = append(kinds, r.Kind)
		if !strings.HasPrefix(r.Source, "127.0.0.1:") || r.Actor == "" {
			t.Errorf("record %d: source %q, actor %q", r.Seq, r.Source, r.Actor)
		}
		if r.Kind == mint.AuditTokenIssued {
			var d struct {
				Audience, JTI string
				Scopes        []string
			}
			json.Unmarshal(r.Details, &d)
			if d.Audience != mint.AdminAudience || d.JTI == "" || d.JTI != r.Subject || len(d.Scopes) == 0 {
				t.Errorf("issuance details %s", r.Details)
			}
		}
	}
	// Failures and issuances reach the log in batches, failures first.
	got := strings.Join(kinds, " ")
	if strings.Count(got, mint.AuditTokenIssued) != 3 || strings.Count(got, mint.AuditAuthFailure) != 2 {
		t.Errorf("records: %s; want 3 issuances (none after audit_issuance off) and 2 failures", got)
	}
	rep, err := audit.Verify(ctx, store)
	if err != nil || !rep.OK {
		t.Errorf("verify: %+v, %v", rep, err)
	}
}

// TestAuditRetentionPrunesAtStart: records older than the retention go
// when the server starts, and the chain still verifies from its anchor.
func TestAuditRetentionPrunesAtStart(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "mint.db")
	store, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var old []mint.AuditRecord
	for i := range 5 {
		old = append(old, mint.AuditRecord{Time: now.Add(-time.Duration(100-i) * 24 * time.Hour), Kind: "x", Details: []byte(`{}`)})
	}
	old = append(old, mint.AuditRecord{Time: now.Add(-time.Hour), Kind: "x", Details: []byte(`{}`)})
	if err := store.AppendAudit(ctx, old); err != nil {
		t.Fatal(err)
	}
	store.Close()
	srv := newServer(t, server.Config{DB: db, AuditRetention: 90 * 24 * time.Hour})
	deadline := time.Now().Add(10 * time.Second)
	for {
		store, err := sqlite.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, store)
		store.Close()
		if err != nil || !rep.OK {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
		if rep.Anchor.Seq == 5 && rep.First == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not pruned within 10 s: %+v", rep)
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.Close()
}
