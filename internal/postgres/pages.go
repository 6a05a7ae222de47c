package postgres

import (
	"context"
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

// listPage runs a page query and cuts the extra row off.
func listPage[T any](ctx context.Context, s *Store, what string, scan func(pgx.Row) (T, error),
	stmt string, args []any, size int) ([]T, bool, error) {
	items, err := list(ctx, s.pool, scan, stmt, args...)
	if err != nil {
		return nil, false, failed("postgres: list %s: %w", what, err)
	}
	if len(items) > size {
		return items[:size], true, nil
	}
	return items, false, nil
}

// ListAPIsPage returns a page of APIs and whether more follow it.
func (s *Store) ListAPIsPage(ctx context.Context, page mint.Page) ([]mint.API, bool, error) {
	var q pageQuery
	stmt, args := q.sql(selectAPI, page)
	return listPage(ctx, s, "apis", scanAPI, stmt, args, page.Size())
}

// ListClientsPage returns a page of the clients q selects and whether more
// follow it. A search walks the same index and filters, so a rare match
// costs a scan of the clients after the cursor, never a sort.
func (s *Store) ListClientsPage(ctx context.Context, cq mint.ClientQuery) ([]mint.Client, bool, error) {
	var q pageQuery
	if cq.Search != "" {
		// ILIKE as SQLite's LIKE: letters compared case-insensitively.
		pattern := mint.LikePrefix(cq.Search)
		q.and(`(name ILIKE $%d OR id ILIKE $%[1]d)`, pattern)
	}
	stmt, args := q.sql(selectClient, cq.Page)
	return listPage(ctx, s, "clients", scanClient, stmt, args, cq.Size())
}

// ListGrantsPage returns a page of the grants q selects and whether more
// follow it.
func (s *Store) ListGrantsPage(ctx context.Context, gq mint.GrantQuery) ([]mint.Grant, bool, error) {
	var q pageQuery
	if gq.ClientID != "" {
		q.and(`client_id = $%d`, gq.ClientID)
	}
	if gq.Audience != "" {
		q.and(`audience = $%d`, gq.Audience)
	}
	stmt, args := q.sql(selectGrant, gq.Page)
	return listPage(ctx, s, "grants", scanGrant, stmt, args, gq.Size())
}
