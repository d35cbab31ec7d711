# glomers: Gossip Glomers node binaries, and a Maelstrom simulator to prove them.
#
#   make build        every binary into bin/
#   make test         every test, with the race detector (what CI runs)
#   make demo         every challenge in the simulator, one table
#   make fidelity     the simulator against the real Maelstrom's figures
#   make readme       regenerate the README's tables from the simulator
#   make lint         gofmt, go vet, and staticcheck for dead code
#   make test-<w>     the real `maelstrom test` for a challenge (needs Java and network)
#   make serve        browse store/: Maelstrom's web UI, or scripts/sim serve without Java
#   make bench-memory peak memory of long runs (scripts/memory)

GO       ?= go
BINARIES := $(notdir $(wildcard cmd/*))

.PHONY: build test lint demo fidelity readme check-readme serve bench bench-broadcast bench-append bench-linkv bench-gset bench-memory \
	test-echo test-unique-ids test-broadcast test-g-counter test-pn-counter test-kafka test-txn test-txn-list-append test-g-set test-lin-kv

build:
	@mkdir -p bin
	@for b in $(BINARIES); do $(GO) build -o bin/$$b ./cmd/$$b || exit 1; done

test:
	$(GO) test -race -count=1 ./...

# staticcheck (from the Go module proxy) finds dead code: none is allowed.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) -checks U1000 ./...

demo: build
	./scripts/sim demo

fidelity:
	./scripts/sim fidelity

readme:
	./scripts/sim readme README.md

check-readme:
	./scripts/sim readme --check README.md

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./node/ ./workloads/uniqueids/

# The broadcast figures of the README: default and economy settings at 3d's
# configuration, with and without partitions, and the scale runs.
bench-broadcast:
	./scripts/sim demo scripts/bench-broadcast.txt

# The README's txn-list-append, lin-kv and g-set figures.
bench-append:
	./scripts/sim demo scripts/bench-append.txt

bench-linkv:
	./scripts/sim demo scripts/bench-linkv.txt

bench-gset:
	./scripts/sim demo scripts/bench-gset.txt

# Peak memory of long runs (kafka 20 s against 60 s, broadcast on 25 nodes
# for 120 s at rate 500), with their run stores; needs GNU time.
bench-memory:
	./scripts/memory

serve:
	@if command -v java >/dev/null 2>&1; then ./scripts/maelstrom serve; else ./scripts/sim serve; fi

test-echo:
	./scripts/challenge 1
test-unique-ids:
	./scripts/challenge 2
test-broadcast:
	./scripts/challenge 3d-part
test-g-counter:
	./scripts/challenge 4
test-pn-counter:
	./scripts/challenge 4-pn
test-kafka:
	./scripts/challenge 5c
test-txn:
	./scripts/challenge 6c
test-txn-list-append:
	./scripts/challenge txn-append
test-g-set:
	./scripts/challenge g-set
test-lin-kv:
	./scripts/challenge lin-kv
