-- +goose Up
-- A text inside a place: the full-text index also holds the place columns
-- (btree_gin), so that "a word in a département" is one index scan that
-- intersects the word's matches with the département's structures.
--
-- With two indexes, PostgreSQL could not intersect them: both were partial
-- on deleted_at IS NULL, and the planner counts two index paths whose
-- predicates share a clause as redundant (choose_bitmap_and), so it never
-- built a BitmapAnd of structures_search_idx and the (code, name, id)
-- btrees. "ressourcerie" in département 21 (1,290 matches of 19,782
-- structures) read the département's 18,810 heap pages and checked the
-- word on each: 0.3–0.7 s on the 1M set. Through this index it reads the
-- 1,290 matches' pages: 10–25 ms (EXPLAIN ANALYZE, docs/BENCHMARKS.md).
--
-- The index serves a text alone as the former one did (a GIN index answers
-- a condition on any of its columns), which it replaces. Built in about
-- 20–30 s on the 1M set; btree_gin is a trusted extension (PostgreSQL ≥ 13),
-- so the database owner may create it.
SET LOCAL statement_timeout = 0;
SET LOCAL maintenance_work_mem = '256MB';
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX structures_search_place_idx ON structures
    USING gin (search_vector, department_code, region_code, insee_code, legal_form)
    WHERE deleted_at IS NULL;
DROP INDEX structures_search_idx;

-- +goose Down
SET LOCAL statement_timeout = 0;
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX structures_search_idx ON structures USING gin (search_vector) WHERE deleted_at IS NULL;
DROP INDEX structures_search_place_idx;
