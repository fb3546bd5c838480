PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint types unit venv clean bench bench-api bench-cluster bench-engine modelcheck mutants diagram fuzz screenshot

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/arbiter serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint types unit

# Not part of `make test`: minutes long; results go to docs/benchmarks.md.
bench: $(STAMP)
	$(BIN)/python -m bench.bench_projections $(BENCH_ARGS)

# Upgrades through a real server at 64 connections against a trivial aiohttp app, the long
# history's reads, the server's memory (SQLite and PostgreSQL; needs wrk: apt-get install -y wrk).
bench-api: $(STAMP)
	$(BIN)/python -m bench.api_load $(BENCH_ARGS)

# Upgrades/min with 1, 2, 3 nodes and transitions/s beside the raw append rate (PostgreSQL).
bench-cluster: $(STAMP)
	$(BIN)/python -m bench.cluster $(BENCH_ARGS)

# Engine-only transitions/s (in-process instant agent) beside the raw append rate (PostgreSQL).
bench-engine: $(STAMP)
	$(BIN)/python -m bench.engine $(BENCH_ARGS)

# The deep model-checking profile (by hand; figures in docs/testing.md).
modelcheck: $(STAMP)
	ARBITER_MODEL_PROFILE=deep $(BIN)/python -m tests.model.explorer
	ARBITER_MODEL_PROFILE=deep $(BIN)/pytest -q -s --timeout=3600 tests/model --hypothesis-show-statistics

# Schemathesis against a live `arbiter serve --demo`, every operation of docs/openapi.yaml, the
# long profile (a couple of minutes; figures in docs/testing.md). `make test` runs the short one.
# FUZZ_ARGS="--seed N" replays a run; "--keep DIR" keeps the server's data and log.
fuzz: $(STAMP)
	$(BIN)/python -m tests.system.fuzz --profile long $(FUZZ_ARGS)

# Plant each rule bug in a subprocess and show which model check catches it.
mutants: $(STAMP)
	$(BIN)/python -m tools.mutants

# Redraw docs/state-machine.md from the rule Machines.
diagram: $(STAMP)
	$(BIN)/python -m tools.diagram

# Redraw docs/console-task.png (the README's picture) with the browser tests' headless Chromium.
screenshot: $(STAMP)
	$(BIN)/python -m tools.screenshot

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis .import_linter_cache
