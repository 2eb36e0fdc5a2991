#!/usr/bin/env bash
# bench/bulk.sh — partner sync writes against COPY, side by side.
#
#   bench/bulk.sh [store|http|import|all]      (default: all)
#
# Every side writes the same N realistic structures (cmd/bulkbench,
# internal/benchdata: real communes, Zipf names, SIRETs, contacts) into an
# empty structures table of its own database, whose indexes, generated
# columns and triggers are the migrated schema's:
#   store   UpsertStructures in calls of BATCH (the store path behind the bulk
#           route and the import), at BEFORE (a git revision, built in a
#           temporary tree with this tree's bulkbench) and at this tree
#           (after), against COPY of the same rows, a transaction per BATCH;
#           and, first in each round (section store-pair), this tree's
#           batch by batch beside COPY, as the http section is;
#   http    POST /v1/structures/bulk, BATCH-item bodies in JSON and NDJSON,
#           against servers built from this tree (one per format, each on
#           a database of its own), and COPY, batch by batch: batch k by
#           COPY and to each server (in an order that turns from batch to
#           batch), then batch k+1 (bulkbench pair), so that every side meets the same moments of a shared
#           machine (whole runs one after the other gave ratios that a
#           slow minute moved by a third);
#   import  essdir import structures on an N-line NDJSON file and CSV file:
#           on an empty set, then the same file again (unchanged), and COPY.
# Within a round the sides run one after the other (A B C, A B C, …), each
# after an emptied table, a VACUUM ANALYZE and a CHECKPOINT, so that every
# ratio compares runs of the same window; the summary gives each side's
# rows/s per round, the median, and the median of the per-round ratios to
# COPY. The machine is shared: only those ratios mean something.
#
# Environment: ROUNDS (3), N (100000), BATCH (1000), BEFORE (b86bb5f, the
# revision before the bulk-speed work; SKIP_BEFORE=1 leaves it out: at
# ~150 rows/s it takes ten minutes a round; BEFORE runs on this tree's
# schema, so a revision older than migration 00011 finds no
# structures_slug_pattern_idx for its free-slug ranges and is slower here
# than it was on its own), PGURL (the server's admin URL,
# postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), OUT (a
# folder for the logs and binaries, default a new /tmp/bulkbench.XXXX).
# Databases bulk_bench_store(_pair), bulk_bench_http(_json, _ndjson) and
# bulk_bench_import are created and dropped.
set -euo pipefail

what=${1:-all}
ROUNDS=${ROUNDS:-3}
N=${N:-100000}
BATCH=${BATCH:-1000}
BEFORE=${BEFORE:-b86bb5f}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
OUT=${OUT:-$(mktemp -d /tmp/bulkbench.XXXX)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
log=$OUT/results.txt
: >"$log"

dburl() { echo "${PGURL/\/postgres\?//$1?}"; }
psqlc() { psql "$PGURL" -v ON_ERROR_STOP=1 -qAt "$@"; }
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for db in bulk_bench_store bulk_bench_store_pair bulk_bench_http bulk_bench_http_json bulk_bench_http_ndjson bulk_bench_import; do
		psqlc -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT

echo "building into $OUT" >&2
(cd "$root" && go build -o "$OUT/after/essdir" ./cmd/essdir && go build -o "$OUT/after/bulkbench" ./cmd/bulkbench)

# newdb NAME: a fresh database migrated by this tree's binary.
newdb() {
	psqlc -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
	ESSDIR_DATABASE_URL=$(dburl "$1") "$OUT/after/essdir" migrate up >/dev/null
}

# reset NAME: an empty directory, vacuumed, checkpointed.
reset() {
	psql "$(dburl "$1")" -v ON_ERROR_STOP=1 -qAt -c "SET client_min_messages = warning" \
		-c "TRUNCATE structures, changes CASCADE" -c "VACUUM ANALYZE structures" -c "VACUUM ANALYZE changes" -c "CHECKPOINT" >/dev/null
}

# record SECTION ROUND SIDE LINE: keeps rows_per_s of a key=value line.
record() {
	local rps
	rps=$(sed -nE 's/.*rows_per_s=([0-9.]+).*/\1/p' <<<"$4")
	echo "$1 $2 $3 $rps   # $4" | tee -a "$log" >&2
}

# summary SECTION REF SIDE...: per side, rows/s by round, median, median ratio to REF.
summary() {
	local section=$1 ref=$2
	shift 2
	echo
	local how="A B A B"
	[ "$section" != http ] && [ "$section" != store-pair ] || how="COPY and each side batch by batch"
	echo "### $section ($N rows, batches of $BATCH, $ROUNDS rounds, $how)"
	echo
	echo "| side | rows/s by round | median rows/s | median of ratios to $ref |"
	echo "|---|---|---|---|"
	for side in "$@"; do
		awk -v s="$section" -v side="$side" -v ref="$ref" '
			$1 == s && $3 == side { v[$2] = $4; order[++n] = $2 }
			$1 == s && $3 == ref { r[$2] = $4 }
			function median(a, k,   i, j, t) {
				for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
			}
			END {
				list = ""
				for (i = 1; i <= n; i++) { x[i] = v[order[i]]; q[i] = v[order[i]] / r[order[i]]; list = list (i > 1 ? ", " : "") sprintf("%.0f", x[i]) }
				printf "| %s | %s | %.0f | %.2f |\n", side, list, median(x, n), median(q, n)
			}' "$log"
	done
}

store_section() {
	local tree=$OUT/before/src
	if [ -z "${SKIP_BEFORE:-}" ] && [ ! -x "$OUT/before/bulkbench" ]; then
		mkdir -p "$tree"
		git -C "$root" archive "$BEFORE" | tar -x -C "$tree"
		# The same driver and data at both revisions: only the store differs.
		rm -rf "$tree/internal/benchdata" "$tree/cmd/bulkbench"
		cp -r "$root/internal/benchdata" "$tree/internal/benchdata"
		cp -r "$root/cmd/bulkbench" "$tree/cmd/bulkbench"
		(cd "$tree" && go build -o "$OUT/before/bulkbench" ./cmd/bulkbench)
	fi
	newdb bulk_bench_store
	newdb bulk_bench_store_pair
	local url line side
	url=$(dburl bulk_bench_store)
	for r in $(seq "$ROUNDS"); do
		# Batch by batch first (section store-pair): COPY of batch k into
		# bulk_bench_store, UpsertStructures of it into bulk_bench_store_pair.
		reset bulk_bench_store
		reset bulk_bench_store_pair
		"$OUT/after/bulkbench" pair --db "$url" --side "after=store@$(dburl bulk_bench_store_pair)" \
			--n "$N" --batch "$BATCH" >"$OUT/store-pair-$r.txt"
		while read -r line; do
			side=$(sed -nE 's/^mode=([a-z-]+) .*/\1/p' <<<"$line")
			record store-pair "$r" "$side" "$line"
		done <"$OUT/store-pair-$r.txt"
		reset bulk_bench_store
		record store "$r" copy "$("$OUT/after/bulkbench" copy --db "$url" --n "$N" --batch "$BATCH")"
		if [ -z "${SKIP_BEFORE:-}" ]; then
			reset bulk_bench_store
			record store "$r" before "$("$OUT/before/bulkbench" store --db "$url" --n "$N" --batch "$BATCH")"
		fi
		reset bulk_bench_store
		record store "$r" after "$("$OUT/after/bulkbench" store --db "$url" --n "$N" --batch "$BATCH")"
		# The next revision of every row, then the same again (after only).
		record store "$r" after-changed "$("$OUT/after/bulkbench" store --db "$url" --n "$N" --batch "$BATCH" --rev 1)"
		record store "$r" after-unchanged "$("$OUT/after/bulkbench" store --db "$url" --n "$N" --batch "$BATCH" --rev 1)"
	done
	local sides="before after after-changed after-unchanged"
	[ -z "${SKIP_BEFORE:-}" ] || sides=${sides#before }
	summary store copy $sides >>"$OUT/summary.md"
	summary store-pair copy after >>"$OUT/summary.md"
}

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

http_section() {
	local pw=bench-password-0123456789 port url sides=() f
	newdb bulk_bench_http
	for f in json ndjson; do
		newdb "bulk_bench_http_$f"
		url=$(dburl "bulk_bench_http_$f")
		echo "$pw" | ESSDIR_DATABASE_URL=$url "$OUT/after/essdir" user create --email bench@essdir.test --role editor >/dev/null
		port=$(freeport)
		ESSDIR_DATABASE_URL=$url ESSDIR_ADDR=127.0.0.1:$port ESSDIR_RATE_LIMIT_AUTH=0 ESSDIR_RATE_LIMIT_TOKEN=0 \
			ESSDIR_ACCESS_TOKEN_TTL=1h ESSDIR_LOG_LEVEL=warn ESSDIR_JWT_SECRET=bulk-bench-secret-of-at-least-32-bytes \
			"$OUT/after/essdir" serve --no-migrate >"$OUT/server-$f.log" 2>&1 &
		pids+=($!)
		for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break || sleep 0.2; done
		sides+=(--side "http-$f=$f@http://127.0.0.1:$port")
	done
	for r in $(seq "$ROUNDS"); do
		for db in bulk_bench_http bulk_bench_http_json bulk_bench_http_ndjson; do reset $db; done
		# Batch by batch: COPY of batch k, then batch k to each server,
		# then batch k+1 (bulkbench pair).
		"$OUT/after/bulkbench" pair --db "$(dburl bulk_bench_http)" --user bench@essdir.test --password "$pw" \
			"${sides[@]}" --n "$N" --batch "$BATCH" >"$OUT/pair-$r.txt"
		while read -r line; do
			side=$(sed -nE 's/^mode=([a-z-]+) .*/\1/p' <<<"$line")
			record http "$r" "${side#http-}" "$line"
		done <"$OUT/pair-$r.txt"
	done
	summary http copy json ndjson >>"$OUT/summary.md"
}

# import_run SIDE FILE: times essdir import structures FILE.
import_run() {
	local start end out
	start=$(date +%s.%N)
	out=$(ESSDIR_DATABASE_URL=$(dburl bulk_bench_import) "$OUT/after/essdir" import structures "$2" --source bench)
	end=$(date +%s.%N)
	record import "$r" "$1" "$(awk -v n="$N" -v s="$start" -v e="$end" -v o="$out" 'BEGIN { printf "rows=%d seconds=%.2f rows_per_s=%.0f %s", n, e - s, n / (e - s), o }')"
}

import_section() {
	newdb bulk_bench_import
	"$OUT/after/bulkbench" gen --format ndjson --n "$N" >"$OUT/structures.ndjson"
	"$OUT/after/bulkbench" gen --format csv --n "$N" >"$OUT/structures.csv"
	for r in $(seq "$ROUNDS"); do
		reset bulk_bench_import
		record import "$r" copy "$("$OUT/after/bulkbench" copy --db "$(dburl bulk_bench_import)" --n "$N" --batch "$BATCH")"
		for f in ndjson csv; do
			reset bulk_bench_import
			import_run "$f" "$OUT/structures.$f"
			import_run "$f-again" "$OUT/structures.$f"
		done
	done
	summary import copy ndjson ndjson-again csv csv-again >>"$OUT/summary.md"
}

: >"$OUT/summary.md"
case $what in
store) store_section ;;
http) http_section ;;
import) import_section ;;
all) store_section && http_section && import_section ;;
*) echo "usage: bench/bulk.sh [store|http|import|all]" >&2 && exit 2 ;;
esac
cat "$OUT/summary.md"
echo "(raw figures: $log)" >&2
