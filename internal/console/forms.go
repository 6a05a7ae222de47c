package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// formState is a form as submitted, with the errors to show beside its
// fields. The zero value is an empty form.
type formState struct {
	Values map[string]string
	// Errors maps a field name to its message; "" holds an error that
	// names no field.
	Errors map[string]string
}

// Value is the submitted value of field.
func (f *formState) Value(field string) string {
	if f == nil {
		return ""
	}
	return f.Values[field]
}

// Error is the message for field ("" for the form as a whole).
func (f *formState) Error(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

// Failed tells whether the form has an error.
func (f *formState) Failed() bool { return f != nil && len(f.Errors) > 0 }

// submitted keeps r's form values for the named fields.
func submitted(r *http.Request, fields ...string) *formState {
	f := &formState{Values: map[string]string{}, Errors: map[string]string{}}
	for _, k := range fields {
		f.Values[k] = r.PostFormValue(k)
	}
	return f
}

// refuse puts an error on field; a field the form does not show gets it
// as the form's error.
func (f *formState) refuse(field, msg string) *formState {
	if _, shown := f.Values[field]; !shown {
		field = ""
	}
	f.Errors[field] = msg
	return f
}

// fromAPI puts an admin API refusal beside the field it names. Errors
// that are not refusals (401, 5xx) are returned for fail to handle.
func (f *formState) fromAPI(err error) error {
	var e *apiError
	if !errors.As(err, &e) || e.Status >= 500 {
		return err
	}
	f.refuse(e.Field, e.Error())
	return nil
}

// words splits a list typed into one field, by spaces or commas.
func words(s string) []string {
	list := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\t' || r == '\r' })
	if list == nil {
		return []string{}
	}
	return list
}

// seconds reads a whole number of seconds from field; ok is false (and
// the error set) when it is not one.
func (f *formState) seconds(field string) (n int64, ok bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(f.Value(field)), 10, 64)
	if err != nil {
		f.refuse(field, "Enter a whole number of seconds.")
		return 0, false
	}
	return n, true
}

// confirmed tells whether a destructive form was confirmed, in the page's
// dialog or on the confirmation page.
func confirmed(r *http.Request) bool { return r.PostFormValue("confirmed") == "yes" }

// confirmData is the confirmation page shown for a destructive form sent
// without confirmation (when the page's script did not run).
type confirmData struct {
	Question, Detail, Action, Button, Cancel string
	// Fields are the form's other fields, sent again.
	Fields map[string]string
}

// askConfirmation renders the confirmation page for r's form.
func (c *Console) askConfirmation(w http.ResponseWriter, r *http.Request, sess *session, nav string, d confirmData) {
	d.Action = r.URL.Path
	d.Fields = map[string]string{}
	for k, v := range r.PostForm {
		if k != "csrf" && k != "confirmed" && len(v) > 0 {
			d.Fields[k] = v[0]
		}
	}
	c.render(w, r, http.StatusOK, "confirm", &view{Title: d.Question, Nav: nav, Session: sess, Data: d})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
