"""Soak: 1,000 wire items dropped into the folder of a running `make dev`, in 20 batches.

    make soak
    .venv/bin/python -m benchmarks.soak [--n 1000] [--batches 20] [--every 20] [--workdir DIR]

Why: the tests run the sensor a few times on a few files. Unattended operation is many launches
over a growing archive by long-lived processes; what must hold there is that every file is
processed exactly once, no run fails, the published file is what a full rebuild gives, and the
webserver, daemon and code servers do not grow.

How: ``deploy/dev.sh`` (what ``make dev`` runs: dagster-webserver and dagster-daemon, the file
sensor running, ticking every 5 s here) on a fresh ``DAGSTER_HOME``, input folder and database.
The first N records of the Reuters corpus are written by ``benchmarks.bench``'s writer into a
staging folder and moved into the input folder in B batches, one every ``--every`` seconds,
whatever the runs are doing (each file appears whole: a rename). Then it waits until the
instance has no queued or running run and the sensor has had two more ticks, and checks:

- every file read exactly once: the ``files_read`` of every run's ``raw_articles`` add up to N,
  and ``input_files`` holds N rows; the published ``raw_articles`` + ingest quarantine cover N;
- no run failed (every run on the instance, whatever launched it);
- the published file equals a full rebuild of the same folder into a separate path
  (``python -m assets.run``; ``storage.table_differences``, first-seen times aside);
- the resident memory (VmRSS) of the webserver, the daemon and the code servers (per role, the
  largest live process: the daemon replaces its code server now and then), sampled at the
  start, after the first batch and at the end, and its peak in between.

Figures and pass/fail lines, not a test (it takes ~10 minutes); exit status 1 when a check
fails. Skipped (exit 0) when the corpus is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks.bench import CORPUS, _children_map, _rss_kb, load_records, write_articles

REPO = Path(__file__).resolve().parent.parent
SENSOR_INTERVAL_S = 5
ROLES = {  # command-line fragment → role of a long-lived process
    "dagster-webserver": "webserver",
    "dagster-daemon": "daemon",
    "api grpc": "code server",
    "code-server": "code server",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--every", type=float, default=20.0, help="seconds between batches")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"soak: skipped: corpus not found at {CORPUS}")
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="wirehouse-soak-"))
    return soak(args, workdir)


def soak(args: argparse.Namespace, workdir: Path) -> int:
    home, staging, inbox = workdir / "home", workdir / "staging", workdir / "inbox"
    db = workdir / "out" / "news.duckdb"
    for folder in (home, inbox):
        folder.mkdir(parents=True)
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    records = load_records(args.n)
    files = write_articles(staging, records, range(len(records)))
    batches = [files[i :: args.batches] for i in range(args.batches)]  # 50 files each
    print(f"soak: {len(files)} articles in {len(batches)} batches, workdir {workdir}")

    with _instance(home):  # create the instance's storage once, before three processes race
        pass
    port = _free_port()
    env = _env(home, inbox, db, port)
    log = workdir / "dev.log"
    with open(log, "w") as out:
        dev = subprocess.Popen(
            ["bash", "deploy/dev.sh"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    sampler = RssSampler(dev.pid)
    started = time.monotonic()
    try:
        _wait(lambda: _graphql_ok(port), "the webserver", dev, log, 300)
        sampler.start()
        time.sleep(2 * SENSOR_INTERVAL_S)  # the daemon's first ticks load its code server
        first = sampler.sample("at the start")
        _move(batches[0], inbox)
        _wait(lambda: len(_published(db)) > 0, "the first publish", dev, log, 900)
        _wait(lambda: _idle(home), "the first runs", dev, log, 600)
        sampler.sample("after the first batch")
        for batch in batches[1:]:
            time.sleep(args.every)
            _move(batch, inbox)
        print(f"soak: all {len(files)} files dropped after {time.monotonic() - started:.0f} s")
        _wait(lambda: _settled(home, db, len(files)), "every file", dev, log, args.timeout)
        time.sleep(2 * SENSOR_INTERVAL_S + 2)  # two more ticks: nothing further is launched
        _wait(lambda: _idle(home), "the last runs", dev, log, 600)
        last = sampler.sample("at the end")
        elapsed = time.monotonic() - started
    finally:
        sampler.stop()
        _stop(dev)
    return report(home, inbox, db, workdir, len(files), first, last, sampler, elapsed)


# --- the dev processes ------------------------------------------------------------------------


def _env(home: Path, inbox: Path, db: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NEWS_ARTICLES_DIR": str(inbox),
        "NEWS_DUCKDB_PATH": str(db),
        "WIREHOUSE_SENSOR_INTERVAL_SECONDS": str(SENSOR_INTERVAL_S),
        "DAGSTER_PORT": str(port),
        "WIREHOUSE_BIN": str(Path(sys.executable).parent),
        "DAGSTER_DISABLE_TELEMETRY": "true",
        "GX_ANALYTICS_ENABLED": "false",
        "PYTHONPATH": str(REPO),  # every process runs this checkout's code, not an installed one
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql_ok(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": "{ version }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return "version" in json.loads(response.read()).get("data", {})
    except OSError:
        return False


def _wait(predicate, what: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise SystemExit(f"soak: make dev exited early:\n{log.read_text()[-4000:]}")
        time.sleep(2)
    raise SystemExit(f"soak: timed out waiting for {what}; log {log}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the whole process group (dev.sh, webserver, daemon, code servers)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)


def _move(batch: list[Path], inbox: Path) -> None:
    """Each file appears whole (a rename), never half written."""
    for path in batch:
        os.replace(path, inbox / path.name)


# --- state of the instance and of the published file -------------------------------------------


def _instance(home: Path):
    import dagster as dg

    return dg.DagsterInstance.from_config(str(home))


def _idle(home: Path) -> bool:
    import dagster as dg

    busy = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    with _instance(home) as instance:
        return not instance.get_runs(filters=dg.RunsFilter(statuses=busy))


def _published(db: Path) -> set[str]:
    """Input files the published file accounts for (as articles or in quarantine)."""
    import duckdb

    from pipeline.feed import file_of_source_path

    if not db.exists():
        return set()
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return set()
    try:
        rows = con.execute(
            "SELECT source_path FROM raw_articles UNION SELECT source_path FROM quarantine"
        ).fetchall()
    finally:
        con.close()
    return {file_of_source_path(r[0]) for r in rows}


def _settled(home: Path, db: Path, n: int) -> bool:
    return len(_published(db)) >= n and _idle(home)


def _runs(home: Path) -> list[dict]:
    """Every run: status, who launched it and how many files its raw_articles read."""
    import dagster as dg

    out = []
    with _instance(home) as instance:
        for run in reversed(instance.get_runs()):
            files_read = 0
            for record in instance.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            ).records:
                mat = record.event_log_entry.asset_materialization
                if mat.asset_key.to_user_string() == "raw_articles":
                    files_read += int(mat.metadata["files_read"].value)
            out.append(
                {
                    "status": run.status.value,
                    "launched_by": run.tags.get("wirehouse/launched_by", "?"),
                    "files_read": files_read,
                }
            )
    return out


# --- memory of the long-lived processes --------------------------------------------------------


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def long_lived(root: int) -> dict[int, str]:
    """pid → role of the webserver, the daemon and the code servers below ``root``."""
    children, found, stack = _children_map(), {}, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        cmd = _cmdline(pid)
        if "execute_run" in cmd or "execute_step" in cmd:
            continue  # a run's own process: short-lived by design
        role = next((r for fragment, r in ROLES.items() if fragment in cmd), None)
        if role:
            found[pid] = role
    return found


def rss_by_role(root: int) -> dict[str, tuple[int, int]]:
    """Role → (RSS in kB of its largest live process, number of live processes).

    Per role, not per pid: the daemon replaces its code server from time to time (for a moment
    old and new both live), so no code-server pid lives through the soak; the role does.
    """
    largest: dict[str, tuple[int, int]] = {}
    for pid, role in long_lived(root).items():
        kb = _rss_kb(pid)
        if kb:
            top, count = largest.get(role, (0, 0))
            largest[role] = (max(top, kb), count + 1)
    return largest


class RssSampler:
    """Samples the RSS of each role every 2 s in a thread; keeps the peak per role."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak: dict[str, int] = {}
        self.pids: set[int] = set()  # every long-lived process seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def sample(self, label: str) -> dict[str, tuple[int, int]]:
        now = self._measure()
        print(
            f"soak: RSS {label}: "
            + ", ".join(f"{role} {kb / 1024:.0f} MB" for role, (kb, _) in sorted(now.items()))
        )
        return now

    def _measure(self) -> dict[str, tuple[int, int]]:
        self.pids |= set(long_lived(self.root))
        now = rss_by_role(self.root)
        for role, (kb, _) in now.items():
            self.peak[role] = max(self.peak.get(role, 0), kb)
        return now

    def _poll(self) -> None:
        while not self._stop.wait(2.0):
            self._measure()


# --- the verdict --------------------------------------------------------------------------------


def report(home, inbox, db, workdir, n, first, last, sampler, elapsed) -> int:
    from pipeline import storage

    runs = _runs(home)
    statuses: dict[str, int] = {}
    launchers: dict[str, int] = {}
    for run in runs:
        statuses[run["status"]] = statuses.get(run["status"], 0) + 1
        launchers[run["launched_by"]] = launchers.get(run["launched_by"], 0) + 1
    files_read = sum(r["files_read"] for r in runs)
    counts = _counts(db)
    input_files = _input_files(storage.working_path_for(db))

    rebuild = workdir / "rebuild" / "news.duckdb"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "assets.run"],
        cwd=REPO,
        env={
            **{k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"},
            "NEWS_ARTICLES_DIR": str(inbox),
            "NEWS_DUCKDB_PATH": str(rebuild),
        },
        capture_output=True,
        text=True,
    )
    rebuild_s = time.monotonic() - started
    differences = (
        storage.table_differences(db, rebuild, storage.rebuilt_tables())
        if done.returncode == 0
        else [f"the full rebuild failed: {done.stderr[-2000:]}"]
    )

    checks = {
        f"every file read exactly once (files_read over all runs = {files_read}, N = {n})": (
            files_read == n
        ),
        f"input_files holds every file ({input_files} rows)": input_files == n,
        f"published raw_articles + quarantine cover every file ({counts['files']})": (
            counts["files"] == n
        ),
        f"no failed run ({statuses})": set(statuses) == {"SUCCESS"},
        "published file equals a full rebuild": not differences,
    }
    print(f"soak: {elapsed:.0f} s with make dev running; {len(runs)} runs by {launchers}")
    print(
        f"soak: published {counts['raw_articles']} raw_articles, {counts['articles']} articles, "
        f"{counts['quarantine']} quarantined, {counts['events']} events; full rebuild "
        f"{rebuild_s:.0f} s"
    )
    for role in sorted(last):
        (start_kb, n_start), (end_kb, n_end) = first.get(role, (0, 0)), last[role]
        print(
            f"soak: RSS {role} (largest of {n_start} → {n_end} processes): {start_kb / 1024:.0f} "
            f"MB at the start, {end_kb / 1024:.0f} MB at the end, peak "
            f"{sampler.peak[role] / 1024:.0f} MB"
        )
    print(f"soak: {len(sampler.pids)} long-lived processes seen in all")
    for text, ok in checks.items():
        print(f"soak: {'PASS' if ok else 'FAIL'} {text}")
    for difference in differences:
        print(f"soak:   {difference}")
    return 0 if all(checks.values()) else 1


def _counts(db: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("raw_articles", "articles", "quarantine", "events")
        }
    finally:
        con.close()
    counts["files"] = len(_published(db))
    return counts


def _input_files(working: Path) -> int:
    import duckdb

    con = duckdb.connect(str(working), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM input_files").fetchone()[0]
    finally:
        con.close()


if __name__ == "__main__":
    sys.exit(main())
