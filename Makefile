# essdir — make run: the API on :8080 with a migrated database and Swagger UI;
# make test: every check CI runs.
SHELL := /bin/bash
BIN   := bin/essdir
SWAG  := go tool swag
SWAG_FLAGS := init -q -g server.go -d ./api,./internal/essdir --parseInternal --packageName docs --outputTypes go,json,yaml
PKGS  := ./...

.PHONY: all build run test check fmt-check vet docs docs-check tidy-check unit bench bench-smoke bench-go cover clean geography

all: build

build:
	go build -o $(BIN) ./cmd/essdir

## run: the API on :8080 with a migrated database holding the demo data set.
run: build
	./$(BIN) seed demo
	./$(BIN) serve

## docs: regenerate the OpenAPI document in docs/ from the swag annotations.
docs:
	$(SWAG) $(SWAG_FLAGS) -o docs

## docs-check: fail when docs/ is not what the annotations generate.
docs-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(SWAG) $(SWAG_FLAGS) -o "$$tmp" && \
	if ! diff -r -q -x BENCHMARKS.md "$$tmp" docs >/dev/null; then \
		diff -r -u -x BENCHMARKS.md docs "$$tmp" | head -n 40; \
		echo "docs/ is stale: run 'make docs' and commit the result"; exit 1; \
	fi

## geography: rebuild the official geography embedded in the binary
## (internal/geo/data) from the pinned npm package; bump GEO_VERSION for a
## new millésime, then commit the file.
GEO_PACKAGE := @etalab/decoupage-administratif
GEO_VERSION := 6.0.0
geography:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent $(GEO_PACKAGE)@$(GEO_VERSION) >/dev/null && tar xzf *.tgz) && \
	go run ./internal/geo/gen "$$tmp/package/data" internal/geo/data/geography.json.gz

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	go vet $(PKGS)

tidy-check:
	@cp go.mod /tmp/essdir.go.mod.bak && cp go.sum /tmp/essdir.go.sum.bak && go mod tidy && \
	if ! diff -q go.mod /tmp/essdir.go.mod.bak >/dev/null || ! diff -q go.sum /tmp/essdir.go.sum.bak >/dev/null; then \
		cp /tmp/essdir.go.mod.bak go.mod; cp /tmp/essdir.go.sum.bak go.sum; \
		echo "go.mod/go.sum are not tidy: run 'go mod tidy'"; exit 1; fi

## check: the static checks.
check: fmt-check vet docs-check tidy-check

## test: the static checks, then every test with the race detector against
## the local PostgreSQL (ESSDIR_TEST_DATABASE_URL to use another server).
test: check
	go test -race -count=1 $(PKGS)

unit:
	go test -count=1 $(PKGS)

## bench: the harness of BENCH.md on the local PostgreSQL (database
## essdir_bench, or DB=…): generate SIZE (S = 10k, L = 1M structures), or
## measure the set already loaded with REUSE=1; each endpoint's API with
## wrk, its SQL with pgbench, the peer (pg_featureserv) with wrk, the API's
## p99 at half its maximum with vegeta; write docs/BENCHMARKS.md. Installs
## what it lacks (wrk, vegeta, PostGIS, pg_featureserv; see bench/bench.sh).
SIZE ?= S
bench:
	SIZE=$(SIZE) bash bench/bench.sh

## bench-smoke: the harness on S, one short round, to prove it works (CI;
## no timing asserted, the report goes to /tmp): without the peer, whose
## PostGIS package and build CI need not pay, nor the Go benchmarks.
bench-smoke:
	SIZE=S ROUNDS=1 DURATION=1 PEER=0 ALLOCS=0 MIN_REQUESTS=0 OUT=/tmp/essdir-benchmarks.md bash bench/bench.sh

## bench-go: Go benchmarks of the HTTP path (no timing is asserted).
bench-go:
	go test -run '^$$' -bench . -benchmem $(PKGS)

cover:
	go test -count=1 -coverprofile=/tmp/essdir.cover $(PKGS) && go tool cover -func=/tmp/essdir.cover | tail -n 1

clean:
	rm -rf bin
