#!/usr/bin/env bash
# Latency of a deep page against page 1, and of the most common word, on a
# loaded benchmark database (bench.sh or benchgen first): one connection
# (wrk -c1, no queueing), ROUNDS rounds of DURATION seconds alternating
# page 1 and the deep page; wrk's mean and p99 of each round are printed.
#   DB=essdir_bench_l ROW=200000 ROUNDS=3 DURATION=3 bench/deep.sh
# The deep page's cursor is the one the API would give after row ROW in
# name order: the row's (name, id) is looked up in SQL (following
# next_cursor ROW/20 times would take too long), and put in a cursor of
# the form of page 1's next_cursor.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-essdir_bench} ROW=${ROW:-200000} ROUNDS=${ROUNDS:-3} DURATION=${DURATION:-3}
DSN="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
go build -o bin/essdir ./cmd/essdir
ESSDIR_DATABASE_URL="$DSN" ESSDIR_ADDR="127.0.0.1:$PORT" ESSDIR_RATE_LIMIT_ANON=0 ESSDIR_RATE_LIMIT_EXPORT=0 \
ESSDIR_DB_MAX_CONNS=4 ESSDIR_LOG_LEVEL=error ESSDIR_JWT_SECRET=bench-secret-bench-secret-bench-secret \
	bin/essdir serve --no-migrate > /tmp/essdir-deep-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
BASE="http://127.0.0.1:$PORT"

first=$(curl -sf "$BASE/v1/structures")
row=$(psql -h 127.0.0.1 -U postgres -qAt -F $'\t' "$DB" -c \
	"SELECT name, id FROM structures WHERE status = 'published' AND deleted_at IS NULL ORDER BY name, id OFFSET $((ROW - 1)) LIMIT 1")
cursor=$(FIRST="$first" ROWV="$row" python3 -c '
import base64, json, os
nc = json.loads(os.environ["FIRST"])["meta"]["next_cursor"]
c = json.loads(base64.urlsafe_b64decode(nc + "=" * (-len(nc) % 4)))
name, id = os.environ["ROWV"].split("\t")
c["k"] = [name, id]
print(base64.urlsafe_b64encode(json.dumps(c, ensure_ascii=False, separators=(",", ":")).encode()).decode().rstrip("="))')
deep="$BASE/v1/structures?cursor=$cursor"
echo "deep: after row $ROW: $row"
# The deep page must be the rows after ROW.
got=$(curl -sf "$deep" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"][0]["name"])')
want=$(psql -h 127.0.0.1 -U postgres -qAt "$DB" -c \
	"SELECT name FROM structures WHERE status = 'published' AND deleted_at IS NULL ORDER BY name, id OFFSET $ROW LIMIT 1")
[ "$got" = "$want" ] || { echo "deep: the page starts at $got, row $((ROW + 1)) is $want"; exit 1; }

lat() { # label url: mean and p99 (wrk --latency, 1 connection)
	local out; out=$(wrk -t1 -c1 -d"${DURATION}s" --latency "$2" 2>/dev/null)
	if grep -q 'Non-2xx' <<<"$out"; then echo "deep: non-2xx answers: $out" >&2; exit 1; fi
	echo "$1: mean $(awk '/^    Latency/ {print $2}' <<<"$out"), p99 $(awk '/^ +99%/ {print $2}' <<<"$out"), $(awk '/Requests\/sec/ {print $2}' <<<"$out") rps"
}
for _ in $(seq 1 "$ROUNDS"); do
	lat "page 1" "$BASE/v1/structures"
	lat "page after row $ROW" "$deep"
done
for _ in $(seq 1 "$ROUNDS"); do
	lat "q=solidaire" "$BASE/v1/structures?q=solidaire"
done
