"""Publishing never waits for readers: the published file is replaced, not written in place."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline import storage
from pipeline.schemas import Column, TableSchema
from tests.conftest import ReaderProcess

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
