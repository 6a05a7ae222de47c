package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// errorObject is the RFC 6749 §5.2 error object, with mint's "field".
type errorObject struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Field       string `json:"field"`
}

// sortAnswer turns an HTTP answer into the CLI's outcome.
func sortAnswer(method, url string, resp *http.Response, body []byte) (json.RawMessage, error) {
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && len(body) == 0 {
		return nil, nil
	}
	if !isJSON(resp.Header.Get("Content-Type")) || !json.Valid(body) {
		return nil, unexpected(method, url, resp, body)
	}
	if ok {
		return body, nil
	}
	var obj errorObject
	if err := json.Unmarshal(body, &obj); err != nil || obj.Error == "" {
		return nil, unexpected(method, url, resp, body)
	}
	return nil, &remoteError{
		Status: resp.StatusCode, Code: obj.Error, Description: obj.Description,
		Field: obj.Field, Body: body,
	}
}

// unexpected describes an answer that is not mint's. A 401 or 403 without
// an error object (a bare WWW-Authenticate challenge) is still a refusal of
// the credentials.
func unexpected(method, url string, resp *http.Response, body []byte) error {
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return &remoteError{Status: resp.StatusCode, Code: "unauthorized",
			Description: fmt.Sprintf("%s %s answered %s", method, url, resp.Status), Auth: true}
	}
	msg := fmt.Sprintf("unexpected answer to %s %s: %s", method, url, resp.Status)
	if s := snippet(body, 120); s != "" {
		msg += ": " + s
	}
	return &transportError{msg: msg}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// snippet is the start of body on one line.
func snippet(body []byte, max int) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}

func asRemote(err error, target **remoteError) bool {
	return errors.As(err, target)
}
