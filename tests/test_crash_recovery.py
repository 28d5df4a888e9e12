"""A run killed with SIGKILL: the next run marks it failed and publishes a full rebuild."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import dagster as dg
import pandas as pd
import pytest

from tests.conftest import REPO, SEEDS, run_pipeline, snapshot

TIMESTAMPS = ["ingested_at", "first_seen"]


def _env(home, articles, db):
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NEWS_ARTICLES_DIR": str(articles),
        "NEWS_DUCKDB_PATH": str(db),
    }
    return env


def _instance(home):
    return dg.DagsterInstance.from_config(str(home))


def _runs(home):
    with _instance(home) as instance:
        return {r.run_id: r.status for r in instance.get_runs()}


def _started(home, step):
    with _instance(home) as instance:
        for run in instance.get_runs():
            events = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            if any(e.step_key == step for e in events):
                return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["ner_spans", "deduplicated_events"])
def test_killed_run_is_failed_and_next_run_equals_full_rebuild(tmp_path, moment):
    home, articles, db = tmp_path / "home", tmp_path / "articles", tmp_path / "news.duckdb"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    shutil.copytree(SEEDS, articles)
    log = tmp_path / "killed.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.run"],
            cwd=REPO,
            env=_env(home, articles, db),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 180
    while not _started(home, moment):
        assert proc.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, "the run never reached the step"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(_runs(home).values()) == [dg.DagsterRunStatus.STARTED]

    again = subprocess.run(
        [sys.executable, "-m", "pipeline.run"],
        cwd=REPO,
        env=_env(home, articles, db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "failed: the process that ran it is gone" in again.stderr
    statuses = sorted(s.value for s in _runs(home).values())
    assert statuses == ["FAILURE", "SUCCESS"]

    full = run_pipeline(articles, tmp_path / "full.duckdb")
    a, b = snapshot(db), snapshot(full.db_path)
    for name in a:
        pd.testing.assert_frame_equal(
            a[name].drop(columns=TIMESTAMPS, errors="ignore"),
            b[name].drop(columns=TIMESTAMPS, errors="ignore"),
            obj=name,
        )
