package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// writeJSON prints the server's JSON indented, keeping the server's order
// of members and its numbers exactly.
func writeJSON(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		return &transportError{msg: fmt.Sprintf("the server's answer is not JSON: %v", err)}
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// show prints an answer: the server's JSON with --json, else a table drawn
// by render from the answer decoded as a T.
func show[T any](c *call, body []byte, render func(w *tabwriter.Writer, v T)) error {
	if c.opts.json {
		return writeJSON(c.stdout, body)
	}
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return &transportError{msg: fmt.Sprintf("unexpected answer from the server: %v", err)}
	}
	tw := newTable(c.stdout)
	render(tw, v)
	return tw.Flush()
}

// done reports a change that has no answer, such as a delete: a line for
// people, nothing with --json.
func done(c *call, format string, args ...any) error {
	if c.opts.json {
		return nil
	}
	_, err := fmt.Fprintf(c.stdout, format+"\n", args...)
	return err
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

// row writes one tab-separated table row.
func row(w io.Writer, cells ...string) {
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// orDash is s, or "-" when s is empty, so that no table cell is blank.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinScopes(scopes []string) string {
	return orDash(strings.Join(scopes, " "))
}

// formatTime shows an RFC 3339 time to the second, in UTC; "-" when unset.
func formatTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return orDash(s)
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// formatLifetime shows a number of seconds for people: "24h (86400s)".
func formatLifetime(seconds int64) string {
	d := (time.Duration(seconds) * time.Second).String()
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return d + " (" + strconv.FormatInt(seconds, 10) + "s)"
}
