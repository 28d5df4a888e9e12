"""Publishing never waits for readers: the published file is replaced, not written in place."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline import storage
from pipeline.schemas import Column, TableSchema
from tests.conftest import SEEDS, ReaderProcess, run_pipeline

NUMBERS = TableSchema("numbers", "Test table.", (Column("n", "INTEGER", "A number.", False),))


def _work(path, values):
    with storage.connect(path) as con:
        storage.write_table(con, NUMBERS, pd.DataFrame({"n": values}), order_by=["n"])


def test_publish_while_another_process_holds_the_file_open(tmp_path):
    work, published = tmp_path / ".news.work.duckdb", tmp_path / "news.duckdb"
    _work(work, [3, 1, 2])
    assert storage.publish(work, published, [NUMBERS]) == {"numbers": 3}

    with ReaderProcess(published, "SELECT sum(n) FROM numbers") as reader:
        assert reader.ask() == "6"
        _work(work, [10, 20])
        assert storage.publish(work, published, [NUMBERS]) == {"numbers": 2}
        con = duckdb.connect(str(published), read_only=True)
        assert con.execute("SELECT list(n ORDER BY n) FROM numbers").fetchone()[0] == [10, 20]
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'numbers'"
        ).fetchone()[0]
        con.close()
        assert comment == "Test table."
        assert reader.ask() == "6"  # the reader keeps its snapshot
    assert not list(tmp_path.glob("*.tmp*"))


def test_foreign_files_are_never_replaced(tmp_path):
    work = tmp_path / ".news.work.duckdb"
    _work(work, [1])
    other_app = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(other_app))
    con.execute("CREATE TABLE customers AS SELECT 42 AS id")
    con.close()
    notes = tmp_path / "notes.duckdb"
    notes.write_text("my notes\n")
    for victim in (other_app, notes):
        before = victim.read_bytes()
        with pytest.raises(storage.OutputPathError, match="not created by Wirehouse"):
            storage.publish(work, victim, [NUMBERS])
        assert victim.read_bytes() == before
    with pytest.raises(storage.OutputPathError, match="is a folder"):
        storage.check_output_path(tmp_path)


def test_own_files_are_replaced_and_stale_temporaries_removed(tmp_path):
    folder = tmp_path / "it's here"  # a quote in the path must not break the SQL
    folder.mkdir()
    work, published = folder / ".news.work.duckdb", folder / "news.duckdb"
    _work(work, [1, 2])
    storage.publish(work, published, [NUMBERS])
    storage.check_output_path(published)  # carries the marker: ours to replace
    stale = folder / ".news.duckdb.0123abcd.tmp"
    stale.write_bytes(b"half a database")
    _work(work, [5])
    assert storage.publish(work, published, [NUMBERS]) == {"numbers": 1}
    assert not stale.exists()


def test_run_refuses_a_foreign_output_before_any_work(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    other_app = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(other_app))
    con.execute("CREATE TABLE customers AS SELECT 42 AS id")
    con.close()
    before = other_app.read_bytes()
    run = run_pipeline(articles, other_app)
    assert not run.result.success
    assert other_app.read_bytes() == before
    assert not storage.working_path_for(other_app).exists()  # nothing was processed


NEWER_FORMAT = Path(__file__).parent / "fixtures" / "written-by-duckdb-2.0.1.duckdb.gz"


def _newer_duckdb_file(path: Path) -> bytes:
    """A real DuckDB 2.0.1 file (one table), which DuckDB 1.5 cannot open."""
    data = gzip.decompress(NEWER_FORMAT.read_bytes())
    path.write_bytes(data)
    return data


def test_files_of_a_newer_duckdb_get_a_clear_error_and_the_cache_is_set_aside(tmp_path):
    """After an upgrade that pins an older DuckDB, the published file is left alone with an
    error that says why and what to do; the working database (a cache) is renamed, not lost,
    and rebuilt from the input folder."""
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    published = tmp_path / "news.duckdb"
    working = storage.working_path_for(published)
    old_published, old_working = _newer_duckdb_file(published), _newer_duckdb_file(working)
    assert storage.written_by_newer_duckdb(published)

    with pytest.raises(storage.OutputPathError, match="written by a newer DuckDB"):
        storage.check_output_path(published)
    assert not run_pipeline(articles, published).result.success
    assert published.read_bytes() == old_published  # untouched

    published.rename(tmp_path / "news.duckdb.old")  # what the error tells the user to do
    run = run_pipeline(articles, published)
    assert run.result.success
    aside = list(tmp_path.glob(f"{working.name}.newer-duckdb-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == old_working
    assert len(run.query("SELECT * FROM articles")) == 5


def test_release_cache_frees_read_pages_and_keeps_the_limit(tmp_path):
    """A run's one connection would otherwise keep every table it read in DuckDB's pool."""
    path = tmp_path / "work.duckdb"
    with storage.connect(path) as con:
        con.execute(
            "CREATE TABLE t AS SELECT md5(range::VARCHAR) || md5((-range)::VARCHAR) AS s "
            "FROM range(1500000)"
        )
    with storage.connect(path) as con:

        def pool_mb() -> float:
            query = "SELECT sum(memory_usage_bytes) / 2**20 FROM duckdb_memory()"
            return con.execute(query).fetchone()[0]

        def limit_mib() -> float:
            setting = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
            value, unit = setting.split()
            return float(value) * {"MiB": 1, "GiB": 1024, "TiB": 1024**2}[unit]

        before = limit_mib()
        frame = con.execute("SELECT * FROM t").df()
        assert pool_mb() > 40  # the table's pages stay cached after the read
        storage.release_cache(con)
        assert pool_mb() <= 32  # down to the lowered limit
        assert before * 0.98 <= limit_mib() <= before  # set back, up to its rounding
        # the pool works at its full size again: a sort far beyond the 32 MB used to evict
        top = con.execute("SELECT s FROM t ORDER BY s DESC LIMIT 1").fetchone()[0]
        assert top == frame["s"].max()


def test_share_strings_keeps_values_missing_values_and_dtypes(tmp_path):
    with storage.connect(tmp_path / "w.duckdb") as con:
        frame = con.execute(
            "SELECT CASE WHEN range % 5 = 4 THEN NULL ELSE 'label' || (range % 3) END AS label, "
            "range AS n FROM range(50)"
        ).df()
    before = frame.copy()
    storage.share_strings(frame, ["label"])
    pd.testing.assert_frame_equal(frame, before, check_exact=True)
    present = frame["label"].dropna()
    assert present.map(id).nunique() == 3  # one object per distinct value
    assert frame["label"].isna().sum() == 10
