#!/usr/bin/env bash
# The benchmark harness (BENCH.md): generate a data set, serve it, and load
# each endpoint with wrk and its SQL with pgbench -M prepared, alternating
# A B A B; write the medians and ratios to docs/BENCHMARKS.md.
#   SIZE=S|L  ROUNDS=3  DURATION=5  bench/bench.sh
# No timing is asserted: on a shared machine only ratios mean something.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-S} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5} CONNS=${CONNS:-4}
OUT=${OUT:-docs/BENCHMARKS.md}
# DB: the benchmark database (another one keeps the shared S set in place,
# e.g. DB=essdir_bench_l SIZE=L); its benchgen line is kept in $GEN.
DB=${DB:-essdir_bench}
GEN=/tmp/essdir-bench-gen.txt
[ "$DB" = essdir_bench ] || GEN=/tmp/$DB-gen.txt
DSN="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
# A free port: another server may hold any fixed one.
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
PSQL=(psql -h 127.0.0.1 -U postgres -qAt "$DB")

command -v wrk >/dev/null || { echo "bench: installing wrk"; apt-get update -qq >/dev/null && apt-get install -y wrk >/dev/null; }
go build -o bin/essdir ./cmd/essdir
go build -o bin/benchgen ./cmd/benchgen
# REUSE=1 measures the data set already loaded (its benchgen line in
# $GEN) instead of generating SIZE again.
if [ "${REUSE:-0}" = 1 ] && [ -s "$GEN" ]; then
	cat "$GEN"
else
	psql -h 127.0.0.1 -U postgres -qAt -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
		psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $DB"
	bin/benchgen --size "$SIZE" --db "$DSN" | tee "$GEN"
fi

# Helper tables for pgbench's random picks (the API's side picks the same
# values in Lua from files).
"${PSQL[@]}" <<'SQL'
DROP TABLE IF EXISTS bench_ids, bench_depts;
CREATE TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM (SELECT id FROM structures WHERE status = 'published' ORDER BY md5(id::text) LIMIT 1000) s;
CREATE TABLE bench_depts AS SELECT row_number() OVER (ORDER BY department_code) AS n, department_code FROM (SELECT DISTINCT department_code FROM structures) d;
CREATE UNIQUE INDEX ON bench_ids (n); CREATE UNIQUE INDEX ON bench_depts (n);
ANALYZE bench_ids; ANALYZE bench_depts;
SQL
tmp=$(mktemp -d)
"${PSQL[@]}" -c "SELECT id FROM bench_ids ORDER BY n" > "$tmp/ids.txt"
"${PSQL[@]}" -c "SELECT department_code FROM bench_depts ORDER BY n" > "$tmp/depts.txt"
NDEPTS=$(wc -l < "$tmp/depts.txt")

ESSDIR_DATABASE_URL="$DSN" ESSDIR_ADDR="127.0.0.1:$PORT" ESSDIR_RATE_LIMIT_ANON=0 ESSDIR_RATE_LIMIT_EXPORT=0 \
ESSDIR_DB_MAX_CONNS=$CONNS ESSDIR_LOG_LEVEL=error ESSDIR_JWT_SECRET=bench-secret-bench-secret-bench-secret \
	bin/essdir serve --no-migrate > "$tmp/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
kill -0 "$server" 2>/dev/null || { echo "bench: the server did not start:"; cat "$tmp/server.log"; exit 1; }
# Every endpoint must answer 200 before it is measured.
for path in "/v1/structures?q=solidaire" "/v1/structures?department_code=21" "/v1/structures?near=47.3,4.7&radius_km=10&sort=distance"; do
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$path")
	[ "$code" = 200 ] || { echo "bench: $path answered $code"; exit 1; }
done
BASE="http://127.0.0.1:$PORT"

# A Lua script that picks a random line of a file into the path.
pick() { # file prefix suffix
	cat > "$tmp/pick-$(basename "$1").lua" <<LUA
local lines = {}
for l in io.lines("$1") do lines[#lines + 1] = l end
math.randomseed(42)
request = function() return wrk.format("GET", "$2" .. lines[math.random(#lines)] .. "$3") end
LUA
	echo "$tmp/pick-$(basename "$1").lua"
}

# endpoint name | wrk path or lua | SQL of the same work (pgbench)
declare -a NAMES PATHS LUAS SQLS
add() { NAMES+=("$1"); PATHS+=("$2"); LUAS+=("$3"); SQLS+=("$4"); }
COLS="id, slug, name, legal_form, siret, siren, rna, summary, description, sectors, labels, street, postal_code, city, insee_code, department_code, region_code, lat, lon, website, email, phone, social_links, contacts, networks, status, source, external_id, created_at, updated_at, version, deleted_at"
SEARCH_TX() { # q
	cat <<SQL
BEGIN;
SET LOCAL pg_trgm.word_similarity_threshold = 0.5;
SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND (search_vector @@ websearch_to_tsquery('essdir_fr', '$1') OR name_key %> essdir_fold('$1')) AND deleted_at IS NULL LIMIT 1001) m;
SELECT * FROM (SELECT $COLS, ((search_vector @@ websearch_to_tsquery('essdir_fr', '$1'))::int + ts_rank_cd(search_vector, websearch_to_tsquery('essdir_fr', '$1'), 1)::float8 + word_similarity(essdir_fold('$1'), name_key)::float8 / 2) AS rank FROM structures WHERE status IN ('published') AND (search_vector @@ websearch_to_tsquery('essdir_fr', '$1') OR name_key %> essdir_fold('$1')) AND deleted_at IS NULL) structures ORDER BY name, id LIMIT 21;
COMMIT;
SQL
}
add "get by id" "" "$(pick "$tmp/ids.txt" /v1/structures/ '')" \
	"\\set i random(1, 1000)
SELECT $COLS FROM structures WHERE id = (SELECT id FROM bench_ids WHERE n = :i) AND deleted_at IS NULL LIMIT 1;"
add "list 20 by département" "" "$(pick "$tmp/depts.txt" '/v1/structures?department_code=' '')" \
	"\\set i random(1, $NDEPTS)
SELECT $COLS FROM structures WHERE status IN ('published') AND department_code IN ((SELECT department_code FROM bench_depts WHERE n = :i)) AND deleted_at IS NULL ORDER BY name, id LIMIT 21;"
add "full text, common word (solidaire)" "/v1/structures?q=solidaire" "" "$(SEARCH_TX solidaire)"
add "full text, medium word (apiculture)" "/v1/structures?q=apiculture" "" "$(SEARCH_TX apiculture)"
add "full text, rare word (méthanisation)" "/v1/structures?q=m%C3%A9thanisation" "" "$(SEARCH_TX méthanisation)"
add "radius 10 km" "/v1/structures?near=47.3,4.7&radius_km=10&sort=distance" "" \
	"SELECT * FROM (SELECT $COLS, (6371.0088 * 2 * asin(least(1, sqrt(power(sin(radians(lat - 47.3) / 2), 2) + cos(radians(47.3)) * cos(radians(lat)) * power(sin(radians(lon - 4.7) / 2), 2))))) AS distance_km FROM structures WHERE status IN ('published') AND lat BETWEEN 47.21 AND 47.39 AND lon BETWEEN 4.568 AND 4.832 AND deleted_at IS NULL) s WHERE distance_km <= 10 ORDER BY distance_km, id LIMIT 21;"

rps() { # fails when any answer is not 2xx: a 304 or 429 measures nothing
	local out; out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" "$@" 2>/dev/null)
	if grep -q 'Non-2xx' <<<"$out"; then echo "bench: non-2xx answers: $out" >&2; exit 1; fi
	awk '/Requests\/sec/ {print $2}' <<<"$out"
}
tps() { pgbench -n -M prepared -c"$CONNS" -j1 -T"$DURATION" -f "$1" -h 127.0.0.1 -U postgres "$DB" 2>/dev/null | awk '/^tps/ {print $3}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

rows=""
for i in "${!NAMES[@]}"; do
	printf '%s\n' "${SQLS[$i]}" > "$tmp/q$i.sql"
	api="" sql=""
	for _ in $(seq 1 "$ROUNDS"); do # A B A B
		if [ -n "${LUAS[$i]}" ]; then api+=" $(rps -s "${LUAS[$i]}" "$BASE")"; else api+=" $(rps "$BASE${PATHS[$i]}")"; fi
		sql+=" $(tps "$tmp/q$i.sql")"
	done
	a=$(echo "$api" | median) s=$(echo "$sql" | median)
	ratio=$(awk -v a="$a" -v s="$s" 'BEGIN { if (s > 0) printf "%.2f", a / s; else print "n/a" }')
	echo "bench: ${NAMES[$i]}: API $a rps, SQL $s tps, API/SQL $ratio"
	rows+="| ${NAMES[$i]} | $a | $s | $ratio |"$'\n'
done

# CSV export: every published structure, streamed.
start=$(date +%s.%N)
n=$(curl -sf "$BASE/v1/structures?format=csv" | wc -l)
secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
rss=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
export_line="CSV export: $((n - 1)) rows in ${secs}s ($(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", (n - 1) / s }') rows/s); server peak RSS ${rss} kB"
echo "bench: $export_line"

explain=$("${PSQL[@]}" -c "EXPLAIN SELECT id FROM structures WHERE status IN ('published') AND department_code IN ('21') AND deleted_at IS NULL ORDER BY name, id LIMIT 21")
explain_q=$("${PSQL[@]}" -c "EXPLAIN SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND (search_vector @@ websearch_to_tsquery('essdir_fr', 'apiculture') OR name_key %> essdir_fold('apiculture')) AND deleted_at IS NULL LIMIT 1001) m")

# The hand-written notes of the existing report (from "## Notes" on) are kept.
notes=$( [ -f "$OUT" ] && sed -n '/^## Notes/,$p' "$OUT" || true)
cat > "$OUT" <<MD
# Benchmarks

Generated by \`make bench\` (bench/bench.sh; method: the project's BENCH.md). Do not edit by hand.

- Data set: $SIZE — $(sed 's/^benchgen: //' "$GEN") (cmd/benchgen, seed 1,
  real communes of the embedded geography, Zipf vocabulary, loaded through COPY).
- Machine: $(nproc) cores shared with other work; PostgreSQL $(psql -h 127.0.0.1 -U postgres -qAt -c 'SHOW server_version'); $CONNS connections
  on each side (server pool ESSDIR_DB_MAX_CONNS=$CONNS, wrk -c$CONNS, pgbench -c$CONNS -M prepared).
- Each figure is the median of $ROUNDS rounds of ${DURATION}s, API and SQL alternating.
  The SQL side runs the statements the store issues (written out in bench/bench.sh).
- $(date -u +%Y-%m-%d) — figures drift on a shared machine: read the ratios.

| endpoint | API rps | SQL tps | API ÷ SQL |
|---|---|---|---|
$rows
$export_line.

Not measured by the harness (yet): the peer (pg_featureserv), p99 at 50% load (vegeta), page
10,000 vs page 1, bulk upsert vs COPY; allocations per request come from \`make bench-go\` (notes below).

## Plans

Page of a département in name order (no sort: the (department_code, name, id) index):

\`\`\`
$explain
\`\`\`

Matches of a medium word (GIN full-text and trigram indexes):

\`\`\`
$explain_q
\`\`\`
MD
[ -z "$notes" ] || printf '\n%s\n' "$notes" >> "$OUT"
echo "bench: wrote $OUT"
