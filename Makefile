# provarchive: the two commands a newcomer needs are `make run` and `make test`.
# Both create .venv on first use and install the project (with its dev extras) into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test bench lint format clean venv demo

venv: $(STAMP)

# setup.py and the C sources: the compiled accelerators are rebuilt when they change
$(STAMP): pyproject.toml setup.py $(wildcard src/provarchive/formats/_provjson_accel/*)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## run: start the job service on 127.0.0.1 with the example job definitions (SQLite archive under DATA_DIR)
DATA_DIR ?= $(CURDIR)/data
run: $(STAMP)
	PROVARCHIVE_DATA_DIR=$(DATA_DIR) $(BIN)/provarchive serve --host 127.0.0.1 --examples

## test: run the whole test suite
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: run every benchmark and print its table
BENCHMARKS := serialize provxml validation graph capture archive adql jobs http_archive tap

bench: $(STAMP)
	@for b in $(BENCHMARKS); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; done

## lint: ruff on everything, mypy on the package
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache
