package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// auditRecord is a record of GET /admin/v1/audit.
type auditRecord struct {
	Seq      int64           `json:"seq"`
	Time     time.Time       `json:"time"`
	Kind     string          `json:"kind"`
	Actor    string          `json:"actor"`
	ClientID string          `json:"client_id"`
	Subject  string          `json:"subject"`
	Source   string          `json:"source"`
	Details  json.RawMessage `json:"details"`
}

type auditData struct {
	// Available is false when the admin API serves no audit log.
	Available bool
	Records   []auditRecord
	Filter    auditFilter
	Error     *apiError
	// Older is the address of the next page, older records, when this
	// one is full; Newest, of the first page, when this is not it.
	Older, Newest string
}

// auditFilter is the page's query: the admin API's filters, dates as the
// date inputs write them. The page lists newest first: what an operator
// opens the log for is what just happened.
type auditFilter struct {
	ClientID, Kind, Since, Until string
	BeforeSeq                    int64
}

const auditPageSize = 50

// showAudit lists the admin API's audit log, filtered; it says so when
// this mint's admin API has none.
func (c *Console) showAudit(w http.ResponseWriter, r *http.Request, sess *session) error {
	q := r.URL.Query()
	f := auditFilter{ClientID: q.Get("client_id"), Kind: q.Get("kind"), Since: q.Get("since"), Until: q.Get("until")}
	f.BeforeSeq, _ = strconv.ParseInt(q.Get("before_seq"), 10, 64)
	d := auditData{Available: true, Filter: f}
	err := c.backend.call(r.Context(), r, "GET", "/admin/v1/audit?"+f.query(f.BeforeSeq).Encode(), sess.Token, nil, &d.Records)
	var e *apiError
	switch {
	case errors.As(err, &e) && e.Status == http.StatusNotFound:
		d.Available = false
	case errors.As(err, &e) && e.Status < 500:
		d.Error = e
	case err != nil:
		return err
	}
	if len(d.Records) == auditPageSize {
		d.Older = "/console/audit?" + f.pageQuery(d.Records[len(d.Records)-1].Seq).Encode()
	}
	if f.BeforeSeq > 0 {
		d.Newest = "/console/audit?" + f.pageQuery(0).Encode()
	}
	c.renderPage(w, r, sess, http.StatusOK, "audit", "audit", "Audit log", d)
	return nil
}

// query is the admin API's query for the filter; a date "until" includes
// that whole day.
func (f auditFilter) query(beforeSeq int64) url.Values {
	v := url.Values{"limit": {strconv.Itoa(auditPageSize)}, "order": {"newest"}}
	if f.ClientID != "" {
		v.Set("client_id", f.ClientID)
	}
	if f.Kind != "" {
		v.Set("kind", f.Kind)
	}
	if t, err := time.Parse(time.DateOnly, f.Since); err == nil {
		v.Set("since", t.Format(time.RFC3339))
	}
	if t, err := time.Parse(time.DateOnly, f.Until); err == nil {
		v.Set("until", t.Add(24*time.Hour).Format(time.RFC3339))
	}
	if beforeSeq > 0 {
		v.Set("before_seq", strconv.FormatInt(beforeSeq, 10))
	}
	return v
}

// pageQuery is the console's own query for a page of the same filter:
// the records before beforeSeq, or the newest with 0.
func (f auditFilter) pageQuery(beforeSeq int64) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"client_id": f.ClientID, "kind": f.Kind, "since": f.Since, "until": f.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if beforeSeq > 0 {
		v.Set("before_seq", strconv.FormatInt(beforeSeq, 10))
	}
	return v
}
