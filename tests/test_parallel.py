"""Cleaning and event detection on worker processes give exactly the serial tables."""

from __future__ import annotations

import os
import threading

import pandas as pd
import pytest

from pipeline import parallel
from pipeline.ner import MODEL_NAME, iter_mentions
from tests.conftest import run_pipeline, snapshot
from tests.parallel_probe import fail_on_negative, squares_with_pid

TIMESTAMPS = ["ingested_at", "first_seen", "changed_at"]


def test_ordered_map_keeps_order_and_reads_chunks_in_the_callers_thread():
    readers: list[int] = []

    def chunks():
        for start in range(0, 40, 4):
            readers.append(threading.get_ident())  # a DuckDB connection may be read here
            yield list(range(start, start + 4))

    out = list(parallel.ordered_map(squares_with_pid, chunks(), 2))
    assert [x for part in out for x, _ in part] == [x * x for x in range(40)]
    workers = {pid for part in out for _, pid in part}
    assert os.getpid() not in workers and len(workers) == 2
    assert set(readers) == {threading.get_ident()}


def test_one_process_stays_in_the_caller():
    out = list(parallel.ordered_map(squares_with_pid, [[1, 2], [3]], 1))
    assert out == [[(1, os.getpid()), (4, os.getpid())], [(9, os.getpid())]]


def test_a_failing_call_raises_in_the_caller_with_the_workers_traceback():
    with pytest.raises(parallel.WorkerError, match="negative item in \\[3, -1\\]"):
        list(parallel.ordered_map(fail_on_negative, [[1], [2], [3, -1], [4]], 2))


def test_parallel_run_equals_serial_run(tmp_path, seed_run, monkeypatch):
    """Cleaning and event words on workers: the seeds' tables unchanged."""
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


def test_ner_on_two_workers_gives_the_spans_of_one_process(seed_run):
    articles = seed_run.query("SELECT article_id, text FROM articles ORDER BY article_id")
    one = pd.concat(frame for _, frame in iter_mentions(articles, MODEL_NAME, 32, 1, 2))
    two = list(iter_mentions(articles, MODEL_NAME, 32, 2, 2))
    # Chunks of at most 2, fewer for a batch this small (several per worker), longest first.
    assert [len(ids) for ids, _ in two] == [1, 1, 1, 1, 1]
    lengths = articles.set_index("article_id")["text"].str.len()
    assert [lengths[ids[0]] for ids, _ in two] == sorted(lengths, reverse=True)
    two_spans = pd.concat(frame for _, frame in two)
    assert len(one) > 50 and "Blinken" in set(one["text"])
    pd.testing.assert_frame_equal(one.reset_index(drop=True), two_spans.reset_index(drop=True))
