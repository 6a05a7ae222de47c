package mint

import "context"

// EveryClient reads every client page by page, for callers that need the
// whole state at once (mint apply and export), which the Store's own lists
// never hand out in one answer.
func EveryClient(ctx context.Context, s Store) ([]Client, error) {
	return every(func(after Cursor) ([]Client, Cursor, error) {
		return s.ListClientsPage(ctx, ClientQuery{Page: Page{After: after, Limit: MaxPageLimit}})
	})
}

// EveryGrant reads every grant page by page; see EveryClient.
func EveryGrant(ctx context.Context, s Store) ([]Grant, error) {
	return every(func(after Cursor) ([]Grant, Cursor, error) {
		return s.ListGrantsPage(ctx, GrantQuery{Page: Page{After: after, Limit: MaxPageLimit}})
	})
}

func every[T any](page func(after Cursor) ([]T, Cursor, error)) ([]T, error) {
	var all []T
	var after Cursor
	for {
		items, next, err := page(after)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next.IsZero() {
			return all, nil
		}
		after = next
	}
}
