package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/mintauth/mint/internal/mint"
)

// apiError is an error answer of the admin API or the token endpoint:
// the RFC 6749 §5.2 fields and the field at fault.
type apiError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
	Field       string `json:"field"`
}

func (e *apiError) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Description
}

// errSessionRefused means the admin API refused the session's token (401):
// it expired, or its client or key is gone.
var errSessionRefused = errors.New("console: the admin API refused the session's token")

// backend calls mint's token endpoint and admin API in process.
type backend struct {
	handler   http.Handler
	tokenPath string
}

// call serves one request with the backend's handler and decodes a 2xx
// JSON answer into out (unless nil). A 4xx or 5xx answer is an *apiError;
// with a bearer token, a 401 is errSessionRefused.
func (b *backend) call(ctx context.Context, from *http.Request, method, path, bearer string, body, out any) error {
	_, err := b.callWithHeader(ctx, from, method, path, bearer, body, out)
	return err
}

// callWithHeader is call, returning the answer's header too (a list's
// Link to its next page).
func (b *backend) callWithHeader(ctx context.Context, from *http.Request, method, path, bearer string, body, out any) (http.Header, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequestWithContext(ctx, method, path, rd)
	req.RemoteAddr, req.Host, req.TLS = from.RemoteAddr, from.Host, from.TLS
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	return rec.Header(), decodeAnswer(rec, bearer != "", out)
}

func decodeAnswer(rec *httptest.ResponseRecorder, withBearer bool, out any) error {
	if rec.Code >= 200 && rec.Code < 300 {
		if out == nil || rec.Code == http.StatusNoContent {
			return nil
		}
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			return fmt.Errorf("console: decode answer: %w", err)
		}
		return nil
	}
	if withBearer && rec.Code == http.StatusUnauthorized {
		return errSessionRefused
	}
	e := &apiError{Status: rec.Code}
	if json.Unmarshal(rec.Body.Bytes(), e) != nil || e.Code == "" {
		e.Code, e.Description = "server_error", fmt.Sprintf("mint answered %d", rec.Code)
	}
	return e
}

// tokenAnswer is the token endpoint's answer (RFC 6749 §5.1).
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// adminToken asks the token endpoint for an admin token with the client's
// credentials, as a JSON body the way the seed pages do.
func (b *backend) adminToken(ctx context.Context, from *http.Request, clientID, secret string) (tokenAnswer, error) {
	var tok tokenAnswer
	err := b.call(ctx, from, http.MethodPost, b.tokenPath, "", map[string]string{
		"grant_type": "client_credentials", "client_id": clientID,
		"client_secret": secret, "audience": mint.AdminAudience,
	}, &tok)
	return tok, err
}
