package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mintauth/mint/oauth"
)

// pageFunc serves a page to a signed-in operator. Returned errors are
// rendered by fail.
type pageFunc func(w http.ResponseWriter, r *http.Request, sess *session) error

// maxForm bounds a console form.
const maxForm = 64 << 10

// signedIn runs serve for requests with a valid session, and on POST only
// when the form carries the session's CSRF token. Without a session a GET
// is sent to the sign-in page and anything else refused.
func (c *Console) signedIn(serve pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := c.session(r)
		if err != nil {
			c.refuseUnsigned(w, r)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !sameToken(r.PostFormValue("csrf"), sess.CSRF) {
				c.cfg.Log.WarnContext(r.Context(), "console: form without the session's CSRF token refused", "path", r.URL.Path)
				http.Error(w, "Forbidden: the form's CSRF token is missing or wrong; reload the page and try again", http.StatusForbidden)
				return
			}
		}
		if err := serve(w, r, sess); err != nil {
			c.fail(w, r, sess, err)
		}
	})
}

// session opens the request's session cookie.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	return c.seal.openSession(ck.Value, c.cfg.Now())
}

func (c *Console) refuseUnsigned(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(sessionCookie); err == nil {
		c.clearCookie(w, r, sessionCookie)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
		return
	}
	http.Error(w, "Forbidden: sign in first", http.StatusForbidden)
}

// fail renders an error a page returned.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	if errors.Is(err, errSessionRefused) {
		c.clearCookie(w, r, sessionCookie)
		http.Redirect(w, r, "/console/sign-in?expired=1", http.StatusSeeOther)
		return
	}
	var e *apiError
	if errors.As(err, &e) && e.Status < 500 {
		c.render(w, r, e.Status, "error", &view{Session: sess, Title: errorTitle(e),
			Data: errorData{Message: e.Description, Code: e.Code}})
		return
	}
	c.cfg.Log.ErrorContext(r.Context(), "console: page failed", "path", r.URL.Path, "err", err)
	c.render(w, r, http.StatusInternalServerError, "error", &view{Session: sess, Title: "Something went wrong",
		Data: errorData{Message: "mint could not serve this page; the server log has the details."}})
}

func errorTitle(e *apiError) string {
	switch e.Status {
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusNotFound:
		return "Not found"
	}
	return "Refused"
}

// secure tells whether cookies must be Secure: over TLS, or when mint's
// public URL is https (behind a proxy that ends TLS).
func (c *Console) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(c.cfg.TokenURL, "https://")
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console", Expires: expires,
		MaxAge: int(expires.Sub(c.cfg.Now()).Seconds()) + 1, HttpOnly: true, Secure: c.secure(r),
		SameSite: http.SameSiteStrictMode})
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/console", MaxAge: -1,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
}

// signInPage shows the sign-in form, with a fresh double-submit token.
func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, err := c.session(r); err == nil {
		http.Redirect(w, r, "/console/apis", http.StatusSeeOther)
		return
	}
	data := signInData{}
	switch {
	case r.URL.Query().Has("expired"):
		data.Notice = "Your session ended. Sign in again."
	case r.URL.Query().Has("signed-out"):
		data.Notice = "You are signed out."
	}
	c.renderSignIn(w, r, http.StatusOK, data)
}

func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, data signInData) {
	// Keep the token of a form open in another tab valid.
	if ck, err := r.Cookie(signInCookie); err == nil && len(ck.Value) == len(randomToken()) {
		data.CSRF = ck.Value
	} else {
		data.CSRF = randomToken()
	}
	c.setCookie(w, r, signInCookie, data.CSRF, c.cfg.Now().Add(time.Hour))
	c.render(w, r, status, "sign-in", &view{Title: "Sign in", Data: data})
}

type signInData struct {
	CSRF, ClientID, Notice string
	Error                  string
}

// signIn exchanges an admin client's credentials for an admin token and
// starts a session holding it.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	ck, err := r.Cookie(signInCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), ck.Value) {
		http.Error(w, "Forbidden: the sign-in form's CSRF token is missing or wrong; reload the page and try again", http.StatusForbidden)
		return
	}
	id, secret := strings.TrimSpace(r.PostFormValue("client_id")), strings.TrimSpace(r.PostFormValue("client_secret"))
	if id == "" || secret == "" {
		c.renderSignIn(w, r, http.StatusBadRequest, signInData{ClientID: id, Error: "Enter a client id and its secret."})
		return
	}
	tok, err := c.backend.adminToken(r.Context(), r, id, secret)
	if err != nil {
		c.renderSignIn(w, r, http.StatusUnauthorized, signInData{ClientID: id, Error: signInError(err)})
		return
	}
	now := c.cfg.Now()
	sess := newSession(tok.AccessToken, id, tok.ExpiresIn, now)
	sess.ClientName = c.clientName(r, tok.AccessToken, id)
	sealed, err := c.seal.seal(purposeSession, sess)
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	c.cfg.Log.InfoContext(r.Context(), "console: signed in", "admin_client", id)
	c.clearCookie(w, r, signInCookie)
	c.setCookie(w, r, sessionCookie, sealed, time.Unix(sess.Expires, 0))
	http.Redirect(w, r, "/console/apis", http.StatusSeeOther)
}

// clientName is the admin client's name for the header, read with its
// own token; "" when its scopes do not let it read clients, and the header
// shows the id instead.
func (c *Console) clientName(r *http.Request, token, id string) string {
	var cl clientView
	if err := c.backend.call(r.Context(), r, http.MethodGet, clientPath(id), token, nil, &cl); err != nil {
		return ""
	}
	return cl.Name
}

// signInError says why the token endpoint refused, without telling which
// of the id and the secret was wrong.
func signInError(err error) string {
	var e *apiError
	if !errors.As(err, &e) {
		return "mint could not sign you in; the server log has the details."
	}
	switch e.Code {
	case oauth.ErrInvalidClient.Code:
		return "This client id and secret were refused."
	case "":
		return e.Error()
	}
	return "This client may not use the admin API: " + e.Error()
}

// signOut ends the session: the admin token in it is revoked, so a copy of
// the cookie taken before is worthless, and the cookie is cleared. A token
// the admin API already refuses needs no revoking.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request, sess *session) error {
	err := c.backend.call(r.Context(), r, http.MethodDelete, "/admin/v1/token", sess.Token, nil, nil)
	if err != nil && !errors.Is(err, errSessionRefused) {
		return err
	}
	c.clearCookie(w, r, sessionCookie)
	c.clearCookie(w, r, flashCookie)
	c.cfg.Log.InfoContext(r.Context(), "console: signed out", "admin_client", sess.ClientID)
	http.Redirect(w, r, "/console/sign-in?signed-out=1", http.StatusSeeOther)
	return nil
}

// setFlash leaves a message (and perhaps a new secret) for the next page.
func (c *Console) setFlash(w http.ResponseWriter, r *http.Request, sess *session, f flash) {
	f.CSRF = sess.CSRF
	expires := c.cfg.Now().Add(2 * time.Minute)
	f.Expires = expires.Unix()
	sealed, err := c.seal.seal(purposeFlash, f)
	if err != nil {
		return
	}
	c.setCookie(w, r, flashCookie, sealed, expires)
}

// takeFlash returns the message left for this page, once.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request, sess *session) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	c.clearCookie(w, r, flashCookie)
	var f flash
	if c.seal.open(purposeFlash, ck.Value, &f) != nil || !sameToken(f.CSRF, sess.CSRF) ||
		c.cfg.Now().Unix() >= f.Expires {
		return nil
	}
	return &f
}

// redirect ends a successful POST: to the page at path, with a notice.
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, sess *session, path string, f flash) error {
	if f != (flash{}) {
		c.setFlash(w, r, sess, f)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
