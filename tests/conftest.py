"""Shared fixtures: real pipeline runs on real files, into DuckDB files under tmp paths."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.run import materialize_all
from pipeline.schemas import PUBLISHED_TABLES

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@dataclass
class PipelineRun:
    articles_dir: Path
    db_path: Path
    result: object

    def query(self, sql: str) -> pd.DataFrame:
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()


def run_pipeline(articles_dir: Path, db_path: Path) -> PipelineRun:
    result = materialize_all(articles_dir=str(articles_dir), duckdb_path=str(db_path))
    return PipelineRun(articles_dir, db_path, result)


def published_source_paths(db: Path) -> set[str]:
    """Source paths of the published articles; empty while the file is missing or being replaced."""
    if not db.exists():
        return set()
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:
        return set()
    try:
        return {r[0] for r in con.execute("SELECT source_path FROM articles").fetchall()}
    finally:
        con.close()


def snapshot(db_path: Path) -> dict[str, pd.DataFrame]:
    """Every published table, fully sorted, for equality comparisons."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = {}
        for t in PUBLISHED_TABLES:
            df = con.execute(f'SELECT * FROM "{t.name}"').df()
            tables[t.name] = df.sort_values(list(df.columns[:3])).reset_index(drop=True)
        return tables
    finally:
        con.close()


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    base = tmp_path_factory.mktemp("seed_run")
    articles = base / "articles"
    shutil.copytree(SEEDS, articles)
    run = run_pipeline(articles, base / "news.duckdb")
    assert run.result.success, "the pipeline must succeed on the seeds"
    return run


class ReaderProcess:
    """Another process that holds a DuckDB file open read-only and answers one query on demand.

    Used as a context manager; ``ask()`` makes it run the query again on its open connection.
    """

    def __init__(self, db_path: Path, query: str) -> None:
        script = textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(db_path)!r}, read_only=True)
            for _ in iter(sys.stdin.readline, ""):
                print(con.execute({query!r}).fetchone()[0], flush=True)
        """)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self) -> str:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def __enter__(self) -> ReaderProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def span_rows(text: str, spans: list[tuple[str, str]], article_id: str = "a1") -> pd.DataFrame:
    """``ner_spans`` rows for (surface, label) spans found in ``text`` in order, as spaCy gives
    them: what canonicalization reads, without running the model."""
    rows, pos = [], 0
    for surface, label in spans:
        start = text.index(surface, pos)
        rows.append(
            {
                "article_id": article_id,
                "sentence_index": 0,
                "start_char": start,
                "end_char": start + len(surface),
                "text": surface,
                "ner_label": label,
            }
        )
        pos = start + len(surface)
    return pd.DataFrame(rows)
