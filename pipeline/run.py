"""``python -m pipeline.run``: materialize every asset once, in this process, and print a summary.

This is what ``make run`` calls. It runs on the Dagster instance of ``DAGSTER_HOME`` when set, so
the run shows up in the UI's run history next to scheduled ones.
"""

from __future__ import annotations

import sys
import time

import dagster as dg

from pipeline.definitions import ALL_ASSETS, ALL_CHECKS, build_resources
from pipeline.report import summarize


def materialize_all(
    articles_dir: str | None = None,
    duckdb_path: str | None = None,
    instance: dg.DagsterInstance | None = None,
    resources: dict | None = None,
) -> dg.ExecuteInJobResult:
    return dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        resources=resources or build_resources(articles_dir, duckdb_path),
        instance=instance,
        raise_on_error=False,
    )


def main() -> int:
    started = time.perf_counter()
    instance = dg.DagsterInstance.get() if _has_home() else None
    result = materialize_all(instance=instance)
    elapsed = time.perf_counter() - started
    resources = build_resources()
    path = resources["warehouse"].database_path
    path = path.get_value() if isinstance(path, dg.EnvVar) else path
    print(summarize(path, result, elapsed))
    return 0 if result.success else 1


def _has_home() -> bool:
    import os

    return bool(os.environ.get("DAGSTER_HOME"))


if __name__ == "__main__":
    sys.exit(main())
