package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/mintauth/mint/internal/mint"
)

type apisData struct {
	APIs  []apiView
	Pager *pager
	Form  *formState
	Algs  []string
}

type apiData struct {
	API     apiView
	Form    *formState
	Algs    []string
	BuiltIn bool // the admin API: its scopes are fixed and it cannot go
	// Bindings are the token_binding choices.
	Bindings []tokenBindingChoice
}

var apiFields = []string{"name", "audience", "scopes", "token_lifetime", "signing_alg"}

func (c *Console) listAPIs(w http.ResponseWriter, r *http.Request, sess *session) error {
	form := &formState{Values: map[string]string{"token_lifetime": "86400", "signing_alg": mint.AlgRS256}}
	return c.apisPage(w, r, sess, http.StatusOK, form)
}

func (c *Console) apisPage(w http.ResponseWriter, r *http.Request, sess *session, status int, form *formState) error {
	var apis []apiView
	p := readPager(r, "/console/apis")
	if err := c.listPage(r.Context(), r, sess, p, "/admin/v1/apis", false, &apis); err != nil {
		return err
	}
	c.renderPage(w, r, sess, status, "apis", "apis", "APIs", apisData{APIs: apis, Pager: p, Form: form, Algs: mint.SigningAlgorithms})
	return nil
}

func (c *Console) createAPI(w http.ResponseWriter, r *http.Request, sess *session) error {
	form := submitted(r, apiFields...)
	body := map[string]any{"name": form.Value("name"), "audience": strings.TrimSpace(form.Value("audience")),
		"scopes": words(form.Value("scopes")), "signing_alg": form.Value("signing_alg")}
	if n, ok := form.seconds("token_lifetime"); ok {
		body["token_lifetime"] = n
	}
	var api apiView
	if !form.Failed() {
		if err := form.fromAPI(c.backend.call(r.Context(), r, "POST", "/admin/v1/apis", sess.Token, body, &api)); err != nil {
			return err
		}
	}
	if form.Failed() {
		return c.apisPage(w, r, sess, http.StatusBadRequest, form)
	}
	return c.redirect(w, r, sess, "/console/apis", flash{Notice: "API “" + api.Name + "” created."})
}

func apiPath(id string) string { return "/admin/v1/apis/" + url.PathEscape(id) }

func (c *Console) showAPI(w http.ResponseWriter, r *http.Request, sess *session) error {
	var api apiView
	if err := c.backend.call(r.Context(), r, "GET", apiPath(r.PathValue("id")), sess.Token, nil, &api); err != nil {
		return err
	}
	form := &formState{Values: map[string]string{"name": api.Name, "scopes": strings.Join(api.Scopes, " "),
		"token_lifetime": itoa(api.TokenLifetime), "signing_alg": api.SigningAlg, "policy": api.Policy,
		"token_binding": api.TokenBinding}}
	return c.apiPage(w, r, sess, http.StatusOK, api, form)
}

func (c *Console) apiPage(w http.ResponseWriter, r *http.Request, sess *session, status int, api apiView, form *formState) error {
	c.renderPage(w, r, sess, status, "api", "apis", "API "+api.Name, apiData{API: api, Form: form,
		Algs: mint.SigningAlgorithms, BuiltIn: api.Audience == mint.AdminAudience, Bindings: tokenBindingChoices})
	return nil
}

func (c *Console) updateAPI(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, "name", "scopes", "token_lifetime", "signing_alg", "policy", "token_binding")
	body := map[string]any{"name": form.Value("name"), "scopes": words(form.Value("scopes")),
		"signing_alg": form.Value("signing_alg"), "policy": strings.TrimSpace(form.Value("policy"))}
	if _, sent := r.PostForm["token_binding"]; sent {
		// A form from before the field leaves the binding as it is.
		body["token_binding"] = form.Value("token_binding")
	}
	if n, ok := form.seconds("token_lifetime"); ok {
		body["token_lifetime"] = n
	}
	var api apiView
	if !form.Failed() {
		if err := form.fromAPI(c.backend.call(r.Context(), r, "PATCH", apiPath(id), sess.Token, body, &api)); err != nil {
			return err
		}
	}
	if form.Failed() {
		if err := c.backend.call(r.Context(), r, "GET", apiPath(id), sess.Token, nil, &api); err != nil {
			return err
		}
		return c.apiPage(w, r, sess, http.StatusBadRequest, api, form)
	}
	return c.redirect(w, r, sess, "/console/apis/"+url.PathEscape(id), flash{Notice: "Changes saved."})
}

func (c *Console) deleteAPI(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	var api apiView
	if err := c.backend.call(r.Context(), r, "GET", apiPath(id), sess.Token, nil, &api); err != nil {
		return err
	}
	if !confirmed(r) {
		c.askConfirmation(w, r, sess, "apis", confirmData{Question: "Delete the API “" + api.Name + "”?",
			Detail: "Its grants are deleted too: no client can get a token for " + api.Audience + " any more.",
			Button: "Delete API", Cancel: "/console/apis/" + url.PathEscape(id)})
		return nil
	}
	if err := c.backend.call(r.Context(), r, "DELETE", apiPath(id), sess.Token, nil, nil); err != nil {
		return err
	}
	return c.redirect(w, r, sess, "/console/apis", flash{Notice: "API “" + api.Name + "” deleted."})
}
