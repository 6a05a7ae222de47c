-- Issue 16: every admin list is paginated by a keyset cursor, (created_at,
-- id) after the last row shown, so each list needs an index in that order:
-- a page then reads its rows and stops, wherever it starts, instead of
-- sorting the whole table. Grants by audience (one API's grants, possibly
-- one per client) get theirs too; it replaces the index on audience alone,
-- which the cascade from apis also finds in the new one. A client's own
-- grants are few and read through the (client_id, audience) unique index.
-- The clients' index holds their names too: a search reads a window of it,
-- never the table.

-- +goose Up
CREATE INDEX clients_page ON clients (created_at, id, name);
CREATE INDEX apis_page ON apis (created_at, id);
CREATE INDEX grants_page ON grants (created_at, id);
CREATE INDEX grants_audience_page ON grants (audience, created_at, id);
DROP INDEX grants_audience;

-- +goose Down
CREATE INDEX grants_audience ON grants (audience);
DROP INDEX grants_audience_page;
DROP INDEX grants_page;
DROP INDEX apis_page;
DROP INDEX clients_page;
