package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mintauth/mint/internal/audit"
)

// auditPage is how many records one request of `mint audit list` asks for
// (the admin API's most). It pages by after_seq, the seq keyset the API's
// cursor is made of, and writes each page before asking for the next: the
// memory it holds is one page, whatever the size of the log.
const auditPage = 1000

// auditListFlags are the filters and outputs of `mint audit list`.
type auditListFlags struct {
	clientID, kind, since, until, out string
	limit                             int
	follow                            bool
	interval                          time.Duration
}

func auditList(c *call) runFunc {
	var f auditListFlags
	targetClientFlag(c, &f.clientID, "only records by or about this client `ID`")
	c.fs.StringVar(&f.kind, "kind", "", "only this `kind`, or every kind under a prefix ending in \".\" (admin.)")
	c.fs.StringVar(&f.since, "since", "", "only records at or after this `time` (RFC 3339, or a duration ago: 24h)")
	c.fs.StringVar(&f.until, "until", "", "only records before this `time` (RFC 3339, or a duration ago)")
	c.fs.IntVar(&f.limit, "limit", 0, "stop after `N` records (default: all)")
	c.fs.BoolVar(&f.follow, "follow", false, "keep polling for new records until interrupted")
	c.fs.DurationVar(&f.interval, "interval", time.Second, "how often --follow polls")
	c.fs.StringVar(&f.out, "out", "", "append the records as JSON lines to `FILE` instead of printing them")
	return func(ctx context.Context, _ []string) error { return f.run(ctx, c) }
}

func (f *auditListFlags) run(ctx context.Context, c *call) error {
	q, err := f.query(time.Now())
	if err != nil {
		return err
	}
	api, err := c.admin(ctx)
	if err != nil {
		return err
	}
	sink, closeSink, err := f.sink(c)
	if err != nil {
		return err
	}
	defer closeSink()
	var after int64
	shown := 0
	for {
		q.Set("after_seq", strconv.FormatInt(after, 10))
		q.Set("limit", strconv.Itoa(auditPage))
		body, err := api.do(ctx, "GET", "/audit?"+q.Encode(), nil)
		if err != nil {
			if f.follow && ctx.Err() != nil {
				return sink.flush()
			}
			return err
		}
		var page []audit.View
		if err := json.Unmarshal(body, &page); err != nil {
			return &transportError{msg: fmt.Sprintf("unexpected answer from the server: %v", err)}
		}
		for _, v := range page {
			if f.limit > 0 && shown == f.limit {
				return sink.flush()
			}
			if err := sink.write(v); err != nil {
				return err
			}
			shown, after = shown+1, v.Seq
		}
		// Each page is written out before the next is asked for, so that
		// memory holds one page whatever the size of the log.
		if err := sink.flush(); err != nil {
			return err
		}
		if len(page) == auditPage {
			continue
		}
		if !f.follow {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(f.interval):
		}
	}
}

// query builds the admin API's query from the flags.
func (f *auditListFlags) query(now time.Time) (url.Values, error) {
	q := url.Values{}
	if f.clientID != "" {
		q.Set("client_id", f.clientID)
	}
	if f.kind != "" {
		q.Set("kind", f.kind)
	}
	for name, v := range map[string]string{"since": f.since, "until": f.until} {
		if v == "" {
			continue
		}
		t, err := parseWhen(v, now)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--%s: %v", name, err)}
		}
		q.Set(name, t.UTC().Format(time.RFC3339Nano))
	}
	if f.limit < 0 || f.interval <= 0 {
		return nil, &usageError{msg: "--limit and --interval must be positive"}
	}
	return q, nil
}

// parseWhen reads an RFC 3339 time, or a duration meaning that long ago.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration such as 24h", s)
}

// auditSink prints records: a table, JSON lines on stdout (--json), or
// JSON lines appended to a file (--out), through a buffer written out at
// every flush (one write per page rather than one per record).
type auditSink struct {
	out   *bufio.Writer
	table *tabwriter.Writer
	lines *json.Encoder
	rows  int
}

func (f *auditListFlags) sink(c *call) (*auditSink, func(), error) {
	if f.out != "" {
		file, err := os.OpenFile(f.out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, err
		}
		out := bufio.NewWriterSize(file, 64<<10)
		return &auditSink{out: out, lines: jsonLines(out)}, func() { file.Close() }, nil
	}
	out := bufio.NewWriterSize(c.stdout, 64<<10)
	if c.opts.json {
		return &auditSink{out: out, lines: jsonLines(out)}, func() {}, nil
	}
	return &auditSink{out: out, table: newTable(out)}, func() {}, nil
}

func jsonLines(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

func (s *auditSink) write(v audit.View) error {
	if s.lines != nil {
		return s.lines.Encode(v)
	}
	if s.rows == 0 {
		row(s.table, "SEQ", "TIME", "KIND", "ACTOR", "CLIENT", "SUBJECT", "SOURCE")
	}
	s.rows++
	row(s.table, strconv.FormatInt(v.Seq, 10), v.Time.UTC().Format("2006-01-02 15:04:05.000Z"), v.Kind,
		orDash(v.Actor), orDash(v.ClientID), orDash(v.Subject), orDash(v.Source))
	return nil
}

// flush writes the table's rows so far. It runs after every page: a
// tabwriter holds every row until flushed, which made the table of a
// million records hold them all. So columns line up within a page of
// records, not across the whole table.
func (s *auditSink) flush() error {
	if s.table != nil {
		if err := s.table.Flush(); err != nil {
			return err
		}
	}
	return s.out.Flush()
}

// errChainBroken: `mint audit verify` found a break (exit code 1).
type errChainBroken struct{ rep audit.ReportView }

func (e *errChainBroken) Error() string {
	return fmt.Sprintf("audit chain broken at record %d: %s", e.rep.BrokenSeq, e.rep.Problem)
}

func auditVerify(c *call) runFunc {
	db := c.fs.String("db", "", "verify the database at `PATH` (SQLite file or postgres:// URL) directly, without a server")
	return func(ctx context.Context, _ []string) error {
		switch {
		case *db != "" && c.ext.VerifyAuditDB == nil:
			return &usageError{msg: "audit verify --db is run by the mint binary, not through this package"}
		case *db != "":
			return c.ext.VerifyAuditDB(ctx, *db, c.opts.json)
		}
		return verifyAuditOnline(ctx, c)
	}
}

func verifyAuditOnline(ctx context.Context, c *call) error {
	api, err := c.admin(ctx)
	if err != nil {
		return err
	}
	body, err := api.do(ctx, "GET", "/audit/verify", nil)
	if err != nil {
		return err
	}
	var rep audit.ReportView
	if err := json.Unmarshal(body, &rep); err != nil {
		return &transportError{msg: fmt.Sprintf("unexpected answer from the server: %v", err)}
	}
	return ShowAuditReport(c.stdout, rep, c.opts.json)
}

// ShowAuditReport prints what `mint audit verify` found and returns an
// error naming the first broken record when the chain is not whole. The
// mint binary's offline verify (--db) prints through it too.
func ShowAuditReport(w io.Writer, rep audit.ReportView, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		anchor := "the start (nothing pruned)"
		if rep.AnchorSeq > 0 {
			anchor = fmt.Sprintf("record %d (pruned %s), hash %s", rep.AnchorSeq, rep.PrunedAt.UTC().Format(time.RFC3339), rep.AnchorHash)
		}
		fmt.Fprintf(w, "anchor:  %s\nchecked: %d records", anchor, rep.Checked)
		if rep.Checked > 0 {
			fmt.Fprintf(w, " (%d to %d)", rep.First, rep.Last)
		}
		fmt.Fprintf(w, "\nhead:    record %d\n", rep.HeadSeq)
		if rep.OK {
			fmt.Fprintln(w, "ok: the chain is whole")
		}
	}
	if !rep.OK {
		return &errChainBroken{rep: rep}
	}
	return nil
}

// auditKinds are the kinds a person filters by, for the usage text.
var auditKinds = strings.Join([]string{"admin.<resource>.<action>", "admin.", "auth.failure", "token.issued"}, ", ")
