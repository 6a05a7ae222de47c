package oauth

import (
	"encoding/json"
	"log/slog"
	"net/http"
)

// WriteJSON writes v as a JSON body with the given status. Every answer mint
// gives may carry a credential or depend on one, so none may be cached
// (RFC 6749 §5.1).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	noStore(w.Header())
	WriteJSONCached(w, status, v)
}

func noStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// WriteJSONBody writes body, which is JSON, with the given status and
// WriteJSON's headers: for answers encoded without reflection.
func WriteJSONBody(w http.ResponseWriter, status int, body []byte) {
	noStore(w.Header())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing left to tell it
}

// WriteJSONCached writes v as a JSON body and leaves caching headers to the
// caller: for public documents such as the JWKS and discovery metadata.
func WriteJSONCached(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing left to tell it
}

// WriteError renders err (see As) and returns what it wrote.
func WriteError(w http.ResponseWriter, err error) *Error {
	e := As(err)
	for k, vs := range e.Header {
		w.Header()[k] = vs
	}
	WriteJSON(w, e.Status, e)
	return e
}

// HandlerFunc is an HTTP handler that returns its error instead of writing
// it, so that every error is rendered and logged in one place.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts h to http.Handler. Errors are written with WriteError; server
// errors are logged with their cause at error level, client errors at debug
// level. Neither log line holds the request body or headers.
func Handle(log *slog.Logger, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		e := WriteError(w, err)
		level := slog.LevelDebug
		if e.Status >= 500 {
			level = slog.LevelError
		}
		log.Log(r.Context(), level, "request failed",
			"method", r.Method, "path", r.URL.Path, "status", e.Status,
			"error", e.Code, "detail", e.Error())
	})
}
