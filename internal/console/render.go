package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// pageNames are the templates under templates/, each rendered inside
// layout.html.
var pageNames = []string{"sign-in", "error", "confirm", "apis", "api", "clients", "client", "keys", "snippets", "audit", "dashboard"}

type pages struct{ byName map[string]*template.Template }

func parsePages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string // the current section: apis, clients, keys, snippets, audit
	Session *session
	Flash   *flash
	Data    any
}

// render writes the page whole, or a 500 if its template fails.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	var buf bytes.Buffer
	if err := c.pages.byName[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		c.cfg.Log.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		http.Error(w, "mint could not render this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderPage renders a signed-in page with the flash left for it.
func (c *Console) renderPage(w http.ResponseWriter, r *http.Request, sess *session, status int, name, nav, title string, data any) {
	c.render(w, r, status, name, &view{Title: title, Nav: nav, Session: sess, Flash: c.takeFlash(w, r, sess), Data: data})
}

type errorData struct{ Message, Code string }

// assetHandler serves the embedded style sheet and script.
func assetHandler() http.Handler {
	sub, _ := fs.Sub(assetFS, "assets")
	files := http.StripPrefix("/console/assets/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

var funcs = template.FuncMap{
	"when":     when,
	"iso":      iso,
	"lifetime": lifetime,
	"has":      func(list []string, s string) bool { return slices.Contains(list, s) },
	"span":     span,
	// adminAudience is the admin API, which forms set apart.
	"adminAudience": func() string { return mint.AdminAudience },
	"join":          strings.Join,
	"lifetimeAlg": func(f *formState, algs []string, prefix string) lifetimeAlgArgs {
		return lifetimeAlgArgs{Form: f, Algs: algs, Prefix: prefix}
	},
	"bindingField": func(f *formState, choices []tokenBindingChoice, prefix, whose string) bindingFieldArgs {
		return bindingFieldArgs{Form: f, Choices: choices, Prefix: prefix, Whose: whose}
	},
	"ruleField": func(f *formState, name, label, hint, kind string) ruleFieldArgs {
		return ruleFieldArgs{Form: f, Name: name, Label: label, Hint: hint, Kind: kind}
	},
}

// ruleFieldArgs feeds the "rule-field" template: one input of the add-a-
// trust-rule form; Kind is "number" or a text kind.
type ruleFieldArgs struct {
	Form                    *formState
	Name, Label, Hint, Kind string
}

// bindingFieldArgs feeds the "binding-field" template, on the API and
// client pages.
type bindingFieldArgs struct {
	Form          *formState
	Choices       []tokenBindingChoice
	Prefix, Whose string
}

// lifetimeAlgArgs feeds the "lifetime-alg" template, which both API forms
// share.
type lifetimeAlgArgs struct {
	Form   *formState
	Algs   []string
	Prefix string
}

// when shows a time (time.Time or *time.Time) in UTC to the minute; a nil
// or zero time as "—".
func when(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// iso is a time for a <time datetime> attribute.
func iso(v any) string {
	t, ok := timeOf(v)
	if !ok {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil || t.IsZero() {
			return time.Time{}, false
		}
		return *t, true
	}
	return time.Time{}, false
}

// lifetime writes seconds the way an operator reads them: "1 day",
// "1 h 30 min", "90 s".
func lifetime(seconds int64) string {
	d := time.Duration(seconds) * time.Second
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%d s", seconds)
}

// span writes a measured duration to the unit an operator needs: "40 s",
// "3 min", "2 h 5 min", "1 day".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d < 24*time.Hour && d%time.Hour < time.Minute:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h %d min", d/time.Hour, d%time.Hour/time.Minute)
	}
	return lifetime(int64(d.Round(time.Hour) / time.Second))
}

func plural(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}
