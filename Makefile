# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The package's modules byte-compiled: an editable install does not, and a run whose user cannot
# write __pycache__ (or with PYTHONDONTWRITEBYTECODE set) would compile every module each time.
COMPILED := $(VENV)/.compiled
SOURCES := $(shell find src -name '*.py')
MONTH ?= 2023-09

.PHONY: demo test install sample bench bench-quick bench-sweden clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

$(COMPILED): $(STAMP) $(SOURCES)
	$(BIN)/python -m compileall -q src
	touch $(COMPILED)

install: $(COMPILED)

demo: $(COMPILED)
	$(BIN)/lovkorning run $(MONTH)

test: $(COMPILED)
	$(BIN)/python -m pytest -q

sample: $(STAMP)
	for m in 2023-07 2023-08 2023-09; do \
	  $(BIN)/python -m lovkorning.generate $$m --dir sample_data --brukare 300 --seed 2023; done
	for m in norrtalje osteraker osteraker-insats; do \
	  $(BIN)/python -m lovkorning.generate $(MONTH) --model $$m --dir sample_data/$$m --brukare 250 --seed 2023; done

# the SQL peer's own environment: duckdb is no dependency of lovkorning (scripts/bench.py)
BENCH_STAMP := .venv-bench/.installed
$(BENCH_STAMP):
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet duckdb pyyaml
	touch $(BENCH_STAMP)

bench: $(COMPILED) $(BENCH_STAMP)
	$(BIN)/python scripts/bench.py --reps 3

bench-quick: $(COMPILED) $(BENCH_STAMP)
	$(BIN)/python scripts/bench.py --quick

bench-sweden: $(COMPILED) $(BENCH_STAMP)
	$(BIN)/python scripts/bench.py --sizes sweden --reps 1 --no-compare

clean:
	rm -rf out state .pytest_cache
