package audit

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// View is a record on the wire: the admin API's JSON and one line of
// `mint audit list --json`. Hashes are hex.
type View struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Kind     string          `json:"kind"`
	Actor    string          `json:"actor"`
	ClientID string          `json:"client_id,omitempty"`
	Subject  string          `json:"subject,omitempty"`
	Source   string          `json:"source,omitempty"`
	Details  json.RawMessage `json:"details"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// ViewOf returns r on the wire.
func ViewOf(r mint.AuditRecord) View {
	details := json.RawMessage(r.Details)
	if !json.Valid(details) {
		// Only a tampered row holds invalid JSON; show it, quoted.
		details, _ = json.Marshal(string(r.Details))
	}
	return View{
		Seq: r.Seq, Time: r.Time.UTC(), Kind: r.Kind, Actor: r.Actor, ClientID: r.ClientID,
		Subject: r.Subject, Source: r.Source, Details: details,
		PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash),
	}
}

// Record returns the record v shows, for verifying a chain read from the
// wire. Details must be the bytes the store holds, which ViewOf keeps.
func (v View) Record() (mint.AuditRecord, error) {
	prev, err := hex.DecodeString(v.PrevHash)
	if err != nil {
		return mint.AuditRecord{}, fmt.Errorf("record %d: prev_hash: %w", v.Seq, err)
	}
	hash, err := hex.DecodeString(v.Hash)
	if err != nil {
		return mint.AuditRecord{}, fmt.Errorf("record %d: hash: %w", v.Seq, err)
	}
	return mint.AuditRecord{
		Seq: v.Seq, Time: v.Time.UTC(), Kind: v.Kind, Actor: v.Actor, ClientID: v.ClientID,
		Subject: v.Subject, Source: v.Source, Details: []byte(v.Details), PrevHash: prev, Hash: hash,
	}, nil
}

// ReportView is a Report on the wire (GET /admin/v1/audit/verify).
type ReportView struct {
	OK         bool       `json:"ok"`
	Checked    int        `json:"checked"`
	First      int64      `json:"first_seq,omitempty"`
	Last       int64      `json:"last_seq,omitempty"`
	AnchorSeq  int64      `json:"anchor_seq"`
	AnchorHash string     `json:"anchor_hash,omitempty"`
	PrunedAt   *time.Time `json:"pruned_at,omitempty"`
	HeadSeq    int64      `json:"head_seq"`
	BrokenSeq  int64      `json:"broken_seq,omitempty"`
	Problem    string     `json:"problem,omitempty"`
}

// ViewOfReport returns rep on the wire.
func ViewOfReport(rep Report) ReportView {
	v := ReportView{
		OK: rep.OK, Checked: rep.Checked, First: rep.First, Last: rep.Last,
		AnchorSeq: rep.Anchor.Seq, HeadSeq: rep.Anchor.HeadSeq,
		BrokenSeq: rep.BrokenSeq, Problem: rep.Problem,
	}
	if rep.Anchor.Seq > 0 {
		v.AnchorHash = hex.EncodeToString(rep.Anchor.Hash)
		t := rep.Anchor.Pruned.UTC()
		v.PrunedAt = &t
	}
	return v
}

// KindRange returns the bounds lo ≤ kind < hi of every kind under prefix,
// when prefix is one (it ends in "."; mint.AuditFilter.Kind): a range an
// index on kind answers, where a test of the prefix itself is a full scan.
// The bounds hold in bytewise order (SQLite's BINARY, PostgreSQL's "C"
// collation): hi is the prefix with its final "." raised to "/".
func KindRange(prefix string) (lo, hi string, ok bool) {
	if !strings.HasSuffix(prefix, ".") {
		return "", "", false
	}
	return prefix, prefix[:len(prefix)-1] + "/", true
}

// MaxKindsMerged is how many kinds under a prefix a store lists as one
// merge of per-kind index scans; past it, it reads the prefix's range of
// the kind index and sorts it.
const MaxKindsMerged = 64
