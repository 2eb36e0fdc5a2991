#!/usr/bin/env bash
# The benchmark harness (the project's BENCH.md): generate a data set, serve
# it, and measure each endpoint side by side, alternating in every round:
#   A  the API with wrk (maximum rate),
#   B  the same SQL with pgbench -M prepared (the reference),
#   C  the peer, pg_featureserv v1.3.1, on a copy of the same rows (get by
#      id and list by département),
# then the API's p99 at a fixed rate of 50% of the rate A just measured
# (vegeta). Medians and ratios go to docs/BENCHMARKS.md, above its hand-
# written "## Notes" section, which is kept.
#
#   SIZE=S|L  ROUNDS=3  DURATION=5  CONNS=4  bench/bench.sh
#   DB=essdir_bench_l SIZE=L REUSE=1 bench/bench.sh   # measure a loaded set
#
# Other knobs: OUT (the report), PEER=0 (no pg_featureserv: no PostGIS
# package nor build), ALLOCS=0 (no go test -bench), MIN_REQUESTS (the
# fewest requests a figure is taken over: slow endpoints run longer than
# DURATION, 30 s at most),
# ONLY (groups to measure, e.g. ONLY='get list': their figures are logged,
# no report written; groups: get list q-common q-medium q-rare q-typo radius
# pages), DEEP_ROW (the deep page follows this row; default a fifth of the set:
# 200,000 on L), TOOLS (where vegeta and pg_featureserv are installed,
# outside the repository).
#
# No timing is asserted: on a shared machine only ratios mean something.
# Every step must succeed: any failure stops the harness with a non-zero
# status and says where.
set -Eeuo pipefail
shopt -s inherit_errexit
trap 'echo "bench: FAILED (status $?) at bench/bench.sh:$LINENO: $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."

SIZE=${SIZE:-S} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5} CONNS=${CONNS:-4}
OUT=${OUT:-docs/BENCHMARKS.md}
PEER=${PEER:-1} ALLOCS=${ALLOCS:-1} MIN_REQUESTS=${MIN_REQUESTS:-200} ONLY=${ONLY:-}
TOOLS=${TOOLS:-$HOME/.cache/essdir-bench}
# DB: the benchmark database (another one keeps the shared S set in place,
# e.g. DB=essdir_bench_l SIZE=L); its benchgen line is kept in $GEN.
DB=${DB:-essdir_bench}
GEN=/tmp/essdir-bench-gen.txt
[ "$DB" = essdir_bench ] || GEN=/tmp/$DB-gen.txt
DSN="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PSQL=(psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -qAt "$DB")
VEGETA_VERSION=v12.13.0 PEER_VERSION=v1.3.1

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------- tools
for t in go psql pgbench python3 curl; do command -v "$t" >/dev/null || die "$t is missing"; done
command -v wrk >/dev/null || { log "installing wrk"; apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null; }
mkdir -p "$TOOLS/bin"
VEGETA=$(command -v vegeta || true)
if [ -z "$VEGETA" ]; then
	VEGETA=$TOOLS/bin/vegeta
	[ -x "$VEGETA" ] || { log "installing vegeta $VEGETA_VERSION in $TOOLS/bin"; GOBIN="$TOOLS/bin" go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"; }
fi
PGFS_DIR=$TOOLS/pg_featureserv-$PEER_VERSION
if [ "$PEER" = 1 ] && [ ! -x "$PGFS_DIR/pg_featureserv" ]; then
	# go install …@v1.3.1 is refused (its go.mod), but the module downloads:
	# built from a copy of it, outside this repository.
	log "building pg_featureserv $PEER_VERSION in $PGFS_DIR"
	src=$(cd "$TOOLS" && GOFLAGS='' go mod download -json "github.com/CrunchyData/pg_featureserv@$PEER_VERSION" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
	rm -rf "$PGFS_DIR.tmp" && cp -r "$src" "$PGFS_DIR.tmp" && chmod -R u+w "$PGFS_DIR.tmp"
	(cd "$PGFS_DIR.tmp" && GOFLAGS='' go build -o pg_featureserv .)
	mv "$PGFS_DIR.tmp" "$PGFS_DIR"
fi
go build -o bin/essdir ./cmd/essdir
go build -o bin/benchgen ./cmd/benchgen

# ----------------------------------------------------------------- data
# REUSE=1 measures the data set already loaded (its benchgen line in
# $GEN) instead of generating SIZE again.
if [ "${REUSE:-0}" = 1 ] && [ -s "$GEN" ]; then
	log "reusing $DB: $(cat "$GEN")"
else
	psql -X -h 127.0.0.1 -U postgres -qAt -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
		psql -X -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $DB"
	bin/benchgen --size "$SIZE" --db "$DSN" > "$GEN.new"
	mv "$GEN.new" "$GEN"
	cat "$GEN"
fi
[ "$("${PSQL[@]}" -c "SELECT count(*) > 0 FROM structures WHERE status = 'published'")" = t ] || die "$DB holds no published structure"

tmp=$(mktemp -d)
pids=()
cleanup() { # the servers are stopped, and gone, before the harness exits
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Helper tables: the values the loads pick from (the API's side reads them
# from files in Lua, the SQL side from literal arrays indexed by a random
# :i, so that its statement is the API's with the value bound).
"${PSQL[@]}" <<'SQL'
DROP TABLE IF EXISTS bench_ids, bench_depts;
CREATE TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM (SELECT id FROM structures WHERE status = 'published' AND deleted_at IS NULL ORDER BY md5(id::text) LIMIT 1000) s;
CREATE TABLE bench_depts AS SELECT row_number() OVER (ORDER BY department_code) AS n, department_code FROM (SELECT DISTINCT department_code FROM structures WHERE status = 'published' AND deleted_at IS NULL AND department_code IS NOT NULL) d;
CREATE UNIQUE INDEX ON bench_ids (n); CREATE UNIQUE INDEX ON bench_depts (n);
ANALYZE bench_ids; ANALYZE bench_depts;
SQL
"${PSQL[@]}" -c "SELECT id FROM bench_ids ORDER BY n" > "$tmp/ids.txt"
"${PSQL[@]}" -c "SELECT department_code FROM bench_depts ORDER BY n" > "$tmp/depts.txt"
NIDS=$(wc -l < "$tmp/ids.txt") NDEPTS=$(wc -l < "$tmp/depts.txt")
IDS_ARRAY="'{$(paste -sd, "$tmp/ids.txt")}'::uuid[]"
DEPTS_ARRAY="'{$(paste -sd, "$tmp/depts.txt")}'::text[]"
NSTRUCT=$("${PSQL[@]}" -c "SELECT count(*) FROM structures")
NPUB=$("${PSQL[@]}" -c "SELECT count(*) FROM structures WHERE status = 'published' AND deleted_at IS NULL")
DEEP_ROW=${DEEP_ROW:-$((NSTRUCT / 5))}
[ "$DEEP_ROW" -ge 1 ] && [ "$DEEP_ROW" -lt "$NPUB" ] || die "DEEP_ROW=$DEEP_ROW is not within the $NPUB published structures"

# The peer's copy of the published rows: the columns an anonymous reader
# gets, and a geometry(Point,4326). Rebuilt when the data set changed (its
# benchgen line is the table's comment).
PEER_TABLE=bench_peer_structures
if [ "$PEER" = 1 ]; then
	if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")" = 0 ]; then
		major=$(( $("${PSQL[@]}" -c "SHOW server_version_num") / 10000 ))
		log "installing postgresql-$major-postgis-3 (PEER=0 skips the peer)"
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$major-postgis-3" >/dev/null
	fi
	mark="$(cat "$GEN") / $NPUB published"
	if [ "$("${PSQL[@]}" -c "SELECT coalesce(obj_description(to_regclass('$PEER_TABLE'), 'pg_class'), '')")" != "$mark" ]; then
		log "copying the published structures to $PEER_TABLE for the peer"
		"${PSQL[@]}" <<SQL
CREATE EXTENSION IF NOT EXISTS postgis;
DROP TABLE IF EXISTS $PEER_TABLE;
CREATE TABLE $PEER_TABLE AS SELECT id, slug, name, legal_form, siret, siren, rna, summary, description,
	sectors, labels, street, postal_code, city, insee_code, department_code, region_code, website, email,
	phone, social_links, networks, status, source, external_id, created_at, updated_at, version,
	ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom
	FROM structures WHERE status = 'published' AND deleted_at IS NULL;
ALTER TABLE $PEER_TABLE ADD PRIMARY KEY (id);
CREATE INDEX ON $PEER_TABLE (department_code);
VACUUM ANALYZE $PEER_TABLE;
COMMENT ON TABLE $PEER_TABLE IS \$mark\$$mark\$mark\$;
SQL
	fi
fi

# --------------------------------------------------------------- servers
PORT=${PORT:-$(freeport)}
BASE="http://127.0.0.1:$PORT"
# Rate limits and the per-address connection cap are off: the load comes
# from one address, as it would through a proxy.
ESSDIR_DATABASE_URL="$DSN" ESSDIR_ADDR="127.0.0.1:$PORT" ESSDIR_RATE_LIMIT_ANON=0 ESSDIR_RATE_LIMIT_EXPORT=0 \
ESSDIR_MAX_CONNS_PER_IP=0 ESSDIR_DB_MAX_CONNS=$CONNS ESSDIR_LOG_LEVEL=error ESSDIR_DRAIN_DELAY=0s \
ESSDIR_JWT_SECRET=bench-secret-bench-secret-bench-secret \
	bin/essdir serve --no-migrate > "$tmp/server.log" 2>&1 &
server=$!
pids+=("$server")
waitfor() { # url pid log
	for _ in $(seq 1 100); do
		curl -sf -o /dev/null "$1" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.2
	done
	log "the server of $1 did not start:"; cat "$3" >&2; return 1
}
waitfor "$BASE/readyz" "$server" "$tmp/server.log"

if [ "$PEER" = 1 ]; then
	PEER_PORT=$(freeport)
	PEER_BASE="http://127.0.0.1:$PEER_PORT"
	PEER_COLL="$PEER_BASE/collections/public.$PEER_TABLE"
	# Pool size as essdir's; no request logging on either side (essdir at
	# error, pg_featureserv at its default level, which logs no request).
	cat > "$tmp/peer.toml" <<TOML
[Server]
HttpHost = "127.0.0.1"
HttpPort = $PEER_PORT
AssetsPath = "$PGFS_DIR/assets"
[Database]
DbPoolMaxConns = $CONNS
TableIncludes = [ "public.$PEER_TABLE" ]
[Paging]
LimitDefault = 20
LimitMax = 100
TOML
	DATABASE_URL="$DSN" "$PGFS_DIR/pg_featureserv" --config "$tmp/peer.toml" > "$tmp/peer.log" 2>&1 &
	peer=$!
	pids+=("$peer")
	waitfor "$PEER_COLL/items.json?limit=1" "$peer" "$tmp/peer.log"
fi

# ------------------------------------------------------------ measuring
# How long to run at rate r for MIN_REQUESTS requests: DURATION at least,
# 30 s at most.
secs_for() { awk -v r="$1" -v d="$DURATION" -v n="$MIN_REQUESTS" 'BEGIN {s = (r > 0 ? n / r : 30); s = (s < d ? d : s); s = (s > 30 ? 30 : s); printf "%d", s + 0.999}'; }
# wrk: "rps requests"; any non-2xx answer (a 304, a 429, an error) or a
# request unanswered after 10 s fails (wrk's own 2 s timeout counts a slow
# answer on a busy box as an error: the latency is what p99 measures).
wrk_run() { # seconds url [lua]
	local out args=(-t1 -c"$CONNS" -d"${1}s" --timeout 10s)
	shift
	[ -z "${2:-}" ] || args+=(-s "$2")
	out=$(wrk "${args[@]}" "$1" 2>&1)
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then log "wrk $1: $out"; return 1; fi
	awk '/Requests\/sec/ {r = $2} / requests in / {n = $1} END {if (r == "" || n == "") exit 1; print r, n}' <<<"$out"
}
# pgbench: tps; an aborted client or a failed transaction fails.
tps() { # seconds script defs-file
	local defs=() out
	mapfile -t defs < "$3"
	local mode=prepared
	[ ! -f "$2.mode" ] || mode=$(cat "$2.mode")
	out=$(pgbench -n -M "$mode" -c"$CONNS" -j1 -T"$1" "${defs[@]}" -f "$2" -h 127.0.0.1 -U postgres "$DB" 2>&1) ||
		{ log "pgbench $2: $out"; return 1; }
	if grep -q '^number of failed transactions: [1-9]' <<<"$out"; then log "pgbench $2: $out"; return 1; fi
	awk '/^tps/ {print $3; f = 1} END {exit !f}' <<<"$out"
}
# vegeta at a fixed rate: "p99_ms requests rate throughput"; every answer
# must be a 2xx. Its workers are not capped (a slow answer does not delay
# the next request: the latency includes any queueing), its connections
# are (256, under the server's ESSDIR_MAX_CONNS): when the box cannot hold
# the rate, requests queue in the client and the p99 shows it.
p99() { # targets rate
	local rate secs out
	rate=$(awk -v r="$2" 'BEGIN {r = int(r + 0.5); print (r < 1 ? 1 : r)}')
	secs=$(secs_for "$rate")
	out=$("$VEGETA" attack -rate="$rate/1s" -duration="${secs}s" -targets="$1" -keepalive=true -max-connections=256 | "$VEGETA" report -type=json)
	python3 - "$out" "$rate" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
bad = {k: v for k, v in (r.get("status_codes") or {}).items() if not k.startswith("2")}
if bad or r["success"] < 1:
    sys.exit(f"bench: vegeta: non-2xx answers {bad}, first errors: {(r.get('errors') or [])[:3]}")
print(f'{r["latencies"]["99th"] / 1e6:.2f} {r["requests"]} {sys.argv[2]} {r["throughput"]:.0f}')
PY
}
ratios() { # "a1 a2 …" "b1 b2 …": the median of the rounds' ratios a/b
	awk -v a="$1" -v b="$2" 'BEGIN {n = split(a, x, " "); split(b, y, " "); for (k = 1; k <= n; k++) if (y[k] > 0) printf "%f ", x[k] / y[k]}' | median |
		awk '{printf "%.2f", $1}'
}
mallocs() { curl -sf "$BASE/metrics" | awk '/^go_memstats_mallocs_total / {printf "%.0f\n", $2; f = 1} END {exit !f}'; }
med() { echo "$1" | median; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR] = $1} END {if (NR == 0) exit 1; if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# The allocations of one scrape of /metrics, taken off each measurement.
m1=$(mallocs) m2=$(mallocs) m3=$(mallocs)
SCRAPE=$( (echo "$((m2 - m1)) $((m3 - m2))") | median)

# A Lua script that picks a random line of a file into the path (wrk), and
# the same values, shuffled, as vegeta targets.
pick() { # file prefix suffix name base-url
	cat > "$tmp/$4.lua" <<LUA
-- Every request is formatted once, before the clock runs (what wrk's own
-- documentation advises): wrk shares the cores with the server, and a
-- request formatted at each call costs the load tool, not the API, time.
local requests = {}
function init(args)
	for l in io.lines("$1") do requests[#requests + 1] = wrk.format("GET", "$2" .. l .. "$3") end
	math.randomseed(42)
end
request = function() return requests[math.random(#requests)] end
LUA
	python3 - "$1" "$5$2" "$3" > "$tmp/$4.targets" <<'PY'
import random, sys
lines = open(sys.argv[1]).read().split()
random.Random(42).shuffle(lines)
for l in lines:
    print(f"GET {sys.argv[2]}{l}{sys.argv[3]}")
PY
}

# ------------------------------------------------------------ endpoints
# Each endpoint: the API's request (a URL, or a base URL and a Lua script,
# with vegeta targets of the same values), the pgbench script of the SQL
# the store issues for it (written out below, captured with
# log_min_duration_statement=0), its -D variables, and optionally the
# peer's request. Endpoints of one group alternate with each other too.
declare -a E_NAME E_GROUP E_URL E_LUA E_TARGETS E_SQL E_DEFS E_PEER_URL E_PEER_LUA
ne=0
add() { # name group url lua targets sql-file defs-file peer-url peer-lua
	E_NAME[ne]=$1 E_GROUP[ne]=$2 E_URL[ne]=$3 E_LUA[ne]=$4 E_TARGETS[ne]=$5 E_SQL[ne]=$6 E_DEFS[ne]=$7
	E_PEER_URL[ne]=${8:-} E_PEER_LUA[ne]=${9:-}
	ne=$((ne + 1))
}
target1() { echo "GET $1" > "$tmp/$2.targets"; echo "$tmp/$2.targets"; }

# The SQL side must be the API's statement: for one value, the statement
# (its pgbench variables written in as literals) returns the ids the API
# answers, in the same order. A mismatch means bench.sh no longer runs
# what the store issues: update the statement here.
check() { # name api-path sql defs-file [i]
	curl -sf -o "$tmp/check.json" "$BASE$2" || die "$1: $2 did not answer 200"
	python3 - "$3" "$4" "${5:-}" > "$tmp/check.sql" <<'PY'
import re, sys
sql, defs, i = sys.argv[1:]
vals = {}
lines = open(defs).read().split("\n")
for k in range(0, len(lines) - 1, 2):  # -D then name=value
    n, v = lines[k + 1].split("=", 1)
    vals[n] = "'" + v.replace("'", "''") + "'"
if i:
    vals["i"] = i
sql = "\n".join(l for l in sql.split("\n") if not l.startswith("\\set") and l.strip() not in ("BEGIN;", "COMMIT;"))
sql = sql.replace("SET LOCAL", "SET")
print(re.sub(r"(?<!:):([a-z_]+)\b", lambda m: vals[m.group(1)], sql))
PY
	"${PSQL[@]}" -F $'\t' -f "$tmp/check.sql" | awk -F '\t' 'NF > 1 {print $1}' > "$tmp/check.ids"
	python3 - "$1" "$tmp/check.json" "$tmp/check.ids" <<'PY'
import json, sys
name, api, ids = sys.argv[1], json.load(open(sys.argv[2])), open(sys.argv[3]).read().split()
got = [d["id"] for d in api["data"]] if "data" in api else [api["id"]]
if got != ids[:len(got)] or (len(got) < len(ids) and "data" in api and not api["meta"].get("next_cursor")):
    sys.exit(f"bench: {name}: the SQL side's rows are not the API's:\n API {got[:5]}…\n SQL {ids[:5]}…")
PY
}
defs() { # name var=value…: a pgbench -D file
	local f=$tmp/$1.defs
	: > "$f"
	shift
	for d in "$@"; do printf -- '-D\n%s\n' "$d" >> "$f"; done
	echo "$f"
}

COLS="structures.id, structures.slug, structures.name, structures.legal_form,
	structures.siret, structures.siren, structures.rna, structures.summary, structures.description,
	structures.sectors, structures.labels, structures.street, structures.postal_code, structures.city,
	structures.insee_code, structures.department_code, structures.region_code, structures.lat,
	structures.lon, structures.website, structures.email, structures.phone, structures.social_links,
	structures.contacts, structures.networks, structures.status, structures.source,
	structures.external_id, structures.created_at, structures.updated_at, structures.version,
	structures.deleted_at"

# get by id
pick "$tmp/ids.txt" /v1/structures/ '' ids "$BASE"
cat > "$tmp/get.sql" <<SQL
\\set i random(1, $NIDS)
SELECT $COLS FROM structures WHERE structures.id = ($IDS_ARRAY)[:i] AND structures.deleted_at IS NULL LIMIT 1;
SQL
nodefs=$(defs none)
check "get by id" "/v1/structures/$(sed -n 7p "$tmp/ids.txt")" "$(cat "$tmp/get.sql")" "$nodefs" 7
peer_url="" peer_lua=""
if [ "$PEER" = 1 ]; then
	pick "$tmp/ids.txt" "/collections/public.$PEER_TABLE/items/" .json peer-ids "$PEER_BASE"
	peer_url=$PEER_BASE peer_lua=$tmp/peer-ids.lua
	id=$(sed -n 7p "$tmp/ids.txt")
	[ "$(curl -sf "$PEER_COLL/items/$id.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')" = "$id" ] ||
		die "the peer does not answer structure $id"
fi
add "get by id" get "$BASE" "$tmp/ids.lua" "$tmp/ids.targets" "$tmp/get.sql" "$nodefs" "$peer_url" "$peer_lua"

# list 20 by département (name order; the (department_code, name, id) index)
pick "$tmp/depts.txt" '/v1/structures?department_code=' '' depts "$BASE"
cat > "$tmp/list.sql" <<SQL
\\set i random(1, $NDEPTS)
SELECT $COLS FROM structures WHERE structures.deleted_at IS NULL AND status IN ('published') AND department_code IN (($DEPTS_ARRAY)[:i]) ORDER BY name, id LIMIT 21;
SQL
page20=$(defs page20 status=published limit=21)
n21=$(grep -nx 21 "$tmp/depts.txt" | cut -d: -f1 || true)
n21=${n21:-1}
check "list 20 by département" "/v1/structures?department_code=$(sed -n "${n21}p" "$tmp/depts.txt")" "$(cat "$tmp/list.sql")" "$page20" "$n21"
peer_url="" peer_lua=""
if [ "$PEER" = 1 ]; then
	pick "$tmp/depts.txt" "/collections/public.$PEER_TABLE/items.json?department_code=" '&limit=20' peer-depts "$PEER_BASE"
	peer_url=$PEER_BASE peer_lua=$tmp/peer-depts.lua
	n=$(curl -sf "$PEER_COLL/items.json?department_code=$(sed -n "${n21}p" "$tmp/depts.txt")&limit=20" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["features"]))')
	[ "$n" -gt 0 ] || die "the peer lists no structure of a département"
fi
add "list 20 by département" list "$BASE" "$tmp/depts.lua" "$tmp/depts.targets" "$tmp/list.sql" "$page20" "$peer_url" "$peer_lua"

# q (internal/store/search.go): the text becomes one tsquery (the words
# spelled near each word, from the search_words dictionary); PostgreSQL's
# estimate of its matches (EXPLAIN; not for a phrase, whose estimate is not
# trusted) says whether it is too common to rank (10,000 or more: UNCOUNTED),
# else the matches are counted up to 1,001; then a page is read ranked (at
# most 1,000 matches) or in the shuffle order (more; a hash of the id): a
# walk of the shuffle index's first WALK rows, and, when that does not fill
# the page, the matches sorted; an estimate of at most SORTED matches sorts
# them without the walk. The store plans these statements with their values
# (custom plans: pgbench -M extended, as the .mode file says); only the
# statements the store runs for this word on this data set are in the
# script.
WALK=4000 SORTED=4000 UNCOUNTED=10000
RANK="((structures.search_vector @@ websearch_to_tsquery('essdir_fr', :q))::int
	+ ts_rank_cd(structures.search_vector, :tsq::tsquery, 1)::float8
	+ word_similarity(essdir_fold(:q), structures.name_key)::float8 / 2)"
search() { # name group word url-encoded-word
	local f=$tmp/$2.sql d n tsq page walked est=-1 counted=1 explain count
	tsq=$("${PSQL[@]}" -c "SELECT essdir_search_tsquery(\$q\$$3\$q\$)::text")
	d=$(defs "$2" "q=$3" "tsq=$tsq" cap=1001 limit=21 walk=$WALK)
	explain='EXPLAIN (FORMAT JSON) SELECT 1 FROM "structures" WHERE status IN ('"'published'"') AND structures.search_vector @@ :tsq::tsquery AND structures.deleted_at IS NULL;'
	count="SELECT count(*) FROM (SELECT 1 FROM \"structures\" WHERE status IN ('published') AND structures.search_vector @@ :tsq::tsquery AND structures.deleted_at IS NULL LIMIT :cap) AS matches;"
	if [[ $tsq != *"<"* ]]; then
		est=$("${PSQL[@]}" -c "EXPLAIN (FORMAT JSON) SELECT 1 FROM structures WHERE status IN ('published') AND structures.search_vector @@ \$t\$$tsq\$t\$::tsquery AND structures.deleted_at IS NULL" | python3 -c 'import json, sys; print(int(json.load(sys.stdin)[0]["Plan"]["Plan Rows"]))')
		[ "$est" -lt "$UNCOUNTED" ] || counted=0
	fi
	if [ "$counted" = 1 ]; then
		n=$("${PSQL[@]}" -c "SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND structures.search_vector @@ \$t\$$tsq\$t\$::tsquery AND structures.deleted_at IS NULL LIMIT 1001) m")
	else
		n=1001
	fi
	if [ "$n" -gt 1000 ]; then
		page='SELECT '"$COLS"', structures.shuffle FROM (SELECT * FROM (SELECT '"$COLS"', uuid_hash(structures.id) AS shuffle, structures.search_vector FROM "structures" WHERE status IN ('"'published'"') AND structures.deleted_at IS NULL) AS structures ORDER BY shuffle, id LIMIT :walk) AS structures WHERE structures.search_vector @@ :tsq::tsquery AND "structures"."deleted_at" IS NULL ORDER BY shuffle, id LIMIT :limit;'
		sorted='SELECT * FROM (SELECT * FROM (SELECT '"$COLS"', uuid_hash(structures.id) AS shuffle FROM "structures" WHERE status IN ('"'published'"') AND structures.search_vector @@ :tsq::tsquery AND structures.deleted_at IS NULL) AS structures OFFSET 0) AS structures WHERE "structures"."deleted_at" IS NULL ORDER BY shuffle, id LIMIT :limit;'
		walked=$("${PSQL[@]}" -c "SELECT count(*) FROM (SELECT structures.search_vector FROM structures WHERE status IN ('published') AND deleted_at IS NULL ORDER BY uuid_hash(id), id LIMIT $WALK) s WHERE search_vector @@ \$t\$$tsq\$t\$::tsquery")
		local how="$n+ matches"
		[ "$counted" = 1 ] || how="estimated $est, not counted"
		if [ "$est" -ge 0 ] && [ "$est" -le "$SORTED" ]; then # few expected: sorted without a walk
			page=$sorted
			SEARCH_ORDER[$2]="shuffle order ($how; sorted, no walk)"
		elif [ "$walked" -le 20 ]; then # the walk does not fill the page: the sorted matches follow
			printf '%s\n' "$page" > "$tmp/$2-walk.sql"
			page=$sorted
			SEARCH_ORDER[$2]="shuffle order ($how; $walked in the first $WALK of the shuffle, then sorted)"
		else
			SEARCH_ORDER[$2]="shuffle order ($how; a walk of the shuffle index)"
		fi
	else
		page='SELECT * FROM (SELECT '"$COLS, $RANK"' AS rank FROM "structures" WHERE status IN ('"'published'"') AND structures.search_vector @@ :tsq::tsquery AND structures.deleted_at IS NULL) AS structures WHERE "structures"."deleted_at" IS NULL ORDER BY rank DESC, id DESC LIMIT :limit;'
		SEARCH_ORDER[$2]="ranked ($n matches)"
	fi
	{
		echo "SELECT essdir_search_tsquery(:q)::text;"
		[ "$est" -lt 0 ] || echo "$explain"
		[ "$counted" = 0 ] || echo "$count"
		[ ! -f "$tmp/$2-walk.sql" ] || cat "$tmp/$2-walk.sql"
		printf '%s\n' "$page"
	} > "$f"
	echo extended > "$f.mode"
	printf '%s\n' "$page" > "$tmp/$2-page.sql"
	check "$1" "/v1/structures?q=$4" "$page" "$d"
	add "$1" "$2" "$BASE/v1/structures?q=$4" "" "$(target1 "$BASE/v1/structures?q=$4" "$2")" "$f" "$d"
}
declare -A SEARCH_ORDER
search "full text, most common word (solidaire)" q-common solidaire solidaire
search "full text, medium word (apiculture)" q-medium apiculture apiculture
search "full text, rare word (méthanisation)" q-rare méthanisation m%C3%A9thanisation
search "trigram name search (Sombornon, a typo)" q-typo Sombornon Sombornon
search "full text, a word that begins names (ressourcerie)" q-names ressourcerie ressourcerie

# radius 10 km, top 50, nearest first: a bounding box on the (lat, lon)
# index, then the haversine distance (the box computed as the store does).
# The store reads a page from the nearest ring that holds it (nearestPage in
# internal/store/search.go): an eighth of the radius first, then as wide as
# the last ring's density says (at least twice), the whole radius after an
# empty ring or last. The rings it reads here are found the same way (on L
# the first holds the page: 154 structures within 1.25 km of the point);
# the script runs each ring's statement, and the last one's rows are the
# page.
LAT=47.3 LON=4.7
python3 - "$DB" "$LAT" "$LON" > "$tmp/rings.txt" <<'PY'
import math, subprocess, sys
db, lat, lon = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
R, E, page = 10.0, 6371.0088, 51  # radius_km, the store's Earth radius, limit + 1
def box(r):
    d = r / E * 180 / math.pi
    dlon = math.asin(min(1, math.sin(r / E) / math.cos(lat * math.pi / 180))) * 180 / math.pi
    return lat - d, lat + d, lon - dlon, lon + dlon
def within(r):  # structures within r km, at most a page
    a, b, c, e = box(r)
    sql = (f"SELECT count(*) FROM (SELECT 1 FROM structures WHERE status = 'published' AND deleted_at IS NULL"
           f" AND lat BETWEEN {a!r} AND {b!r} AND lon BETWEEN {c!r} AND {e!r} AND 6371.0088 * 2 * asin(least(1, sqrt("
           f"power(sin(radians(lat - {lat!r}) / 2), 2) + cos(radians({lat!r})) * cos(radians(lat))"
           f" * power(sin(radians(lon - {lon!r}) / 2), 2)))) <= {r!r} LIMIT {page}) s")
    return int(subprocess.check_output(["psql", "-X", "-h", "127.0.0.1", "-U", "postgres", "-qAt", db, "-c", sql]))
rings, frm, outer = [], 0.0, R / 8
while outer < R:
    rings.append(outer)
    k = within(outer)
    if k >= page:
        break
    nxt = frm + 2 * (outer - frm)
    if k == 0:
        nxt = R
    else:
        nxt = max(nxt, math.sqrt(frm * frm + (outer * outer - frm * frm) * (1.5 * page / k)))
    outer = nxt
else:
    rings.append(R)
for r in rings:
    print(repr(r), *map(repr, box(r)))
PY
DIST="(6371.0088 * 2 * asin(least(1, sqrt(
	power(sin(radians(structures.lat - :lat) / 2), 2)
	+ cos(radians(:lat)) * cos(radians(structures.lat)) * power(sin(radians(structures.lon - :lon) / 2), 2)))))"
radius_defs=("lat=$LAT" "lon=$LON" limit=51)
: > "$tmp/radius.sql"
n=0
while read -r R_ MINLAT MAXLAT MINLON MAXLON; do
	x=$(printf "\\x$(printf %x $((97 + n)))") n=$((n + 1)) # the ring's letter: minlat_a, r_a…
	radius_defs+=("minlat_$x=$MINLAT" "maxlat_$x=$MAXLAT" "minlon_$x=$MINLON" "maxlon_$x=$MAXLON" "r_$x=$R_")
	cat > "$tmp/radius-page.sql" <<SQL
SELECT * FROM (SELECT $COLS, near.distance_km FROM (SELECT structures.id AS near_id, $DIST AS distance_km FROM "structures" WHERE status IN ('published') AND (structures.lat BETWEEN :minlat_$x AND :maxlat_$x) AND (structures.lon BETWEEN :minlon_$x AND :maxlon_$x) AND $DIST <= :r_$x AND structures.deleted_at IS NULL) AS near JOIN structures ON structures.id = near.near_id) AS structures WHERE "structures"."deleted_at" IS NULL ORDER BY distance_km, id LIMIT :limit;
SQL
	cat "$tmp/radius-page.sql" >> "$tmp/radius.sql"
done < "$tmp/rings.txt"
log "radius: the store reads $n ring(s) here: $(cut -d' ' -f1 "$tmp/rings.txt" | paste -sd' ') km"
echo extended > "$tmp/radius.sql.mode" # planned with its values, as the store does (a box's size decides the plan)
d=$(defs radius "${radius_defs[@]}")
RADIUS_PATH="/v1/structures?near=$LAT,$LON&radius_km=10&sort=distance&limit=50"
check "radius 10 km, top 50" "$RADIUS_PATH" "$(cat "$tmp/radius-page.sql")" "$d"
add "radius 10 km, top 50" radius "$BASE$RADIUS_PATH" "" "$(target1 "$BASE$RADIUS_PATH" radius)" "$tmp/radius.sql" "$d"

# Page 1 and the page after row DEEP_ROW (page DEEP_ROW/20 + 1) in name
# order, alternating. The deep cursor is built, not followed (that would
# take DEEP_ROW/20 requests): the row's (name, id) is looked up in SQL and
# put in place of the keys of page 1's next_cursor.
cat > "$tmp/page1.sql" <<SQL
SELECT $COLS FROM structures WHERE structures.deleted_at IS NULL AND status IN ('published') ORDER BY name, id LIMIT 21;
SQL
cat > "$tmp/deep.sql" <<SQL
SELECT $COLS FROM structures WHERE structures.deleted_at IS NULL AND status IN ('published') AND (name, id) > (SELECT :kname::text, :kid::uuid) ORDER BY name, id LIMIT 21;
SQL
row=$("${PSQL[@]}" -F $'\t' -c "SELECT name, id FROM structures WHERE status = 'published' AND deleted_at IS NULL ORDER BY name, id OFFSET $((DEEP_ROW - 1)) LIMIT 1")
DEEP_NAME=${row%$'\t'*} DEEP_ID=${row#*$'\t'}
cursor=$(curl -sf "$BASE/v1/structures" | DEEP_NAME="$DEEP_NAME" DEEP_ID="$DEEP_ID" python3 -c '
import base64, json, os, sys
nc = json.load(sys.stdin)["meta"]["next_cursor"]
c = json.loads(base64.urlsafe_b64decode(nc + "=" * (-len(nc) % 4)))
assert len(c["k"]) == 2, c
c["k"] = [os.environ["DEEP_NAME"], os.environ["DEEP_ID"]]
print(base64.urlsafe_b64encode(json.dumps(c, ensure_ascii=False, separators=(",", ":")).encode()).decode().rstrip("="))')
DEEP_PATH="/v1/structures?cursor=$cursor"
# The deep page starts at row DEEP_ROW + 1.
want=$("${PSQL[@]}" -c "SELECT id FROM structures WHERE status = 'published' AND deleted_at IS NULL ORDER BY name, id OFFSET $DEEP_ROW LIMIT 1")
got=$(curl -sf "$BASE$DEEP_PATH" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["id"])')
[ "$got" = "$want" ] || die "the deep page starts at $got, row $((DEEP_ROW + 1)) is $want"
check "page 1" /v1/structures "$(cat "$tmp/page1.sql")" "$page20"
d=$(defs deep "kname=$DEEP_NAME" "kid=$DEEP_ID" status=published limit=21)
check "deep page" "$DEEP_PATH" "$(cat "$tmp/deep.sql")" "$d"
PAGE_DEEP=$((DEEP_ROW / 20 + 1))
add "page 1 (name order)" pages "$BASE/v1/structures" "" "$(target1 "$BASE/v1/structures" page1)" "$tmp/page1.sql" "$page20"
add "page $PAGE_DEEP (after row $DEEP_ROW)" pages "$BASE$DEEP_PATH" "" "$(target1 "$BASE$DEEP_PATH" deep)" "$tmp/deep.sql" "$d"

# ----------------------------------------------------------------- runs
declare -a R_API R_SQL R_PEER R_P99 R_P99N R_ALLOC R_HELD E_SECS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
groups=$(printf '%s\n' "${E_GROUP[@]}" | awk '!seen[$0]++')
for g in $groups; do
	[ -z "$ONLY" ] || [[ " $ONLY " == *" $g "* ]] || continue
	members=()
	for i in $(seq 0 $((ne - 1))); do [ "${E_GROUP[i]}" = "$g" ] && members+=("$i"); done
	# Warm-up (caches, prepared statements), which also gives the rate
	# that sets how long this endpoint's runs last.
	for i in "${members[@]}"; do
		read -r a _ < <(wrk_run "$(( DURATION < 2 ? DURATION : 2 ))" "${E_URL[i]}" "${E_LUA[i]}")
		[ -z "${E_PEER_URL[i]}" ] || wrk_run 1 "${E_PEER_URL[i]}" "${E_PEER_LUA[i]}" >/dev/null
		E_SECS[i]=$(secs_for "$a")
	done
	for r in $(seq 1 "$ROUNDS"); do
		declare -A max=()
		for i in "${members[@]}"; do # A B C
			before=$(mallocs)
			read -r a n < <(wrk_run "${E_SECS[i]}" "${E_URL[i]}" "${E_LUA[i]}")
			after=$(mallocs)
			R_API[i]+=" $a" max[$i]=$a
			R_ALLOC[i]+=" $(awk -v d="$((after - before))" -v s="$SCRAPE" -v n="$n" 'BEGIN {printf "%.0f", (d - s) / n}')"
			R_SQL[i]+=" $(tps "${E_SECS[i]}" "${E_SQL[i]}" "${E_DEFS[i]}")"
			if [ -n "${E_PEER_URL[i]}" ]; then
				read -r p _ < <(wrk_run "${E_SECS[i]}" "${E_PEER_URL[i]}" "${E_PEER_LUA[i]}")
				R_PEER[i]+=" $p"
			fi
		done
		for i in "${members[@]}"; do # p99 at half the rate just measured
			read -r l n rate thr < <(p99 "${E_TARGETS[i]}" "$(awk -v m="${max[$i]}" 'BEGIN {print m / 2}')")
			R_P99[i]+=" $l" R_P99N[i]+=" $n@${rate}rps"
			# Answered below 90% of the rate: the box did not hold it.
			if awk -v t="$thr" -v r="$rate" 'BEGIN {exit !(t < 0.9 * r)}'; then R_P99N[i]+="(answered ${thr}/s)"; R_HELD[i]=no; fi
		done
		for i in "${members[@]}"; do
			log "${E_NAME[i]}, round $r/$ROUNDS: API$(echo "${R_API[i]}" | awk '{print " " $NF}') rps, SQL$(echo "${R_SQL[i]}" | awk '{print " " $NF}') tps$( [ -z "${E_PEER_URL[i]}" ] || echo ", peer$(echo "${R_PEER[i]}" | awk '{print " " $NF}') rps"), p99$(echo "${R_P99[i]}" | awk '{print " " $NF}') ms"
		done
		unset max
	done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "$ONLY" ]; then # a quick look at some groups: no report
	for i in $(seq 0 $((ne - 1))); do
		[ -n "${R_API[i]:-}" ] || continue
		log "${E_NAME[i]}: API $(med "${R_API[i]}") rps, SQL $(med "${R_SQL[i]}") tps, API ÷ SQL $(ratios "${R_API[i]}" "${R_SQL[i]}")$( [ -z "${E_PEER_URL[i]}" ] || echo ", API ÷ peer $(ratios "${R_API[i]}" "${R_PEER[i]}")"), p99 $(med "${R_P99[i]}") ms, allocs $(med "${R_ALLOC[i]}")"
	done
	log "load average $LOAD_START at the start, $LOAD_END at the end"
	exit 0
fi

# CSV export: every published structure, streamed; the server's peak RSS
# (VmHWM, reset before each export when the kernel allows it).
exp_rate="" exp_rss="" exp_rows="" rss_note="since the server started"
for _ in $(seq 1 "$ROUNDS"); do
	if echo 5 2>/dev/null > "/proc/$server/clear_refs"; then rss_note="during the export"; fi
	start=$(date +%s.%N)
	n=$(curl -sf "$BASE/v1/structures?format=csv" | wc -l)
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
	exp_rows=$((n - 1))
	[ "$exp_rows" = "$NPUB" ] || die "the CSV export has $exp_rows rows, $NPUB structures are published"
	exp_rate+=" $(awk -v n="$exp_rows" -v s="$secs" 'BEGIN { printf "%.0f", n / s }')"
	exp_rss+=" $(awk '/VmHWM/ {print $2}' "/proc/$server/status")"
done
log "CSV export: $exp_rows rows, rows/s$exp_rate, peak RSS kB$exp_rss"

# Plans of the SQL side as pgbench runs it (-M prepared): the plan of a
# sixth execution, once the plan cache has chosen between a custom and the
# generic plan (plan_cache_mode auto, as in the server's sessions).
plan() { # sql-file defs-file i
	local sql
	sql=$(grep -v '^\\set' "$1")
	python3 - "$sql" "$2" "${3:-}" <<'PY'
import re, sys
sql, defs, i = sys.argv[1:]
lines = open(defs).read().split("\n")
vals = dict(lines[k + 1].split("=", 1) for k in range(0, len(lines) - 1, 2))
if i:
    vals["i"] = i
names = list(dict.fromkeys(re.findall(r"(?<!:):([a-z_]+)\b", sql)))
types = {"i": "int", "limit": "int8", "cap": "int8", "walk": "int8", "kid": "uuid", "q": "text", "tsq": "text", "kname": "text", "status": "text"}
types = [types.get(n, "float8") for n in names]
body = re.sub(r"(?<!:):([a-z_]+)\b", lambda m: "$%d" % (names.index(m.group(1)) + 1), sql.rstrip().rstrip(";"))
args = ", ".join("'" + vals[n].replace("'", "''") + "'" for n in names)
print(f"PREPARE p({', '.join(types)}) AS {body};" if names else f"PREPARE p AS {body};")
run = f"EXECUTE p({args});" if names else "EXECUTE p;"
print("\\o /dev/null")
print("\n".join([run] * 5))  # the plan cache chooses after five executions
print("\\o")
print("EXPLAIN (COSTS OFF) " + run)
PY
}
plan "$tmp/list.sql" "$page20" "$n21" > "$tmp/plan.sql"
explain_list=$("${PSQL[@]}" -f "$tmp/plan.sql" | sed -E "s/'\{[^}]*\}'/'{…}'/")
if grep -q 'Index Scan using structures_department_name_idx' <<<"$explain_list" && ! grep -q 'Sort' <<<"$explain_list"; then
	list_plan="the (department_code, name, id) index, no sort"
else
	list_plan="NOT the (department_code, name, id) index (see the plan)"
	log "WARNING: the list's SQL is not served by the (department_code, name, id) index"
fi
plan "$tmp/radius-page.sql" "$tmp/radius.defs" > "$tmp/plan.sql"
explain_radius=$("${PSQL[@]}" -f "$tmp/plan.sql")
plan "$tmp/deep.sql" "$tmp/deep.defs" > "$tmp/plan.sql"
explain_deep=$("${PSQL[@]}" -f "$tmp/plan.sql")
plan "$tmp/q-medium-page.sql" "$tmp/q-medium.defs" > "$tmp/plan.sql"
explain_q=$("${PSQL[@]}" -c "SET plan_cache_mode = force_custom_plan" -f "$tmp/plan.sql") # the store plans searches with their values

# Allocations per request of the Go benchmarks of ./api (an in-process
# client is counted too; their own small data set).
go_allocs=""
if [ "$ALLOCS" = 1 ]; then
	out=$(go test -run '^$' -bench 'GetStructure$|ListStructures20$' -benchmem -benchtime=2000x -count=1 ./api)
	go_allocs=$(awk '/^Benchmark/ {sub(/-[0-9]+$/, "", $1); printf "| %s | %s | %s B | %s µs |\n", $1, $7, $5, $3 / 1000}' <<<"$out")
	[ -n "$go_allocs" ] || die "go test -bench ./api gave no result: $out"
fi

# --------------------------------------------------------------- report
num() { awk -v v="$1" 'BEGIN { printf (v < 100 ? "%.1f" : "%.0f"), v }'; }
dec1() { awk -v v="$1" 'BEGIN { printf "%.1f", v }'; }
nums() { local v out=""; for v in $1; do out+=" $(num "$v")"; done; echo "$out"; }
rows="" rounds=""
for i in $(seq 0 $((ne - 1))); do
	a=$(med "${R_API[i]}") s=$(med "${R_SQL[i]}") l=$(dec1 "$(med "${R_P99[i]}")") al=$(num "$(med "${R_ALLOC[i]}")")
	p="—" pr="—" lm=$l
	if [ -n "${E_PEER_URL[i]}" ]; then p=$(num "$(med "${R_PEER[i]}")") pr=$(ratios "${R_API[i]}" "${R_PEER[i]}"); fi
	[ "${R_HELD[i]:-}" != no ] || lm="$l †"
	rows+="| ${E_NAME[i]} | $(num "$a") | $(num "$s") | $(ratios "${R_API[i]}" "${R_SQL[i]}") | $p | $pr | $lm | $al |"$'\n'
	rounds+="| ${E_NAME[i]} | ${E_SECS[i]} s |$(nums "${R_API[i]}") |$(nums "${R_SQL[i]}") |$( [ -n "${R_PEER[i]:-}" ] && nums "${R_PEER[i]}" || echo " —") |${R_P99[i]} |${R_P99N[i]} |"$'\n'
	case ${E_GROUP[i]} in pages) pages+=("$i") ;; esac
done
p1=${pages[0]} pd=${pages[1]}
deep_line="Page $PAGE_DEEP (after row $DEEP_ROW of $NSTRUCT, in name order) against page 1, alternating in each round (medians of the rounds' ratios): it costs $(ratios "${R_API[p1]}" "${R_API[pd]}")× page 1 through the API (page-1 rps ÷ deep-page rps), $(ratios "${R_SQL[p1]}" "${R_SQL[pd]}")× in SQL, and its p99 at 50% load is $(ratios "${R_P99[pd]}" "${R_P99[p1]}")× page 1's (medians $(dec1 "$(med "${R_P99[pd]}")") ms and $(dec1 "$(med "${R_P99[p1]}")") ms)."
searches=""
for g in q-common q-medium q-rare q-typo q-names; do searches+="${g#q-} word ${SEARCH_ORDER[$g]}, "; done

notes=$( [ -f "$OUT" ] && sed -n '/^## Notes/,$p' "$OUT" || true)
cat > "$OUT.new" <<MD
# Benchmarks

Generated by \`make bench\` (bench/bench.sh; method: the project's BENCH.md). Do not edit by hand
above "## Notes".

- Data set: $SIZE — $(sed 's/^benchgen: //' "$GEN") (cmd/benchgen, seed 1,
  real communes of the embedded geography, Zipf vocabulary, loaded through COPY); $NPUB published.
- Machine: $(nproc) cores shared with other work; PostgreSQL $(psql -X -h 127.0.0.1 -U postgres -qAt -c 'SHOW server_version'); $CONNS connections
  on each side (server pool ESSDIR_DB_MAX_CONNS=$CONNS, wrk -t1 -c$CONNS, pgbench -c$CONNS -j1 -M prepared,
  pg_featureserv DbPoolMaxConns=$CONNS).
- Each figure is the median of $ROUNDS rounds, after a warm-up. In every round the API (wrk), its SQL
  (pgbench) and, where it serves the endpoint, the peer (wrk) run one after the other, then the
  API's p99 is taken by vegeta at a fixed rate of half the rate wrk just measured. Each run lasts
  ${DURATION} s, or longer for a slow endpoint, so that it counts $MIN_REQUESTS requests (30 s at most;
  see "Rounds"). A ratio is the median of the rounds' ratios (each of two runs of the same round).
  The machine is shared: absolute figures drift with the neighbours' load (load average
  $LOAD_START at the start of the measures, $LOAD_END at the end); the ratios, measured side by side,
  are what to read.
- SQL: the statements the store issues (bench/bench.sh writes them out; before measuring it checks
  that each returns the API's rows in the API's order), with the varying value bound as a
  parameter (-M prepared). Search order on this set: ${searches%, }.
- Peer: pg_featureserv $PEER_VERSION on a copy of the published rows with a geometry(Point,4326)
  column (\`$PEER_TABLE\`, primary key id, btree on department_code), no request logging on either
  side. $( [ "$PEER" = 1 ] || echo "Not run this time (PEER=0).")
- Allocations per request: the server's \`go_memstats_mallocs_total\` (from /metrics) over each API
  round, divided by its requests (one scrape's allocations taken off).
- $(date -u +%Y-%m-%d), at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- api internal cmd || echo " (with local changes)").

| endpoint | API rps | SQL tps | API ÷ SQL | peer rps | API ÷ peer | API p99 at 50% (ms) | allocs/req (server) |
|---|---|---|---|---|---|---|---|
$rows$( [ -z "${R_HELD[*]:-}" ] || printf '\n%s' "† In at least one round the server answered below 90% of the fixed rate: the box (server, database and load tool on the same cores) did not hold half the maximum; the p99 includes the requests' wait in the client's queue.")

$deep_line

CSV export (\`?format=csv\`, every published structure, $exp_rows rows): median $(num "$(med "$exp_rate")") rows/s
(rounds:$exp_rate); server peak RSS (VmHWM $rss_note) median $(num "$(med "$exp_rss")") kB (rounds:$exp_rss).

$( [ -z "$go_allocs" ] || printf '%s\n' "Go benchmarks, \`go test -run '^\$' -bench 'GetStructure\$|ListStructures20\$' -benchmem -benchtime=2000x ./api\`" "(their own small data set; the in-process HTTP client's allocations are counted too):" "" "| benchmark | allocs/op | bytes/op | time/op |" "|---|---|---|---|" "$go_allocs")

Not measured by the harness: bulk upsert vs COPY rows/s (see the README's partner-sync figures).

## Rounds

Every round's figure, in the order measured, with each run's length; the p99's requests and the fixed
rate they were sent at:

| endpoint | run | API rps | SQL tps | peer rps | API p99 at 50% (ms) | p99 requests@rate |
|---|---|---|---|---|---|---|
$rounds
## Plans

List of a département as pgbench runs it (the plan of its sixth execution, once the plan cache
has chosen; the code picked from a literal array by the bound \`:i\`): $list_plan.

\`\`\`
$explain_list
\`\`\`

Radius 10 km, top 50 (sixth execution):

\`\`\`
$explain_radius
\`\`\`

Page $PAGE_DEEP, after row $DEEP_ROW (sixth execution):

\`\`\`
$explain_deep
\`\`\`

Page of the medium word (sixth execution):

\`\`\`
$explain_q
\`\`\`
MD
[ -z "$notes" ] || printf '\n%s\n' "$notes" >> "$OUT.new"
mv "$OUT.new" "$OUT"
log "wrote $OUT"
