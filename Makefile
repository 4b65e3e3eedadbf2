# Kasse — the two commands that matter are `make run` and `make test`.
GO      ?= go
BIN     := bin/kasse
RACE    ?=
PKGS    := ./...

.PHONY: build run test vet fmt-check bench clean

build:
	$(GO) build -o $(BIN) ./cmd/kasse

## run: build, migrate the embedded SQLite database, load the demo data once, and serve on 127.0.0.1:8080
run: build
	./$(BIN) seed --demo
	./$(BIN) serve

## test: vet, gofmt check, then the whole suite (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set)
test: bin/stripe-mock vet fmt-check
	@if [ "$$CI" = "true" ] && [ -z "$$TEST_DATABASE_URL" ]; then \
		echo "CI=true needs TEST_DATABASE_URL (PostgreSQL): refusing to skip the PostgreSQL tests"; exit 1; fi
	$(GO) test $(RACE) -count=1 -timeout 9m $(PKGS)

## bin/stripe-mock: Stripe's mock API server for the Stripe adapter's tests (installed once, ~30 s)
bin/stripe-mock:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/stripe/stripe-mock@v0.203.0

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './vendor/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: benchmarks (never part of make test)
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin data
