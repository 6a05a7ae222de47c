package console

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/mintauth/mint/internal/policy"
)

// updateClientPolicy saves a client's metadata (one key=value per line)
// and issuance policy; the admin API compiles the policy and a refusal
// shows its CEL error beside the field.
func (c *Console) updateClientPolicy(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	form := submitted(r, "metadata", "policy")
	md, err := parseMetadataText(form.Value("metadata"))
	if err != nil {
		form.refuse("metadata", err.Error())
	}
	if !form.Failed() {
		body := map[string]any{"metadata": md, "policy": strings.TrimSpace(form.Value("policy"))}
		if err := form.fromAPI(c.backend.call(r.Context(), r, "PATCH", clientPath(id), sess.Token, body, nil)); err != nil {
			return err
		}
	}
	if form.Failed() {
		return c.clientPage(w, r, sess, http.StatusBadRequest, map[string]*formState{"policy": form})
	}
	return c.redirect(w, r, sess, consoleClientPath(id), flash{Notice: "Metadata and policy saved."})
}

// parseMetadataText reads one key=value per line, blank lines skipped.
func parseMetadataText(s string) (map[string]string, error) {
	var pairs []string
	for line := range strings.Lines(s) {
		if line = strings.TrimRight(line, "\r\n"); strings.TrimSpace(line) != "" {
			pairs = append(pairs, strings.TrimSpace(line))
		}
	}
	m, err := policy.ParseMetadataPairs(pairs)
	if m == nil && err == nil {
		m = map[string]string{}
	}
	return m, err
}

// metadataText shows metadata as the form takes it, keys sorted.
func metadataText(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k + "=" + m[k] + "\n")
	}
	return b.String()
}
