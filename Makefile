# Kasse — the two commands that matter are `make run` and `make test`.
GO      ?= go
BIN     := bin/kasse
RACE    ?=
PKGS    := ./...
# Tools the checks install into bin/ on first use, at pinned versions.
STRIPE_MOCK_VERSION := v0.203.0
OAPI_CODEGEN_VERSION := v2.8.2
HEY_VERSION := v0.1.4
STATICCHECK_VERSION := v0.8.2
STATICCHECK := bin/staticcheck-$(STATICCHECK_VERSION)/staticcheck
# The PostgreSQL make test-pg uses unless TEST_DATABASE_URL names another.
LOCAL_PG_URL := postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: build run test test-pg vet lint fmt-check fuzz bench bench-check bench-go clean openapi docs-check sdk-check

build:
	$(GO) build -o $(BIN) ./cmd/kasse

## run: build, migrate the embedded SQLite database, load the demo data once, and serve on 127.0.0.1:8080
run: build
	./$(BIN) seed --demo
	./$(BIN) serve

## test: vet, gofmt check, then the whole suite (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set)
test: bin/stripe-mock bin/oapi-codegen vet fmt-check
	@if [ "$$CI" = "true" ] && [ -z "$$TEST_DATABASE_URL" ]; then \
		echo "CI=true needs TEST_DATABASE_URL (PostgreSQL): refusing to skip the PostgreSQL tests"; exit 1; fi
	$(GO) test $(RACE) -count=1 -timeout 20m $(PKGS)

## test-pg: make test with the PostgreSQL tests too, on TEST_DATABASE_URL or else the local
## server (postgres@127.0.0.1:5432, trust auth, database test); RACE=-race as in CI
test-pg:
	TEST_DATABASE_URL="$${TEST_DATABASE_URL:-$(LOCAL_PG_URL)}" $(MAKE) test

## bin/stripe-mock: Stripe's mock API server for the Stripe adapter's tests (installed once, ~30 s;
## the tests install it themselves when it is missing)
bin/stripe-mock:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/stripe/stripe-mock@$(STRIPE_MOCK_VERSION)

## bin/oapi-codegen: the Go client generator cmd/kasse's TestGeneratedGoClient runs on docs/openapi.json
## (installed once, ~30 s; the test installs it itself when it is missing)
bin/oapi-codegen:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@$(OAPI_CODEGEN_VERSION)

vet:
	$(GO) vet $(PKGS)

## lint: go vet, then staticcheck (installed into bin/ on first use, ~1 min; see staticcheck.io)
lint: vet $(STATICCHECK)
	$(STATICCHECK) $(PKGS)

$(STATICCHECK):
	GOBIN=$(CURDIR)/$(dir $@) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './vendor/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## openapi: generate docs/openapi.json from the resource registry (commit it; a test fails when it is stale)
openapi:
	$(GO) run ./cmd/kasse openapi --out docs/openapi.json

DOCS_TOOLS := docs/tools
DOCS_BIN   := $(DOCS_TOOLS)/node_modules/.bin
# Redocly CLI phones home and checks for updates unless told not to.
DOCS_ENV   := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true

## docs-check: lint docs/openapi.json with Redocly, generate TypeScript types from it with
## openapi-typescript and type-check them (and docs/tools/check.ts) with tsc; the tools come
## from the npm registry at the versions pinned in docs/tools/package-lock.json
docs-check: $(DOCS_TOOLS)/node_modules/.installed
	$(DOCS_ENV) $(DOCS_BIN)/redocly lint docs/openapi.json --config docs/redocly.yaml --format=summary
	mkdir -p $(DOCS_TOOLS)/generated
	$(DOCS_ENV) $(DOCS_BIN)/openapi-typescript docs/openapi.json --redocly docs/redocly.yaml -o $(DOCS_TOOLS)/generated/openapi.ts
	$(DOCS_BIN)/tsc -p $(DOCS_TOOLS)/tsconfig.json

## sdk-check: the storefront's calls with the real @commercelayer/sdk (pinned in
## docs/tools/package-lock.json): docs/tools/sdk-storefront.mts, compiled with tsc, run with node
## against bin/kasse serving a fresh demo SQLite database on a free port (stopped whatever happens;
## docs/clients.md)
sdk-check: build $(DOCS_TOOLS)/node_modules/.installed
	$(DOCS_BIN)/tsc -p $(DOCS_TOOLS)/tsconfig.sdk.json
	$(DOCS_TOOLS)/sdk-check.sh $(BIN) $(DOCS_TOOLS)/generated/sdk/sdk-storefront.mjs

$(DOCS_TOOLS)/node_modules/.installed: $(DOCS_TOOLS)/package.json $(DOCS_TOOLS)/package-lock.json
	npm ci --prefix $(DOCS_TOOLS) --no-audit --no-fund
	touch $@

## fuzz: run every fuzz target (the request decoder, the query parser) for FUZZTIME each (a count
## of inputs: a duration makes Go's fuzzer fail with "context deadline exceeded" when the deadline
## finds a worker mid-input); CI runs it
FUZZTIME ?= 100000x
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -timeout 5m $$pkg || exit 1; \
		done; \
	done

## bench: Kasse against the hand-written baseline server (bench/), over HTTP with hey, on a generated
## catalog (docs/performance.md); never part of make test. BENCH_FLAGS passes flags to the harness:
## BENCH_FLAGS='-skus 1000000 -database postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
BENCH_FLAGS ?=
bench: build bin/hey
	$(GO) build -o bin/kasse-baseline ./bench/baseline
	$(GO) run ./bench -kasse $(BIN) -baseline bin/kasse-baseline -hey bin/hey $(BENCH_FLAGS)

## bench-check: every Go benchmark run once (CI runs it, so none breaks unseen between make bench-go runs)
bench-check:
	$(GO) test -run '^$$' -bench . -benchtime 1x $(PKGS)

## bench-go: the in-process Go benchmarks (go test -bench; engine's BenchmarkSkuPage1 takes -skus N)
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## bin/hey: the load generator make bench runs (installed once from the Go module proxy, pinned)
bin/hey:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/rakyll/hey@$(HEY_VERSION)

clean:
	rm -rf bin data $(DOCS_TOOLS)/node_modules $(DOCS_TOOLS)/generated
