# The README's two quick-start commands are `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## serve: install, migrate the embedded SQLite database, seed the demo and start on :8080
serve: $(STAMP)
	$(BIN)/hubauth serve --demo --dev --workers 1

## test: install with test extras and run the whole suite (ruff included)
test: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench scripts)
	$(BIN)/ruff format --check src tests $(wildcard bench scripts)
	$(BIN)/python -m pytest

## test-fast: the suite without the slow marked groups
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench scripts)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## bench: the benchmark suite (wrk; hubauth vs a bare-route ceiling and django-oauth-toolkit,
## SQLite and PostgreSQL); writes bench/results/latest.json and .png (docs/performance.md)
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
