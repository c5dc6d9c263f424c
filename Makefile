# Build, test and benchmark the replicated key-value store.
#
#   make          build the release replica and leave ./3700kvstore here
#   make test     every test: Rust crates (with the seeded simulations),
#                 the Python simulator's own tests, and a state machine
#                 other than the key-value map served under ./run
#   make bench    the canonical suite K times under ./run (K=3 by default,
#                 seeds from SEED=1000; ONLY=simple-1,crash-4 for some
#                 tests), each run saved in bench-results/<start time>.json
#   make bench-elections
#                 leaderless time and vote messages after a leader fault,
#                 in the deterministic simulation (same numbers every run)
#   make bench-traffic
#                 messages between replicas by kind at each loss rate,
#                 delegated answers off and on, in the same simulation
#   make clean    remove build products

CARGO ?= cargo
PYTHON ?= python3
K ?= 3
SEED ?= 1000
ONLY ?=

.PHONY: all build test test-rust test-sim test-example lint bench bench-elections bench-traffic clean

all: build

build:
	$(CARGO) build --release -p node
	cp target/release/3700kvstore ./3700kvstore

test: build test-rust test-sim test-example

test-rust:
	$(CARGO) test --workspace --release -- --show-output

test-sim:
	$(PYTHON) -m unittest discover -s simulator/tests -t .

# node/examples/minimal_store.rs through one simulated test: swapping the
# state machine works end to end. Its exit status is the correctness
# checks' alone; the scores are printed, not judged.
test-example:
	$(CARGO) build --release --example minimal_store
	$(PYTHON) ./run --replica target/release/examples/minimal_store --seed 1 --silence configs/simple-2.json

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: build
	$(PYTHON) simulator/bench.py -k $(K) --first-seed $(SEED) $(if $(ONLY),--only $(ONLY)) --save bench-results/$$(date -u +%Y%m%dT%H%M%SZ).json

bench-elections:
	$(CARGO) bench -p simtest --bench elections

bench-traffic:
	$(CARGO) bench -p simtest --bench traffic

clean:
	$(CARGO) clean
	rm -f ./3700kvstore
