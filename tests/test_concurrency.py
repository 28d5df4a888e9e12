"""The published file under concurrency: readers never block runs; parallel runs never collide."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pandas as pd

from pipeline import storage
from tests.conftest import REPO, SEEDS, ReaderProcess, run_pipeline, snapshot

TIMESTAMPS = ["ingested_at", "first_seen"]


def test_run_succeeds_while_a_reader_holds_the_published_file(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    db = tmp_path / "news.duckdb"
    names = sorted(p.name for p in articles.iterdir())
    (articles / names[0]).unlink()
    assert run_pipeline(articles, db).result.success

    with ReaderProcess(db, "SELECT count(*) FROM articles") as reader:
        assert reader.ask() == "4"
        shutil.copy(SEEDS / names[0], articles / names[0])
        second = run_pipeline(articles, db)  # the reader stays attached throughout
        assert second.result.success
        assert second.query("SELECT count(*) AS n FROM articles")["n"].iloc[0] == 5
        assert reader.ask() == "4"  # its snapshot is intact


def test_parallel_backfills_serialize_and_match_a_full_rebuild(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    db = tmp_path / "news.duckdb"
    names = sorted(p.name for p in articles.iterdir())
    env = {**os.environ, "NEWS_ARTICLES_DIR": str(articles), "NEWS_DUCKDB_PATH": str(db)}
    env.pop("DAGSTER_HOME", None)
    batches = [names[0:2], names[2:4], names[4:5]]
    logs = [tmp_path / f"backfill-{i}.log" for i in range(len(batches))]
    # While this test holds the working database, all three backfills must queue, not fail.
    with storage.exclusive_lock(storage.working_path_for(db)):
        procs = []
        for batch, log in zip(batches, logs, strict=True):
            with open(log, "w") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "assets.run", *batch],
                        cwd=REPO,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        deadline = time.monotonic() + 240
        while not all("waiting for it to finish" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, "backfills never reached the lock"
            assert all(p.poll() is None for p in procs), "a backfill ended while the lock was held"
            time.sleep(0.5)
    for proc, log in zip(procs, logs, strict=True):
        proc.wait(timeout=300)
        out = log.read_text()
        assert proc.returncode == 0, out[-3000:]
        assert "Could not set lock" not in out and "IOException" not in out, out[-3000:]

    parallel = snapshot(db)
    full = run_pipeline(articles, tmp_path / "full.duckdb")
    rebuilt = snapshot(full.db_path)
    assert len(parallel["raw_articles"]) == 5
    for name in parallel:
        a = parallel[name].drop(columns=TIMESTAMPS, errors="ignore")
        b = rebuilt[name].drop(columns=TIMESTAMPS, errors="ignore")
        pd.testing.assert_frame_equal(a, b, obj=name)


def test_run_waits_for_a_reader_of_the_working_database(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    db = tmp_path / "news.duckdb"
    assert run_pipeline(articles, db).result.success
    reader = ReaderProcess(storage.working_path_for(db), "SELECT count(*) FROM articles")
    assert reader.ask() == "5"  # it holds the working file open
    release = threading.Timer(3.0, reader.__exit__, args=(None, None, None))
    release.start()
    started = time.monotonic()
    again = run_pipeline(articles, db)
    release.join()
    assert again.result.success
    assert time.monotonic() - started >= 3.0  # it waited instead of failing on the lock
