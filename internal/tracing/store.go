package tracing

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/mintauth/mint/internal/mint"
)

// Store is store with a client span around each of the admin API's
// writes and lists, each one transaction: a trace shows how much of an
// admin request the database took. Methods not listed here pass through
// untraced (the embedded Store), so a method added to mint.Store needs no
// change here. The span names the operation, never its arguments.
func Store(store mint.Store, tracer trace.Tracer) mint.Store {
	return &tracedStore{Store: store, tracer: tracer}
}

type tracedStore struct {
	mint.Store
	tracer trace.Tracer
}

var dbOperation = attribute.Key("db.operation.name")

// do runs op in a span named "store name", when ctx has a span: a store
// call outside a traced request (the console's, in-process) would be a
// trace of its own.
func (s *tracedStore) do(ctx context.Context, name string, op func(context.Context) error) error {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return op(ctx)
	}
	ctx, span := s.tracer.Start(ctx, "store "+name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(dbOperation.String(name)))
	defer span.End()
	err := op(ctx)
	if err != nil {
		// The kind of failure only: a store error's text can name values.
		span.SetStatus(codes.Error, storeErrorKind(err))
	}
	return err
}

func storeErrorKind(err error) string {
	switch {
	case errors.Is(err, mint.ErrNotFound):
		return "not found"
	case errors.Is(err, mint.ErrConflict):
		return "conflict"
	}
	return "failed"
}

func (s *tracedStore) CreateAPI(ctx context.Context, api mint.API) error {
	return s.do(ctx, "CreateAPI", func(ctx context.Context) error { return s.Store.CreateAPI(ctx, api) })
}

func (s *tracedStore) UpdateAPI(ctx context.Context, id string, update func(mint.API) (mint.API, error)) (out mint.API, err error) {
	err = s.do(ctx, "UpdateAPI", func(ctx context.Context) error { out, err = s.Store.UpdateAPI(ctx, id, update); return err })
	return out, err
}

func (s *tracedStore) DeleteAPI(ctx context.Context, id string) error {
	return s.do(ctx, "DeleteAPI", func(ctx context.Context) error { return s.Store.DeleteAPI(ctx, id) })
}

func (s *tracedStore) ListAPIsPage(ctx context.Context, page mint.Page) (apis []mint.API, next mint.Cursor, err error) {
	err = s.do(ctx, "ListAPIsPage", func(ctx context.Context) error { apis, next, err = s.Store.ListAPIsPage(ctx, page); return err })
	return apis, next, err
}

func (s *tracedStore) CreateClient(ctx context.Context, c mint.Client, secret mint.Secret) error {
	return s.do(ctx, "CreateClient", func(ctx context.Context) error { return s.Store.CreateClient(ctx, c, secret) })
}

func (s *tracedStore) UpdateClient(ctx context.Context, id string, update func(mint.Client) (mint.Client, error)) (out mint.Client, err error) {
	err = s.do(ctx, "UpdateClient", func(ctx context.Context) error { out, err = s.Store.UpdateClient(ctx, id, update); return err })
	return out, err
}

func (s *tracedStore) DeleteClient(ctx context.Context, id string) error {
	return s.do(ctx, "DeleteClient", func(ctx context.Context) error { return s.Store.DeleteClient(ctx, id) })
}

func (s *tracedStore) ListClientsPage(ctx context.Context, q mint.ClientQuery) (cs []mint.Client, next mint.Cursor, err error) {
	err = s.do(ctx, "ListClientsPage", func(ctx context.Context) error { cs, next, err = s.Store.ListClientsPage(ctx, q); return err })
	return cs, next, err
}

func (s *tracedStore) RotateSecret(ctx context.Context, secret mint.Secret, oldExpiresAt time.Time) error {
	return s.do(ctx, "RotateSecret", func(ctx context.Context) error { return s.Store.RotateSecret(ctx, secret, oldExpiresAt) })
}

func (s *tracedStore) DeleteSecret(ctx context.Context, clientID, secretID string) error {
	return s.do(ctx, "DeleteSecret", func(ctx context.Context) error { return s.Store.DeleteSecret(ctx, clientID, secretID) })
}

func (s *tracedStore) CreateGrant(ctx context.Context, g mint.Grant) error {
	return s.do(ctx, "CreateGrant", func(ctx context.Context) error { return s.Store.CreateGrant(ctx, g) })
}

func (s *tracedStore) UpdateGrant(ctx context.Context, id string, update func(mint.Grant) (mint.Grant, error)) (out mint.Grant, err error) {
	err = s.do(ctx, "UpdateGrant", func(ctx context.Context) error { out, err = s.Store.UpdateGrant(ctx, id, update); return err })
	return out, err
}

func (s *tracedStore) DeleteGrant(ctx context.Context, id string) error {
	return s.do(ctx, "DeleteGrant", func(ctx context.Context) error { return s.Store.DeleteGrant(ctx, id) })
}

func (s *tracedStore) ListGrantsPage(ctx context.Context, q mint.GrantQuery) (gs []mint.Grant, next mint.Cursor, err error) {
	err = s.do(ctx, "ListGrantsPage", func(ctx context.Context) error { gs, next, err = s.Store.ListGrantsPage(ctx, q); return err })
	return gs, next, err
}

func (s *tracedStore) RevokeToken(ctx context.Context, t mint.RevokedToken) error {
	return s.do(ctx, "RevokeToken", func(ctx context.Context) error { return s.Store.RevokeToken(ctx, t) })
}
