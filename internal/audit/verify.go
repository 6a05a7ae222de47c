package audit

import (
	"bytes"
	"context"
	"fmt"

	"github.com/mintauth/mint/internal/mint"
)

// Reader is what Verify reads of a store.
type Reader interface {
	ListAudit(ctx context.Context, filter mint.AuditFilter) ([]mint.AuditRecord, error)
	AuditAnchor(ctx context.Context) (mint.AuditAnchor, error)
}

// Report is what Verify found.
type Report struct {
	// Anchor is where the kept chain starts (Seq 0: nothing was pruned).
	Anchor mint.AuditAnchor
	// Checked counts the records verified; First and Last are their
	// first and last Seq (0 when none).
	Checked     int
	First, Last int64
	// OK: the chain is whole. Otherwise BrokenSeq is the first record
	// that breaks it (missing, changed or not chained to the one before)
	// and Problem says how.
	OK        bool
	BrokenSeq int64
	Problem   string
}

// verifyPage is how many records Verify reads at a time.
const verifyPage = 1000

// Verify checks the chain of s from its anchor to its head: every record
// is there (Seq without gaps up to the head the store recorded), each
// one's Hash matches its fields, and each one's PrevHash is the Hash of
// the record before it (the anchor's for the first). It stops at the first
// break. An error means the store could not be read, not a broken chain.
//
// Retention may prune the oldest records while Verify reads: the anchor it
// read then names records already gone. A walk that breaks before its
// first record is therefore started again from the anchor read anew, a
// few times, before the break is reported.
func Verify(ctx context.Context, s Reader) (Report, error) {
	for attempt := 1; ; attempt++ {
		rep, err := verifyFromAnchor(ctx, s)
		if err != nil || rep.OK || rep.Checked > 0 || attempt == pruneRetries {
			return rep, err
		}
		now, err := s.AuditAnchor(ctx)
		if err != nil {
			return Report{}, err
		}
		if now.Seq == rep.Anchor.Seq {
			return rep, nil
		}
	}
}

// pruneRetries bounds how often Verify starts again after a prune moved
// the anchor under it.
const pruneRetries = 3

func verifyFromAnchor(ctx context.Context, s Reader) (Report, error) {
	anchor, err := s.AuditAnchor(ctx)
	if err != nil {
		return Report{}, err
	}
	c := Chain{Seq: anchor.Seq, Hash: anchor.Hash}
	rep := Report{Anchor: anchor, OK: true}
	for {
		page, err := s.ListAudit(ctx, mint.AuditFilter{AfterSeq: c.Seq, Limit: verifyPage})
		if err != nil {
			return Report{}, err
		}
		for _, r := range page {
			if seq, problem := c.Next(r); problem != "" {
				rep.OK, rep.BrokenSeq, rep.Problem = false, seq, problem
				return rep, nil
			}
			if rep.First == 0 {
				rep.First = r.Seq
			}
			rep.Checked, rep.Last = rep.Checked+1, r.Seq
		}
		if len(page) < verifyPage {
			break
		}
	}
	if c.Seq < anchor.HeadSeq {
		rep.OK, rep.BrokenSeq = false, c.Seq+1
		rep.Problem = fmt.Sprintf("records %d to %d are missing: the chain head says %d was appended last", c.Seq+1, anchor.HeadSeq, anchor.HeadSeq)
	}
	return rep, nil
}

// Chain checks records one after another. Its zero value expects the
// first record of a chain never pruned.
type Chain struct {
	Seq  int64  // of the last record accepted, or of the anchor
	Hash []byte // of the last record accepted, or of the anchor; nil: Genesis
}

// Next checks r against the record before it. On a break it returns the
// Seq of the first bad record and what is wrong, and stays where it was.
func (c *Chain) Next(r mint.AuditRecord) (int64, string) {
	prev := c.Hash
	if prev == nil {
		prev = Genesis
	}
	switch {
	case r.Seq <= c.Seq:
		return r.Seq, fmt.Sprintf("record %d comes after record %d", r.Seq, c.Seq)
	case r.Seq > c.Seq+1:
		if r.Seq == c.Seq+2 {
			return c.Seq + 1, fmt.Sprintf("record %d is missing", c.Seq+1)
		}
		return c.Seq + 1, fmt.Sprintf("records %d to %d are missing", c.Seq+1, r.Seq-1)
	case r.Kind == corruptKind:
		return r.Seq, fmt.Sprintf("the block of records from %d was changed: %s", r.Seq, r.Details)
	case !bytes.Equal(Hash(r), r.Hash):
		return r.Seq, fmt.Sprintf("record %d was changed: its hash does not match its contents", r.Seq)
	case !bytes.Equal(r.PrevHash, prev):
		return r.Seq, fmt.Sprintf("record %d does not chain to record %d: its prev_hash is not that record's hash", r.Seq, c.Seq)
	}
	c.Seq, c.Hash = r.Seq, r.Hash
	return 0, ""
}
