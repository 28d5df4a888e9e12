# Wirehouse: `make run` processes seeds/ into data/news.duckdb; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export NEWS_ARTICLES_DIR ?= seeds
export NEWS_DUCKDB_PATH ?= data/news.duckdb
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export GX_ANALYTICS_ENABLED ?= false
export DAGSTER_DISABLE_TELEMETRY ?= true
DAGSTER_PORT ?= 3000
CORPUS ?= ../shared/corpora/ecbplus-dev
N ?= 2000

.PHONY: install run test dev dev-prod lint eval eval-all clean backfill bench soak

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: deploy/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

run: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m assets.run

# Re-process some files (paths relative to NEWS_ARTICLES_DIR) and refresh every table:
#   make backfill FILES="001_f4281a91e2095c68.txt 003_6ff26e526b4dd854.txt"
# Without FILES every file is re-processed (same as `make run`).
backfill: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m assets.run $(FILES)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest

dev: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_PORT=$(DAGSTER_PORT) WIREHOUSE_BIN=$(BIN) bash deploy/dev.sh

# The same services on the production profile: Dagster and the DuckLake catalog in a local
# Postgres started from a pip wheel, Parquet files under .wirehouse_prod/lake (deploy/dev-prod.sh).
dev-prod: $(STAMP)
	DAGSTER_PORT=$(DAGSTER_PORT) WIREHOUSE_BIN=$(BIN) bash deploy/dev-prod.sh

lint: $(STAMP)
	$(BIN)/ruff check .

eval: $(STAMP)
	$(BIN)/python -m assets.evaluate $(CORPUS)

# Both labelled corpora in turn (each is skipped when absent).
EVAL_CORPORA ?= ../shared/corpora/ecbplus-dev ../shared/corpora/gvc-dev
eval-all: $(STAMP)
	@for corpus in $(EVAL_CORPORA); do $(BIN)/python -m assets.evaluate $$corpus || exit 1; done

# Speed and memory on N Reuters articles against a naive script and spaCy's ceiling (figures only):
#   make bench N=2000
bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench --n $(N)

# 1,000 Reuters articles dropped in 20 batches into a running `make dev` (~10 min, not in
# `make test`): each processed once, no failed run, equal to a full rebuild, RSS of the services.
soak: $(STAMP)
	$(BIN)/python -m benchmarks.soak

clean:
	rm -rf data .dagster_home .pytest_cache
