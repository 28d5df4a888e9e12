"""End to end under `dagster dev`: a file dropped into the folder reaches the published database.

Starts the real webserver and daemon on 127.0.0.1 with a temporary DAGSTER_HOME, input folder
and database, and stops every process it started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, SEEDS, published_source_paths

DEADLINE_S = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(f"dagster dev exited early:\n{log.read_text()[-4000:]}")
        time.sleep(2)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_file_dropped_into_folder_reaches_published_database(tmp_path):
    home, inbox, db = tmp_path / "home", tmp_path / "inbox", tmp_path / "out" / "news.duckdb"
    home.mkdir()
    inbox.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    seeds = sorted(SEEDS.glob("*.txt"))
    shutil.copy(seeds[0], inbox / seeds[0].name)
    port = _free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NEWS_ARTICLES_DIR": str(inbox),
        "NEWS_DUCKDB_PATH": str(db),
        "WIREHOUSE_SENSOR_INTERVAL_SECONDS": "5",
        "DAGSTER_PORT": str(port),
        "WIREHOUSE_BIN": str(Path(sys.executable).parent),
        "DAGSTER_DISABLE_TELEMETRY": "true",
    }
    log = tmp_path / "dagster-dev.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            ["bash", "deploy/dev.sh"],  # what `make dev` runs
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(lambda: seeds[0].name in published_source_paths(db), "the first file", proc, log)
        sensors = _graphql(
            port,
            '{ sensorsOrError(repositorySelector: {repositoryName: "__repository__", '
            'repositoryLocationName: "wirehouse"}) { ... on Sensors { results { id name '
            "sensorState { status } } } } }",
        )["data"]["sensorsOrError"]["results"]
        states = {s["name"]: s["sensorState"]["status"] for s in sensors}
        assert states == {
            "article_files_sensor": "RUNNING",
            "publish_after_partial_runs": "RUNNING",
        }

        shutil.copy(seeds[1], inbox / seeds[1].name)
        _wait_for(
            lambda: seeds[1].name in published_source_paths(db), "the dropped file", proc, log
        )
        assert published_source_paths(db) == {seeds[0].name, seeds[1].name}

        # The UI path: with the file sensor off, a user materializes raw_articles alone.
        file_sensor = next(s["id"] for s in sensors if s["name"] == "article_files_sensor")
        stopped = _graphql(
            port,
            f'mutation {{ stopSensor(id: "{file_sensor}") {{ __typename '
            "... on StopSensorMutationResult { instigationState { status } } } }",
        )
        assert stopped["data"]["stopSensor"]["instigationState"]["status"] == "STOPPED"
        shutil.copy(seeds[2], inbox / seeds[2].name)
        launched = _graphql(port, _LAUNCH_RAW_ARTICLES_ALONE)["data"]["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        _wait_for(
            lambda: seeds[2].name in published_source_paths(db),
            "the follow-up run to publish after raw_articles alone",
            proc,
            log,
        )
        assert published_source_paths(db) == {s.name for s in seeds[:3]}

        def all_runs():
            return _graphql(
                port,
                "{ runsOrError { ... on Runs { results { status startTime assetSelection "
                "{ path } tags { key value } } } } }",
            )["data"]["runsOrError"]["results"]

        # The file is published before the run's last step (the digest) ends.
        _wait_for(
            lambda: all(r["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for r in all_runs()),
            "every run to finish",
            proc,
            log,
        )
        runs = all_runs()
        summary = sorted(
            (
                r["startTime"] or 0,
                next((t["value"] for t in r["tags"] if t["key"] == "wirehouse/launched_by"), "ui"),
                r["status"],
                ",".join(sorted(a["path"][0] for a in r["assetSelection"] or [])),
            )
            for r in runs
        )
        origins = [origin for _, origin, _, _ in summary]
        assert origins == ["sensor", "sensor", "ui", "follow_up"], summary
        assert all(status == "SUCCESS" for _, _, status, _ in summary), summary
        assert "SupersessionWarning" not in log.read_text()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    leftovers = _group_members(proc.pid)
    if leftovers:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not leftovers, f"dagster dev left processes behind: {leftovers}"


_LAUNCH_RAW_ARTICLES_ALONE = """mutation { launchRun(executionParams: {
    selector: {repositoryLocationName: "wirehouse", repositoryName: "__repository__",
               jobName: "__ASSET_JOB", assetSelection: [{path: ["raw_articles"]}]},
    runConfigData: "{}"}) {
  __typename
  ... on LaunchRunSuccess { run { runId } }
  ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } }
  ... on InvalidSubsetError { message }
} }"""


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members
