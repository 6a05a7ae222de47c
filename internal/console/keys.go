package console

import (
	"net/http"

	"github.com/mintauth/mint/internal/mint"
)

type keysData struct {
	Keys []keyView
	Form *formState
	Algs []string
}

func (c *Console) listKeys(w http.ResponseWriter, r *http.Request, sess *session) error {
	return c.keysPage(w, r, sess, http.StatusOK, &formState{Values: map[string]string{"algorithm": mint.AlgRS256}})
}

func (c *Console) keysPage(w http.ResponseWriter, r *http.Request, sess *session, status int, form *formState) error {
	var keys []keyView
	if err := c.backend.call(r.Context(), r, "GET", "/admin/v1/keys", sess.Token, nil, &keys); err != nil {
		return err
	}
	c.renderPage(w, r, sess, status, "keys", "keys", "Signing keys", keysData{Keys: keys, Form: form, Algs: mint.SigningAlgorithms})
	return nil
}

func (c *Console) rotateKey(w http.ResponseWriter, r *http.Request, sess *session) error {
	form := submitted(r, "algorithm", "immediate")
	alg, immediate := form.Value("algorithm"), form.Value("immediate") == "yes"
	if !confirmed(r) {
		d := confirmData{Question: "Rotate the " + alg + " signing key?", Button: "Rotate key", Cancel: "/console/keys",
			Detail: "A new key is published now and signs once the prepublication delay has passed; the current key then retires."}
		if immediate {
			d.Detail = "The new key signs at once and the current key retires now. Verifiers that cached the key set " +
				"may refuse the new tokens until they fetch it again. Do this when a key is compromised."
		}
		c.askConfirmation(w, r, sess, "keys", d)
		return nil
	}
	var keys []keyView
	body := map[string]any{"algorithm": alg, "immediate": immediate}
	if err := form.fromAPI(c.backend.call(r.Context(), r, "POST", "/admin/v1/keys/rotate", sess.Token, body, &keys)); err != nil {
		return err
	}
	if form.Failed() {
		return c.keysPage(w, r, sess, http.StatusBadRequest, form)
	}
	notice := "A new " + alg + " key is published; it signs once its activation time has passed."
	if immediate {
		notice = "A new " + alg + " key signs from now on; the previous key is retired."
	}
	return c.redirect(w, r, sess, "/console/keys", flash{Notice: notice})
}
