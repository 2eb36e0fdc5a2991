-- +goose Up
-- This migration reads every structure (about 10 s for a million): not a
-- request, so not bound by the pool's statement timeout (goose runs it in
-- one transaction).
SET LOCAL statement_timeout = 0;

-- Typo tolerance through a dictionary (pg_trgm documentation, "Text Search
-- Integration"). The typo branch of a search was a word similarity of the
-- whole text against every structure's folded name and city, through a
-- trigram index on a million names: a long word's trigrams include very
-- common ones (ati, tio, ion), so the index returned tens of thousands of
-- candidates, each rechecked by computing its trigrams again (EXPLAIN on
-- the 1M set: 31,452 candidates for "apiculture", 1.3 s; docs/BENCHMARKS.md).
--
-- search_words holds the distinct words of the structures' names and
-- cities (about 40,000 for a million structures) with their lexeme under
-- essdir_fr. A search finds, through the dictionary's own trigram index,
-- the words spelled near each word of its text, and widens that word of
-- its tsquery to them (essdir_search_tsquery): the whole search is then one
-- tsquery, matched by the full-text GIN index of the structures.
CREATE TABLE search_words (
    word   text PRIMARY KEY,
    lexeme text NOT NULL
);

-- essdir_remember_words adds the words of folded names (name_key values)
-- that the dictionary lacks. A word is kept when it starts with a letter,
-- is made of letters, digits and hyphens (a hyphenated word and its parts
-- are words, as in the full text), and is not a stop word (it has a
-- lexeme: a stop word is never searched). Words are only ever added, never
-- counted nor removed: concurrent writers never wait on one another except
-- when both add the same new word, and a word whose last structure was
-- renamed or deleted only widens a misspelled query to a word that matches
-- less (TRUNCATE search_words and run this function over the live rows to
-- rebuild it).
-- +goose StatementBegin
CREATE FUNCTION essdir_remember_words(keys text[]) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO search_words (word, lexeme)
    SELECT w.word, l.lexeme
    FROM (SELECT DISTINCT unnest(tsvector_to_array(to_tsvector('simple', k))) AS word
          FROM unnest(keys) AS k) AS w,
         LATERAL (SELECT (ts_lexize('french_stem', w.word))[1] AS lexeme) AS l
    WHERE l.lexeme <> '' AND w.word ~ '^[[:alpha:]][[:alnum:]-]*$' AND length(w.word) <= 64
      AND NOT EXISTS (SELECT 1 FROM search_words s WHERE s.word = w.word)
    ON CONFLICT (word) DO NOTHING
$$;
-- +goose StatementEnd

-- A new structure's words are searchable as soon as it commits: they are
-- added in the writing transaction, whatever path writes (the API, a bulk
-- upsert, an import, plain SQL). Inserts are handled per statement, through
-- the transition table: a bulk upsert of 1,000 rows or a COPY adds its words
-- in one set-based statement. Updates are handled per row, and only for a
-- row whose name or city changed (most updates change neither).
-- +goose StatementBegin
CREATE FUNCTION structures_remember_new_words() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM essdir_remember_words(ARRAY(SELECT name_key FROM new_structures WHERE deleted_at IS NULL));
    RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION structures_remember_renamed_words() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM essdir_remember_words(ARRAY[NEW.name_key]);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER structures_search_words_insert
    AFTER INSERT ON structures REFERENCING NEW TABLE AS new_structures
    FOR EACH STATEMENT EXECUTE FUNCTION structures_remember_new_words();
CREATE TRIGGER structures_search_words_update
    AFTER UPDATE OF name, city ON structures
    FOR EACH ROW WHEN (NEW.deleted_at IS NULL AND OLD.name_key IS DISTINCT FROM NEW.name_key)
    EXECUTE FUNCTION structures_remember_renamed_words();

SELECT essdir_remember_words(array_agg(name_key)) FROM structures WHERE deleted_at IS NULL;
-- fastupdate off: with it, words added by writes (a whole generated data set
-- added after an empty migration) wait in the index's pending list, which
-- every search scans in full until a vacuum (16–24 ms per search on 12,041
-- such words, against under 1 ms); words are added rarely, one by one.
CREATE INDEX search_words_trgm_idx ON search_words USING gin (word gin_trgm_ops) WITH (fastupdate = off);

-- essdir_search_tsquery is the tsquery of a search text q: the full-text
-- query of q (websearch_to_tsquery: "phrase", or, -word; every other
-- character literal) in which each word's lexeme also accepts the lexemes
-- of the dictionary words spelled near it (trigram similarity at least
-- 0.5: "sombornon" is 0.54 from "sombernon"; the 10 nearest lexemes at
-- most, so that the query stays small). A hyphenated word is compared with
-- hyphenated words only, a plain word with plain words. Widening a negated
-- word would exclude its near spellings too, so a text with a negation
-- gets the exact query OR the widened one.
-- +goose StatementBegin
CREATE FUNCTION essdir_search_tsquery(q text) RETURNS tsquery
    LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
    SET pg_trgm.similarity_threshold = 0.5
AS $$
DECLARE
    exact   tsquery := websearch_to_tsquery('essdir_fr', q);
    widened tsquery := exact;
    tok     record;
    near    text;
BEGIN
    FOR tok IN
        SELECT w.word, l.lexeme
        FROM unnest(tsvector_to_array(to_tsvector('simple', essdir_fold(q)))) AS w(word),
             LATERAL (SELECT (ts_lexize('french_stem', w.word))[1] AS lexeme) AS l
        WHERE l.lexeme <> '' AND w.word ~ '^[[:alpha:]][[:alnum:]-]*$'
    LOOP
        SELECT string_agg(quote_literal(n.lexeme), ' | ' ORDER BY n.sim DESC, n.lexeme) INTO near
        FROM (SELECT d.lexeme, max(similarity(d.word, tok.word)) AS sim
              FROM search_words d
              WHERE d.word % tok.word AND d.lexeme <> tok.lexeme
                AND (strpos(d.word, '-') > 0) = (strpos(tok.word, '-') > 0)
              GROUP BY d.lexeme
              ORDER BY sim DESC, d.lexeme
              LIMIT 10) AS n;
        IF near IS NOT NULL THEN
            widened := ts_rewrite(widened, quote_literal(tok.lexeme)::tsquery,
                                  (quote_literal(tok.lexeme) || ' | ' || near)::tsquery);
        END IF;
    END LOOP;
    IF strpos(exact::text, '!') > 0 THEN
        RETURN exact || widened;
    END IF;
    RETURN widened;
END
$$;
-- +goose StatementEnd

-- The typo branch no longer reads structures.name_key through a trigram
-- index (name_key stays: the dictionary's words come from it, and the rank
-- of a bounded candidate set still weighs its spelling closeness).
DROP INDEX structures_name_key_trgm_idx;

-- +goose Down
SET LOCAL statement_timeout = 0; -- the index reads every structure
CREATE INDEX structures_name_key_trgm_idx ON structures USING gin (name_key gin_trgm_ops) WHERE deleted_at IS NULL;
DROP FUNCTION essdir_search_tsquery(text);
DROP TRIGGER structures_search_words_update ON structures;
DROP TRIGGER structures_search_words_insert ON structures;
DROP FUNCTION structures_remember_renamed_words();
DROP FUNCTION structures_remember_new_words();
DROP FUNCTION essdir_remember_words(text[]);
DROP TABLE search_words;
