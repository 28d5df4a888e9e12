"""Running the pipeline from the command line: the whole folder, or chosen files.

``python -m assets.run`` (``make run``) runs the ``process_files`` job: it reads every file that
is new or changed since it was last read (all of them the first time), refreshes every
corpus-level step and publishes. ``python -m assets.run FILE …`` (``make backfill FILES=…``)
also re-reads those files although they did not change (or retires them when they are gone).
Runs are recorded on the Dagster instance of ``DAGSTER_HOME`` when it is set, so they appear in
the UI's run history, tagged ``wirehouse/launched_by=cli``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import dagster as dg

from assets.definitions import build_definitions
from pipeline.report import summarize

# Step-level events stay in the run history; the terminal shows INFO and above.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def materialize_all(
    articles_dir: str | None = None,
    duckdb_path: str | None = None,
    instance: dg.DagsterInstance | None = None,
    only_files: list[str] | None = None,
    rescan_all: bool = False,
    launched_by: str = "cli",
) -> dg.ExecuteInJobResult:
    """Run ``process_files`` once: new/changed files (plus ``only_files``) in, tables published."""
    from assets.automation import LAUNCHED_BY, fail_dead_runs, ingest_config, process_tags

    defs = build_definitions(articles_dir, duckdb_path)
    job = defs.resolve_job_def("process_files")
    instance = instance or dg.DagsterInstance.ephemeral()
    for run_id in fail_dead_runs(instance):
        print(f"Marked run {run_id} failed: the process that ran it is gone.", file=sys.stderr)
    return job.execute_in_process(
        run_config={**ingest_config(only_files, rescan_all), **QUIET_LOGS},
        instance=instance,
        tags={LAUNCHED_BY: launched_by, **process_tags()},
        raise_on_error=False,
    )


def _value(setting: object) -> str:
    return setting.get_value() if isinstance(setting, dg.EnvVar) else str(setting)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assets.run", description=__doc__)
    parser.add_argument(
        "files",
        nargs="*",
        help="paths relative to NEWS_ARTICLES_DIR to read again; default: new and changed files",
    )
    parser.add_argument(
        "--rescan-all", action="store_true", help="read every file again (a full rebuild)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    result = materialize_all(
        instance=instance,
        only_files=args.files or None,
        rescan_all=args.rescan_all,
        launched_by="backfill" if args.files else "cli",
    )
    elapsed = time.perf_counter() - started
    from assets.definitions import build_resources
    from pipeline.lake import Lake
    from pipeline.profiles import lake_settings

    catalog, data_path = lake_settings()
    warehouse = build_resources()["warehouse"]
    published = Lake(catalog, data_path) if catalog else _value(warehouse.database_path)
    print(summarize(published, result, elapsed))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
