-- +goose Up
-- A search near a point reads the structures in its bounding box to find
-- the nearest: on a million structures a 10 km box holds about 9,000 of
-- them, spread over as many heap pages (149 ms, EXPLAIN on the L set). With
-- id and status in the location index, the nearest are found by an
-- index-only scan and only the page's rows are read from the table
-- (searchQuery, internal/store/search.go): 13 ms.
SET LOCAL statement_timeout = 0;
CREATE INDEX structures_location_cover_idx ON structures (lat, lon) INCLUDE (status, id)
    WHERE deleted_at IS NULL AND lat IS NOT NULL;
DROP INDEX structures_location_idx;

-- +goose Down
SET LOCAL statement_timeout = 0;
CREATE INDEX structures_location_idx ON structures (lat, lon) WHERE deleted_at IS NULL AND lat IS NOT NULL;
DROP INDEX structures_location_cover_idx;
