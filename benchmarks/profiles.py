"""Wall times of the two profiles: the seeds, a backfill of N Reuters items, two runs at once.

    .venv/bin/python -m benchmarks.profiles [--n 2000] [--profiles embedded production]

For each profile, in fresh state folders (and, for ``production``, a fresh local Postgres from
``pipeline.localpg`` holding the Dagster instance and the DuckLake catalog), every run a
``python -m assets.run`` process configured by environment variables only:

- ``seeds``: the five seeds, cold (imports, model load and the first publish included);
- ``backfill``: then the first N dated-or-not Reuters items (``benchmarks.bench`` writes them),
  named on the command line as a backfill;
- ``sequential``: from the seeds again, two backfills of N/2 items each, one after the other;
- ``concurrent``: the same two backfills launched at the same moment.

Figures only (printed, and one JSON line prefixed ``PROFILES-RESULT``); nothing is asserted.
Needs ``../shared/corpora/reuters-21578``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench import CORPUS, load_records, write_articles

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def _environment(state: Path, articles: Path, profile: str) -> dict[str, str]:
    env = {
        **os.environ,
        "NEWS_ARTICLES_DIR": str(articles),
        "NEWS_DUCKDB_PATH": str(state / "news.duckdb"),
        "GX_ANALYTICS_ENABLED": "false",
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "DAGSTER_HOME": str(state / "dagster_home"),
    }
    home = state / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    if profile == "production":
        from pipeline.localpg import start

        pg = start(state / "pg")
        env.update(pg.environment(state / "lake_files"))
        shutil.copy(REPO / "deploy" / "dagster.production.yaml", home / "dagster.yaml")
    else:
        shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
        env.pop("WIREHOUSE_PROFILE", None)
    return env


def _launch(env: dict[str, str], names: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "assets.run", *names],
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _wait(procs: list[subprocess.Popen], logs: list[Path]) -> None:
    for proc, log in zip(procs, logs, strict=True):
        if proc.wait() != 0:
            raise SystemExit(f"a run failed; see {log}:\n{log.read_text()[-3000:]}")


def _timed(env: dict[str, str], batches: list[list[str]], logs: Path, at_once: bool) -> float:
    """Seconds from the first launch until every run (one per batch) has ended."""
    logs.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if at_once:
        files = [logs / f"run{i}.log" for i in range(len(batches))]
        _wait([_launch(env, b, f) for b, f in zip(batches, files, strict=True)], files)
    else:
        for i, batch in enumerate(batches):
            log = logs / f"run{i}.log"
            _wait([_launch(env, batch, log)], [log])
    return time.perf_counter() - started


def _fresh(base: Path, name: str, profile: str) -> tuple[Path, dict[str, str]]:
    """A state folder with the seeds processed and published (not timed)."""
    state, articles = base / name, base / name / "articles"
    shutil.copytree(SEEDS, articles)
    env = _environment(state, articles, profile)
    _timed(env, [[]], state / "logs_seeds", at_once=False)
    return articles, env


def _stop(base: Path) -> None:
    from pipeline.localpg import stop

    for pg in base.glob("*/pg"):
        stop(pg)


def measure(profile: str, n: int, records: list[dict], base: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    try:
        state = base / "cold"
        articles = state / "articles"
        shutil.copytree(SEEDS, articles)
        env = _environment(state, articles, profile)
        figures["seeds_s"] = _timed(env, [[]], state / "logs_seeds", at_once=False)
        names = [p.name for p in write_articles(articles, records, range(n))]
        figures["backfill_s"] = _timed(env, [names], state / "logs_backfill", at_once=False)

        half = n // 2
        for mode in ("sequential", "concurrent"):
            articles, env = _fresh(base, mode, profile)
            a = [p.name for p in write_articles(articles, records, range(half))]
            b = [p.name for p in write_articles(articles, records, range(half, n))]
            figures[f"{mode}_s"] = _timed(
                env, [a, b], base / mode / "logs", at_once=mode == "concurrent"
            )
    finally:
        _stop(base)
    return {k: round(v, 1) for k, v in figures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiles", description=__doc__)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--profiles", nargs="+", default=["embedded", "production"])
    parser.add_argument("--workdir", type=Path, default=None, help="kept; default: a temp dir")
    args = parser.parse_args(argv)
    if not CORPUS.is_file():
        print(f"profiles: no corpus at {CORPUS}; nothing measured")
        return 0
    import duckdb

    records = load_records(args.n)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wirehouse-profiles-"))
    result = {"articles": args.n, "duckdb": duckdb.__version__}
    for profile in args.profiles:
        figures = measure(profile, args.n, records, workdir / profile)
        result[profile] = figures
        print(f"{profile}: {figures}", flush=True)
    print("PROFILES-RESULT " + json.dumps(result))
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
