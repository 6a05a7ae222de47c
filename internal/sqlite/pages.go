package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/mintauth/mint/internal/mint"
)

// pageQuery builds a keyset-paginated SELECT: the rows after the cursor, in
// (created_at, id) order, which an index of each listed table serves, so a
// page costs the same wherever it starts.
type pageQuery struct {
	where []string
	args  []any
}

func (q *pageQuery) and(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// sql returns the statement reading one row more than the page holds, which
// says whether more follow, and its arguments.
func (q *pageQuery) sql(selectFrom string, page mint.Page) (string, []any) {
	q.and(`(created_at, id) > (?, ?)`, millis(page.After.CreatedAt), page.After.ID)
	stmt := selectFrom + ` WHERE ` + strings.Join(q.where, ` AND `) +
		` ORDER BY created_at, id LIMIT ?`
	return stmt, append(q.args, page.Size()+1)
}

// query runs a list statement.
func query[T any](ctx context.Context, s *Store, what string, scan func(rowScanner) (T, error), stmt string, args ...any) ([]T, error) {
	rows, err := s.read.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, failed("sqlite: list %s: %w", what, err)
	}
	defer rows.Close()
	var items []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, failed("sqlite: list %s: %w", what, err)
		}
		items = append(items, v)
	}
	if err := rows.Err(); err != nil {
		return nil, failed("sqlite: list %s: %w", what, err)
	}
	return items, nil
}

// cutPage cuts the extra row off items and returns the next page's cursor.
func cutPage[T any](items []T, size int, cursor func(T) mint.Cursor) ([]T, mint.Cursor) {
	if len(items) > size {
		return items[:size], cursor(items[size-1])
	}
	return items, mint.Cursor{}
}

func apiCursor(a mint.API) mint.Cursor       { return mint.CursorAt(a.CreatedAt, a.ID) }
func clientCursor(c mint.Client) mint.Cursor { return mint.CursorAt(c.CreatedAt, c.ID) }
func grantCursor(g mint.Grant) mint.Cursor   { return mint.CursorAt(g.CreatedAt, g.ID) }

// ListAPIsPage returns a page of APIs and the next page's cursor.
func (s *Store) ListAPIsPage(ctx context.Context, page mint.Page) ([]mint.API, mint.Cursor, error) {
	var q pageQuery
	stmt, args := q.sql(selectAPI, page)
	apis, err := query(ctx, s, "apis", scanAPI, stmt, args...)
	if err != nil {
		return nil, mint.Cursor{}, err
	}
	apis, next := cutPage(apis, page.Size(), apiCursor)
	return apis, next, nil
}

// ListClientsPage returns a page of the clients q selects and the next
// page's cursor.
func (s *Store) ListClientsPage(ctx context.Context, cq mint.ClientQuery) ([]mint.Client, mint.Cursor, error) {
	if cq.Search != "" {
		return s.searchClients(ctx, cq)
	}
	var q pageQuery
	stmt, args := q.sql(selectClient, cq.Page)
	clients, err := query(ctx, s, "clients", scanClient, stmt, args...)
	if err != nil {
		return nil, mint.Cursor{}, err
	}
	clients, next := cutPage(clients, cq.Size(), clientCursor)
	return clients, next, nil
}

// searchClients reads the next mint.SearchScanLimit clients in the index's
// order and keeps those whose name or ID starts with the search (LIKE
// compares ASCII letters case-insensitively). When the page fills up
// before the window ends, the next page starts after its last client;
// else after the window's last row, which one more index read finds.
func (s *Store) searchClients(ctx context.Context, cq mint.ClientQuery) ([]mint.Client, mint.Cursor, error) {
	after, pattern := []any{millis(cq.After.CreatedAt), cq.After.ID}, mint.LikePrefix(cq.Search)
	// The window reads the clients_page index only, which holds the name.
	window := `SELECT created_at, id, name FROM clients WHERE (created_at, id) > (?, ?)
		ORDER BY created_at, id LIMIT ?`
	clients, err := query(ctx, s, "clients", scanClient,
		selectClient+` WHERE id IN (
		   SELECT id FROM (`+window+`)
		    WHERE name LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\'
		    ORDER BY created_at, id LIMIT ?)
		 ORDER BY created_at, id`,
		append(after, mint.SearchScanLimit, pattern, pattern, cq.Size()+1)...)
	if err != nil {
		return nil, mint.Cursor{}, err
	}
	if len(clients) > cq.Size() {
		clients, next := cutPage(clients, cq.Size(), clientCursor)
		return clients, next, nil
	}
	var (
		createdAt int64
		next      mint.Cursor
	)
	err = s.read.QueryRowContext(ctx,
		`SELECT created_at, id FROM clients WHERE (created_at, id) > (?, ?)
		  ORDER BY created_at, id LIMIT 1 OFFSET ?`, append(after, mint.SearchScanLimit-1)...).
		Scan(&createdAt, &next.ID)
	switch {
	case err == nil:
		next.CreatedAt = fromMillis(createdAt)
	case !errors.Is(err, sql.ErrNoRows):
		return nil, mint.Cursor{}, failed("sqlite: search clients: %w", err)
	}
	return clients, next, nil
}

// ListGrantsPage returns a page of the grants q selects and the next
// page's cursor.
func (s *Store) ListGrantsPage(ctx context.Context, gq mint.GrantQuery) ([]mint.Grant, mint.Cursor, error) {
	var q pageQuery
	if gq.ClientID != "" {
		q.and(`client_id = ?`, gq.ClientID)
	}
	if gq.Audience != "" {
		q.and(`audience = ?`, gq.Audience)
	}
	stmt, args := q.sql(selectGrant, gq.Page)
	grants, err := query(ctx, s, "grants", scanGrant, stmt, args...)
	if err != nil {
		return nil, mint.Cursor{}, err
	}
	grants, next := cutPage(grants, gq.Size(), grantCursor)
	return grants, next, nil
}
