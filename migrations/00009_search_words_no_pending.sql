-- +goose Up
-- The dictionary's trigram index takes its new words at once instead of
-- in GIN's pending list: a search reads the pending list in full on every
-- lookup until a vacuum merges it, and words arrive with writes, a few at
-- a time (measured on a freshly loaded 10k set: essdir_search_tsquery 32–65
-- ms with 12,041 words pending, 0.5–8.6 ms once merged).
ALTER INDEX search_words_trgm_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('search_words_trgm_idx'::regclass);

-- +goose Down
ALTER INDEX search_words_trgm_idx RESET (fastupdate);
