"""No silent shrinkage: a table may lose rows only when the input files they came from are gone.

Gates check that a table is consistent, not that it is complete: a crash that emptied the
working ``raw_articles`` between two commits, or a file that could not be listed and was taken
for deleted, leaves a smaller state that is perfectly consistent, and every gate passes. So
before publishing, every table is compared with the previously published file (when it is
Wirehouse's) and with the input folder:

- A previous row is **explained** when its input file is gone (neither in the working
  ``input_files`` nor on disk) or was rewritten (the working state holds a different version of
  it: other content hashes or quarantine reasons).
- A table that carries its rows' source (``raw_articles``, ``articles``, ``quarantine``,
  ``entity_mentions``, ``event_mentions``) must keep at least ``1 - max_share`` of the previous
  rows that are not explained.
- The other tables are derived from those and reconciled with them by their gates; they may
  shrink by more than ``max_share`` only when some input file of the previous version is gone
  or rewritten.

A shrink that breaks this fails the publish with one sentence per table naming how much it
shrank and why that is not explained; the published file stays as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from pipeline import storage
from pipeline.feed import file_of_source_path
from pipeline.schemas import TableSchema

DEFAULT_MAX_SHRINK_SHARE = 0.2
SHRINK_ENV = "WIREHOUSE_MAX_SHRINK_SHARE"

# Tables whose rows name their source; the SQL gives one source_path per row.
LINEAGE = {
    "raw_articles": "SELECT source_path FROM {db}.raw_articles",
    "articles": "SELECT source_path FROM {db}.articles",
    "quarantine": "SELECT source_path FROM {db}.quarantine",
    "entity_mentions": "SELECT a.source_path FROM {db}.entity_mentions m "
    "JOIN {db}.articles a USING (article_id)",
    "event_mentions": "SELECT a.source_path FROM {db}.event_mentions m "
    "JOIN {db}.articles a USING (article_id)",
}
# What a file's version is made of: content hashes of its articles, reasons of its rejections.
_VERSION_SQL = (
    "SELECT source_path, sha256 AS part FROM {db}.raw_articles "
    "UNION ALL SELECT source_path, stage || ':' || reason FROM {db}.quarantine"
)


def max_shrink_share(configured: float) -> float:
    """``WIREHOUSE_MAX_SHRINK_SHARE`` when set (1 accepts any shrink once), else the resource's."""
    value = os.environ.get(SHRINK_ENV)
    return float(value) if value else configured


@dataclass(frozen=True)
class Shrinkage:
    """One table's row count before and after, and how many of the lost rows are explained."""

    table: str
    previous: int
    now: int
    explained: int | None  # None: the table does not carry its rows' source
    inputs_changed: bool  # some input file of the previous version is gone or rewritten

    @property
    def share(self) -> float:
        return (self.previous - self.now) / self.previous if self.previous else 0.0

    def unexplained(self, max_share: float) -> bool:
        if self.now >= self.previous * (1 - max_share):
            return False
        if self.explained is None:
            return not self.inputs_changed
        return self.now < (self.previous - self.explained) * (1 - max_share)

    def describe(self) -> str:
        head = f"{self.table} would shrink from {self.previous:,} to {self.now:,} rows "
        head += f"({self.share:.0%})"
        if self.explained is None:
            return head + ", and no input file of the published version is gone or rewritten"
        return (
            head + f", but only {self.explained:,} of the lost rows came from input files that "
            "are gone or rewritten: the rest belong to files still in the folder and unchanged"
        )


def measure(
    work: duckdb.DuckDBPyConnection,
    published_path,
    articles_root: str | os.PathLike[str],
    tables: Iterable[TableSchema],
) -> list[Shrinkage]:
    """Every table that holds fewer rows than in the published file (none when there is none).

    ``work`` is a connection to the working database; the published file is attached to it
    read-only for the duration of the call (a DuckDB file, or the production profile's lake).
    """
    if not storage.published_exists(published_path):
        return []
    storage.attach_published(work, published_path, "previous")
    try:
        present = _tables(work, "previous")
        if "raw_articles" not in present:
            return []
        explained_files = _explained_files(work, Path(articles_root))
        found = []
        for schema in tables:
            if schema.name not in present:
                continue
            before = _count(work, f'previous."{schema.name}"')
            now = _count(work, f'"{schema.name}"')
            if now >= before:
                continue
            explained = _explained_rows(work, schema.name, explained_files)
            found.append(Shrinkage(schema.name, before, now, explained, bool(explained_files)))
        return found
    finally:
        work.execute("DETACH previous")


def problems(shrinkages: Iterable[Shrinkage], max_share: float) -> list[str]:
    """One sentence per table whose shrink the inputs do not explain."""
    return [s.describe() for s in shrinkages if s.unexplained(max_share)]


def _explained_files(work: duckdb.DuckDBPyConnection, root: Path) -> set[str]:
    """Input files of the published version that are gone or whose working version differs."""
    before = _versions(work, "previous")
    after = _versions(work, "main")
    listed = {r[0] for r in work.execute("SELECT relative_path FROM input_files").fetchall()}
    explained = set()
    for file, version in before.items():
        gone = file not in listed and not os.path.lexists(root / file)
        rewritten = file in after and after[file] != version
        if gone or rewritten:
            explained.add(file)
    return explained


def _versions(work: duckdb.DuckDBPyConnection, db: str) -> dict[str, frozenset]:
    rows = work.execute(_VERSION_SQL.format(db=db)).fetchall()
    versions: dict[str, set] = {}
    for source_path, part in rows:
        versions.setdefault(file_of_source_path(source_path), set()).add((source_path, part))
    return {f: frozenset(v) for f, v in versions.items()}


def _explained_rows(work: duckdb.DuckDBPyConnection, table: str, files: set[str]) -> int | None:
    """Rows of the published table that came from explained files (None: no lineage)."""
    if table not in LINEAGE:
        return None
    if not files:
        return 0
    paths = work.execute(
        f"SELECT source_path, count(*) AS n FROM ({LINEAGE[table].format(db='previous')}) "
        "GROUP BY source_path"
    ).df()
    of_file = paths["source_path"].map(file_of_source_path)
    return int(pd.to_numeric(paths["n"][of_file.isin(files)]).sum())


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [database]
    ).fetchall()
    return {r[0] for r in rows}


def _count(con: duckdb.DuckDBPyConnection, qualified: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0])
