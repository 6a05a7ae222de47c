package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/mint"
)

// pageQuery builds a keyset-paginated SELECT: the rows after the cursor, in
// (created_at, id) order, which an index of each listed table serves, so a
// page costs the same wherever it starts. IDs compare in byte order
// (COLLATE "C", as the indexes do), the order SQLite uses, whatever the
// database's collation.
type pageQuery struct {
	where []string
	args  []any
}

// and adds a condition; its placeholders are written %d, numbered here.
func (q *pageQuery) and(cond string, args ...any) {
	nums := make([]any, len(args))
	for i := range args {
		nums[i] = len(q.args) + i + 1
	}
	q.where = append(q.where, fmt.Sprintf(cond, nums...))
	q.args = append(q.args, args...)
}

// sql returns the statement reading one row more than the page holds, which
// says whether more follow, and its arguments.
func (q *pageQuery) sql(selectFrom string, page mint.Page) (string, []any) {
	q.and(`(created_at, id COLLATE "C") > ($%d, $%d)`, millis(page.After.CreatedAt), page.After.ID)
	stmt := selectFrom + ` WHERE ` + strings.Join(q.where, ` AND `) +
		fmt.Sprintf(` ORDER BY created_at, id COLLATE "C" LIMIT %d`, page.Size()+1)
	return stmt, q.args
}

// listPage runs a page query, cuts the extra row off and returns the next
// page's cursor.
func listPage[T any](ctx context.Context, s *Store, what string, scan func(pgx.Row) (T, error),
	cursor func(T) mint.Cursor, stmt string, args []any, size int) ([]T, mint.Cursor, error) {
	items, err := list(ctx, s.pool, scan, stmt, args...)
	if err != nil {
		return nil, mint.Cursor{}, failed("postgres: list %s: %w", what, err)
	}
	if len(items) > size {
		return items[:size], cursor(items[size-1]), nil
	}
	return items, mint.Cursor{}, nil
}

func apiCursor(a mint.API) mint.Cursor       { return mint.CursorAt(a.CreatedAt, a.ID) }
func clientCursor(c mint.Client) mint.Cursor { return mint.CursorAt(c.CreatedAt, c.ID) }
func grantCursor(g mint.Grant) mint.Cursor   { return mint.CursorAt(g.CreatedAt, g.ID) }

// ListAPIsPage returns a page of APIs and the next page's cursor.
func (s *Store) ListAPIsPage(ctx context.Context, page mint.Page) ([]mint.API, mint.Cursor, error) {
	var q pageQuery
	stmt, args := q.sql(selectAPI, page)
	return listPage(ctx, s, "apis", scanAPI, apiCursor, stmt, args, page.Size())
}

// ListClientsPage returns a page of the clients q selects and the next
// page's cursor.
func (s *Store) ListClientsPage(ctx context.Context, cq mint.ClientQuery) ([]mint.Client, mint.Cursor, error) {
	if cq.Search != "" {
		return s.searchClients(ctx, cq)
	}
	var q pageQuery
	stmt, args := q.sql(selectClient, cq.Page)
	return listPage(ctx, s, "clients", scanClient, clientCursor, stmt, args, cq.Size())
}

// searchClients reads the next mint.SearchScanLimit clients in the index's
// order and keeps those whose name or ID starts with the search. ILIKE
// under COLLATE "C" folds ASCII letters only, as SQLite's LIKE does, and
// costs a fraction of ILIKE under a locale. When the page fills
// up before the window ends, the next page starts after its last client;
// else after the window's last row, which one more index read finds.
func (s *Store) searchClients(ctx context.Context, cq mint.ClientQuery) ([]mint.Client, mint.Cursor, error) {
	after := []any{millis(cq.After.CreatedAt), cq.After.ID}
	// The window reads the clients_page index only, which holds the name.
	window := fmt.Sprintf(`SELECT created_at, id, name FROM clients WHERE (created_at, id COLLATE "C") > ($1, $2)
		ORDER BY created_at, id COLLATE "C" LIMIT %d`, mint.SearchScanLimit)
	stmt := selectClient + ` WHERE id IN (
		  SELECT id FROM (` + window + `) AS w
		   WHERE name COLLATE "C" ILIKE $3 OR id COLLATE "C" ILIKE $3
		   ORDER BY created_at, id COLLATE "C" ` + fmt.Sprintf(`LIMIT %d`, cq.Size()+1) + `)
		ORDER BY created_at, id COLLATE "C"`
	clients, next, err := listPage(ctx, s, "clients", scanClient, clientCursor, stmt,
		append(after, mint.LikePrefix(cq.Search)), cq.Size())
	if err != nil || !next.IsZero() {
		return clients, next, err
	}
	err = s.pool.QueryRow(ctx, fmt.Sprintf(`SELECT created_at, id FROM clients WHERE (created_at, id COLLATE "C") > ($1, $2)
		ORDER BY created_at, id COLLATE "C" LIMIT 1 OFFSET %d`, mint.SearchScanLimit-1), after...).
		Scan(&next.CreatedAt, &next.ID)
	switch {
	case err == nil:
		next.CreatedAt = next.CreatedAt.UTC()
	case errors.Is(err, pgx.ErrNoRows):
		next = mint.Cursor{}
	default:
		return nil, mint.Cursor{}, failed("postgres: search clients: %w", err)
	}
	return clients, next, nil
}

// ListGrantsPage returns a page of the grants q selects and the next
// page's cursor.
func (s *Store) ListGrantsPage(ctx context.Context, gq mint.GrantQuery) ([]mint.Grant, mint.Cursor, error) {
	var q pageQuery
	if gq.ClientID != "" {
		q.and(`client_id = $%d`, gq.ClientID)
	}
	if gq.Audience != "" {
		q.and(`audience = $%d`, gq.Audience)
	}
	stmt, args := q.sql(selectGrant, gq.Page)
	return listPage(ctx, s, "grants", scanGrant, grantCursor, stmt, args, gq.Size())
}
