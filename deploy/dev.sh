#!/usr/bin/env bash
# `make dev`: the Dagster webserver and daemon, each started by its own command.
# (`dagster dev` does the same but is superseded and warns about it; `dg dev` needs the dg
# project layout.) The daemon runs the sensor, the schedule, run monitoring and the run queue.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${WIREHOUSE_BIN:-.venv/bin}"
port="${DAGSTER_PORT:-3000}"
"$bin/dagster-daemon" run -w workspace.yaml &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true' EXIT INT TERM
"$bin/dagster-webserver" -h 127.0.0.1 -p "$port" -w workspace.yaml
