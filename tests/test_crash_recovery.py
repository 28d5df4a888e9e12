"""A run killed with SIGKILL: the next run marks it failed and publishes a full rebuild.

Killed from outside while NER and event dedup run; killed from inside (the ``kill`` fault
action, at an exact moment) inside a step's uncommitted transaction, between the gates and the
publish, while the new file is written and once it is verified but not yet renamed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import dagster as dg
import pandas as pd
import pytest

from pipeline.storage import FAULT_ENV
from tests.conftest import REPO, SEEDS, run_pipeline, snapshot
from tests.faults import (
    assert_equals_full_rebuild,
    copy_state,
    drop_in_later_files,
    published_seeds,
    tmp_files,
)

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
            [sys.executable, "-m", "assets.run"],
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
        [sys.executable, "-m", "assets.run"],
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


@pytest.fixture(scope="module")
def published_three_seeds(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash_base")
    published_seeds(base, held_back=2)
    return base


@pytest.mark.parametrize(
    "moment",
    [
        "write:raw_articles",  # a table written, its step's transaction not yet committed
        "gates_passed",  # every gate passed, the publish not begun
        "publish:copy:events",  # the new file half written
        "publish:rename",  # the new file complete and verified, not yet renamed
    ],
)
def test_kill_at_a_write_or_publish_keeps_the_file_and_next_run_equals_full_rebuild(
    published_three_seeds, tmp_path, moment
):
    articles, db = copy_state(published_three_seeds, tmp_path / "state")
    drop_in_later_files(articles)
    before = db.read_bytes()
    env = {**_env(tmp_path / "no_home", articles, db), FAULT_ENV: json.dumps({moment: "kill"})}
    env.pop("DAGSTER_HOME")
    killed = subprocess.run(
        [sys.executable, "-m", "assets.run"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert db.read_bytes() == before  # the old version, byte for byte
    if moment == "publish:rename":
        assert tmp_files(db), "the kill should have left the verified new file behind"

    again = run_pipeline(articles, db)
    assert again.result.success
    assert tmp_files(db) == []
    assert_equals_full_rebuild(db, articles, tmp_path)
