"""Running the pipeline from the command line: the whole folder, or chosen files.

``python -m pipeline.run`` (``make run``) registers a partition for every input file and
processes them all, then every corpus-level step, in one run — a full rebuild.
``python -m pipeline.run FILE …`` (``make backfill FILES=…``) re-processes just those files (new,
changed or deleted) and refreshes the corpus-level tables. Runs are recorded on the Dagster
instance of ``DAGSTER_HOME`` when it is set, so they appear in the UI's run history.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import dagster as dg

from assets.automation import RANGE_END, RANGE_START
from assets.partitions import ARTICLE_FILES
from pipeline.definitions import ALL_ASSETS, ALL_CHECKS, build_resources
from pipeline.feed import contiguous_ranges, partition_key_for, scan
from pipeline.report import summarize

# Step-level events stay in the run history; the terminal shows INFO and above.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def register_files(instance: dg.DagsterInstance, folder: str | Path) -> list[str]:
    """Add a partition for every file not yet known; returns all keys in partition order."""
    known = instance.get_dynamic_partitions(ARTICLE_FILES.name)
    missing = sorted(set(scan(folder)) - set(known))
    if missing:
        instance.add_dynamic_partitions(ARTICLE_FILES.name, missing)
    return instance.get_dynamic_partitions(ARTICLE_FILES.name)


def run_for_keys(
    instance: dg.DagsterInstance, keys: list[str], resources: dict, order: list[str]
) -> list[dg.ExecuteInJobResult]:
    """One run per contiguous range of keys, each refreshing every corpus-level table."""
    results = []
    for start, end in contiguous_ranges(keys, order):
        results.append(
            dg.materialize(
                [*ALL_ASSETS, *ALL_CHECKS],
                resources=resources,
                instance=instance,
                tags={RANGE_START: start, RANGE_END: end},
                run_config=QUIET_LOGS,
                raise_on_error=False,
            )
        )
    return results


def materialize_all(
    articles_dir: str | None = None,
    duckdb_path: str | None = None,
    instance: dg.DagsterInstance | None = None,
    only_files: list[str] | None = None,
) -> dg.ExecuteInJobResult:
    """Process the folder (or only some files) and publish; returns the last run's result."""
    resources = build_resources(articles_dir, duckdb_path)
    folder = _value(resources["articles_folder"].path)
    instance = instance or dg.DagsterInstance.ephemeral()
    order = register_files(instance, folder)
    keys = order if only_files is None else [partition_key_for(f) for f in only_files]
    unknown = [k for k in keys if k not in order]
    if unknown:
        instance.add_dynamic_partitions(ARTICLE_FILES.name, unknown)
        order = instance.get_dynamic_partitions(ARTICLE_FILES.name)
    if not keys:
        raise SystemExit(f"No input files in {folder}")
    results = run_for_keys(instance, keys, resources, order)
    return next((r for r in results if not r.success), results[-1])


def _value(setting: object) -> str:
    return setting.get_value() if isinstance(setting, dg.EnvVar) else str(setting)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.run", description=__doc__)
    parser.add_argument(
        "files",
        nargs="*",
        help="paths relative to NEWS_ARTICLES_DIR to (re)process; default: every file",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
    result = materialize_all(instance=instance, only_files=args.files or None)
    elapsed = time.perf_counter() - started
    path = _value(build_resources()["warehouse"].database_path)
    print(summarize(path, result, elapsed))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
