"""Time the whole pipeline on a folder, cold (empty NER cache) and warm, and print step times.

    .venv/bin/python benchmarks/pipeline_timings.py [FOLDER]

Without FOLDER: seeds/, then the ECB+ corpus when ../shared has it.

Figures, not assertions: performance is measured here, never in the test suite.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ECBPLUS = REPO.parent / "shared" / "corpora" / "ecbplus-dev" / "articles"


def step_durations(result) -> dict[str, float]:
    return {
        e.step_key: e.event_specific_data.duration_ms / 1000
        for e in result.all_events
        if e.event_type_value == "STEP_SUCCESS"
    }


def bench(folder: Path) -> None:
    import dagster as dg

    from assets.run import materialize_all

    files = [p for p in folder.rglob("*") if p.is_file()]
    n_bytes = sum(p.stat().st_size for p in files)
    print(f"\n== {folder} ({len(files)} files, {n_bytes / 1e6:.2f} MB)")
    with tempfile.TemporaryDirectory() as tmp:
        instance = dg.DagsterInstance.ephemeral()
        for label in ("cold", "warm"):
            started = time.perf_counter()
            result = materialize_all(str(folder), f"{tmp}/news.duckdb", instance=instance)
            elapsed = time.perf_counter() - started
            print(f"{label}: {'ok' if result.success else 'FAILED'} in {elapsed:.1f} s")
            slowest = sorted(step_durations(result).items(), key=lambda kv: -kv[1])[:6]
            for step, seconds in slowest:
                print(f"    {step:<50} {seconds:6.2f} s")


def main() -> None:
    import logging

    logging.getLogger("dagster").setLevel(logging.WARNING)
    if len(sys.argv) > 1:
        bench(Path(sys.argv[1]))
        return
    bench(REPO / "seeds")
    if ECBPLUS.is_dir():
        bench(ECBPLUS)
    else:
        print(f"\n(skipped ECB+: {ECBPLUS} not found)")


if __name__ == "__main__":
    main()
