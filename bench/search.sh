#!/usr/bin/env bash
# Latency of q searches, before/after: two essdir binaries (A and B) serve
# the same loaded database side by side, and each query is measured on A
# then B, ROUNDS times (A B A B, the method of BENCH.md):
#   - mean and p99 at one connection (wrk -t1 -c1 --latency: no queueing);
#   - the maximum rate at 4 connections (wrk -t1 -c4);
#   - p99 at half that rate (vegeta, constant rate: the load tool does not
#     hide latency spikes), each side at half its own maximum;
# then the SQL side: the statements each binary's store issues for the
# query, by pgbench at 4 connections (SQL_A, SQL_B: the scripts are
# written below). Medians of the rounds are printed last.
#   DB=essdir_bench_l_search A=bin/essdir-before B=bin/essdir ROUNDS=3 DURATION=5 bench/search.sh
# Q="solidaire|apiculture" picks the queries ("|" separates them).
# Needs wrk (Debian package) and vegeta (GOBIN=/tmp/bin go install
# github.com/tsenart/vegeta/v12@v12.13.0). No timing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-essdir_bench_l_search} A=${A:?A=path of the before binary} B=${B:-bin/essdir}
ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-5} CONNS=${CONNS:-4}
VEGETA=${VEGETA:-$( [ -x /tmp/bin/vegeta ] && echo /tmp/bin/vegeta || command -v vegeta)}
Q=${Q:-"solidaire|apiculture|méthanisation|sombornon|metanisation|apiculture miel|miel sombernon"}
DSN="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
PSQL=(psql -h 127.0.0.1 -U postgres -qAt "$DB")
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT

serve() { # side binary: serves DB on a free port, in PORT_<side>
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# One load client on 127.0.0.1: no per-address connection cap (vegeta
	# opens more connections when answers lag, and the cap would answer 503).
	ESSDIR_DATABASE_URL="$DSN" ESSDIR_ADDR="127.0.0.1:$port" ESSDIR_RATE_LIMIT_ANON=0 ESSDIR_RATE_LIMIT_EXPORT=0 \
	ESSDIR_DB_MAX_CONNS=$CONNS ESSDIR_MAX_CONNS_PER_IP=0 ESSDIR_LOG_LEVEL=error ESSDIR_JWT_SECRET=bench-secret-bench-secret-bench-secret \
		"$2" serve --no-migrate >"$tmp/server-$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
	printf -v "PORT_$1" '%s' "$port"
}
serve A "$A"
serve B "$B"
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote_plus(sys.argv[1]))' "$1"; }

lat() { # url → "mean_ms p99_ms"
	local out
	out=$(wrk -t1 -c1 -d"${DURATION}s" --latency "$1" 2>/dev/null)
	if grep -q 'Non-2xx' <<<"$out"; then echo "search: non-2xx answers: $out" >&2; exit 1; fi
	ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/, "", v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000}; printf "%.2f", v}'; }
	echo "$(awk '/^    Latency/ {print $2}' <<<"$out" | ms) $(awk '/^ +99%/ {print $2}' <<<"$out" | ms)"
}
maxrate() { # url → rps at CONNS connections
	local out
	out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" "$1" 2>/dev/null)
	if grep -q 'Non-2xx' <<<"$out"; then echo "search: non-2xx answers: $out" >&2; exit 1; fi
	awk '/Requests\/sec/ {print $2}' <<<"$out"
}
p99at() { # url rate → p99_ms (fails below 100% success)
	echo "GET $1" | "$VEGETA" attack -rate="$2" -duration="${DURATION}s" | "$VEGETA" report -type=json |
		python3 -c 'import json, sys
r = json.load(sys.stdin)
if r["success"] < 1: sys.exit("search: vegeta success %.3f" % r["success"])
print("%.2f" % (r["latencies"]["99th"] / 1e6))'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

IFS='|' read -ra QUERIES <<<"$Q"
summary=""
for q in "${QUERIES[@]}"; do
	path="/v1/structures?q=$(urlq "$q")"
	for port in "$PORT_A" "$PORT_B"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$path")
		[ "$code" = 200 ] || { echo "search: $path answered $code on port $port"; exit 1; }
	done
	declare -A mean=() p99=() rps=() p99half=()
	for r in $(seq 1 "$ROUNDS"); do
		for side in A B; do
			port=PORT_$side
			url="http://127.0.0.1:${!port}$path"
			read -r m p <<<"$(lat "$url")"
			x=$(maxrate "$url")
			h=$(p99at "$url" "$(awk -v x="$x" 'BEGIN { r = int(x / 2); print (r < 1 ? 1 : r) }')")
			mean[$side]+=" $m" p99[$side]+=" $p" rps[$side]+=" $x" p99half[$side]+=" $h"
			echo "search: q=$q round $r $side: c1 mean $m ms, p99 $p ms; c$CONNS $x rps; p99 at half rate $h ms"
		done
	done
	for side in A B; do
		line="q=$q $side: c1 mean $(echo "${mean[$side]}" | median) ms, c1 p99 $(echo "${p99[$side]}" | median) ms, max $(echo "${rps[$side]}" | median) rps, p99 at 50% $(echo "${p99half[$side]}" | median) ms"
		echo "search: median $line"
		summary+="$line"$'\n'
	done
	unset mean p99 rps p99half
done

# The SQL side: the statements of each store for each query, A B
# alternating. A (the store before the dictionary): trigram threshold, the
# count, the page (ranked when at most 1,000 match, else in name order),
# prepared and cached as its pgx pool did. B: the tsquery, the count, the
# page, as unnamed statements planned with their values (-M extended), as
# its store does.
COLS="id, slug, name, legal_form, siret, siren, rna, summary, description, sectors, labels, street, postal_code, city, insee_code, department_code, region_code, lat, lon, website, email, phone, social_links, contacts, networks, status, source, external_id, created_at, updated_at, version, deleted_at"
lit() { sed "s/'/''/g" <<<"$1"; }
for q in "${QUERIES[@]}"; do
	l=$(lit "$q")
	old_match="(search_vector @@ websearch_to_tsquery('essdir_fr', '$l') OR name_key %> essdir_fold('$l'))"
	n_old=$("${PSQL[@]}" -c "BEGIN; SET LOCAL pg_trgm.word_similarity_threshold = 0.5; SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND $old_match AND deleted_at IS NULL LIMIT 1001) m; COMMIT;")
	if [ "$n_old" -gt 1000 ]; then order_old="name, id"; else order_old="rank DESC, id DESC"; fi
	cat >"$tmp/a.sql" <<SQL
BEGIN;
SET LOCAL pg_trgm.word_similarity_threshold = 0.5;
SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND $old_match AND deleted_at IS NULL LIMIT 1001) m;
SELECT * FROM (SELECT $COLS, ((search_vector @@ websearch_to_tsquery('essdir_fr', '$l'))::int + ts_rank_cd(search_vector, websearch_to_tsquery('essdir_fr', '$l'), 1)::float8 + word_similarity(essdir_fold('$l'), name_key)::float8 / 2) AS rank FROM structures WHERE status IN ('published') AND $old_match AND deleted_at IS NULL) structures ORDER BY $order_old LIMIT 21;
COMMIT;
SQL
	tsq=$("${PSQL[@]}" -c "SELECT essdir_search_tsquery('$l')")
	n_new=$("${PSQL[@]}" -c "SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND search_vector @@ '$(lit "$tsq")'::tsquery AND deleted_at IS NULL LIMIT 1001) m")
	if [ "$n_new" -gt 1000 ]; then order_new="name, id"; else order_new="rank DESC, id DESC"; fi
	cat >"$tmp/b.sql" <<SQL
SELECT essdir_search_tsquery('$l')::text AS tsq \gset
SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND search_vector @@ :tsq::tsquery AND deleted_at IS NULL LIMIT 1001) m;
SELECT * FROM (SELECT $COLS, ((search_vector @@ websearch_to_tsquery('essdir_fr', '$l'))::int + ts_rank_cd(search_vector, :tsq::tsquery, 1)::float8 + word_similarity(essdir_fold('$l'), name_key)::float8 / 2) AS rank FROM structures WHERE status IN ('published') AND search_vector @@ :tsq::tsquery AND deleted_at IS NULL) structures ORDER BY $order_new LIMIT 21;
SQL
	ta="" tb=""
	for _ in $(seq 1 "$ROUNDS"); do
		ta+=" $(pgbench -n -M prepared -c"$CONNS" -j1 -T"$DURATION" -f "$tmp/a.sql" -h 127.0.0.1 -U postgres "$DB" 2>/dev/null | awk '/^tps/ {print $3}')"
		tb+=" $(pgbench -n -M extended -c"$CONNS" -j1 -T"$DURATION" -f "$tmp/b.sql" -h 127.0.0.1 -U postgres "$DB" 2>/dev/null | awk '/^tps/ {print $3}')"
	done
	line="q=$q SQL: A $(echo "$ta" | median) tps (rounds$ta; $n_old matches → $order_old), B $(echo "$tb" | median) tps (rounds$tb; $n_new matches → $order_new)"
	echo "search: $line"
	summary+="$line"$'\n'
done
echo
echo "$summary"
