"""Cleaning and event detection on worker processes give exactly the serial tables."""

from __future__ import annotations

import os
import threading

import pandas as pd

from pipeline import parallel
from tests.conftest import run_pipeline, snapshot

TIMESTAMPS = ["ingested_at", "first_seen", "changed_at"]


def _square_all(chunk: list[int]) -> list[tuple[int, int]]:
    return [(x * x, os.getpid()) for x in chunk]


def test_ordered_map_keeps_order_and_reads_chunks_in_the_callers_thread():
    readers: list[int] = []

    def chunks():
        for start in range(0, 40, 4):
            readers.append(threading.get_ident())  # a DuckDB connection may be read here
            yield list(range(start, start + 4))

    out = list(parallel.ordered_map(_square_all, chunks(), 2))
    assert [x for part in out for x, _ in part] == [x * x for x in range(40)]
    workers = {pid for part in out for _, pid in part}
    assert os.getpid() not in workers and len(workers) >= 1
    assert set(readers) == {threading.get_ident()}


def test_one_process_stays_in_the_caller():
    out = list(parallel.ordered_map(_square_all, [[1, 2], [3]], 1))
    assert out == [[(1, os.getpid()), (4, os.getpid())], [(9, os.getpid())]]


def test_parallel_run_equals_serial_run(tmp_path, seed_run, monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_MIN_ITEMS", 1)
    assert parallel.processes_for(5) == min(os.cpu_count() or 1, parallel.MAX_PROCESSES)
    db = tmp_path / "parallel.duckdb"
    assert run_pipeline(seed_run.articles_dir, db).result.success
    ours, theirs = snapshot(db), snapshot(seed_run.db_path)
    assert len(ours["events"]) > 0
    for name in ours:
        a = ours[name].drop(columns=TIMESTAMPS, errors="ignore")
        b = theirs[name].drop(columns=TIMESTAMPS, errors="ignore")
        pd.testing.assert_frame_equal(a, b, obj=name)
