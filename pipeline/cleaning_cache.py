"""Cleaning that costs what is new: per-article results cached under everything they depend on.

Cleaning one article depends on its raw text, its record metadata, and which of its lines are
furniture of the whole corpus (lines found in a fifth of all articles). That set moves as the
corpus grows, but for any one article only the furniture lines *it contains* matter. So:

- every raw text's candidate lines are stored once (``furniture_lines``);
- each run counts them in SQL, over the whole corpus, which is cheap;
- an article's cleaning key hashes its text, metadata and the furniture lines it contains;
- only keys not seen before are cleaned (decoding rules, language detection); the rest come from
  ``cleaned_cache``. A line that becomes furniture re-cleans exactly the articles containing it.

The result is by construction the one a full rebuild computes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import duckdb
import pandas as pd

from pipeline import storage
from pipeline.articles import (
    OUTCOME_COLUMNS,
    CleaningOutcome,
    CleaningResult,
    assemble,
    clean_one,
)
from pipeline.cleaning import RULES_VERSION, furniture_line_keys, repeated_line_threshold
from pipeline.gc_pause import without_cycle_collection
from pipeline.parallel import ordered_map, processes_for
from pipeline.progress import Progress

LINES = "furniture_lines"
LINE_TEXTS = "furniture_line_texts"
CLEANED = "cleaned_cache"
CHUNK = 500  # articles per committed cache insert
_RAW = (
    "SELECT article_id, source_path, record_source, record_url, record_title, "
    "record_published_at, sha256(raw_text) AS text_key FROM raw_articles"
)


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE IF NOT EXISTS {LINE_TEXTS} (text_key VARCHAR)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {LINES} (text_key VARCHAR, line_key VARCHAR)")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {CLEANED} (clean_key VARCHAR, reason VARCHAR, "
        "detail VARCHAR, url VARCHAR, source VARCHAR, title VARCHAR, published_date DATE, "
        "published_date_origin VARCHAR, language VARCHAR, text VARCHAR, n_chars INTEGER, "
        "fingerprint VARCHAR)"
    )


@without_cycle_collection
def clean_corpus(
    con: duckdb.DuckDBPyConnection, log: Callable[[str], None] = lambda _: None
) -> tuple[CleaningResult, int]:
    """(articles and rejects of the whole corpus, number of articles actually cleaned)."""
    _ensure(con)
    raw = con.execute(_RAW).df().sort_values("source_path", kind="stable").reset_index(drop=True)
    if raw.empty:
        with storage.transaction(con):
            for table in (LINE_TEXTS, LINES, CLEANED):
                con.execute(f"DELETE FROM {table}")
        return assemble(raw, []), 0
    _store_line_keys(con, raw)
    raw["repeated"] = _repeated_lines_per_article(con, raw)
    raw["clean_key"] = pd.Series(
        [
            _clean_key(r.text_key, r.record_url, r.record_title, r.record_published_at, r.repeated)
            for r in raw.itertuples(index=False)
        ],
        dtype=object,
    )
    known = {r[0] for r in con.execute(f"SELECT clean_key FROM {CLEANED}").fetchall()}
    todo = raw[~raw["clean_key"].isin(known)].drop_duplicates("clean_key")
    progress = Progress("cleaning", len(todo), log)
    chunks = [todo.iloc[start : start + CHUNK] for start in range(0, len(todo), CHUNK)]
    jobs = (_cleaning_job(con, chunk) for chunk in chunks)
    cleaned = ordered_map(_clean_chunk, jobs, processes_for(len(todo)))
    for chunk, outcomes in zip(chunks, cleaned, strict=True):
        frame = pd.DataFrame([vars(o) for o in outcomes], columns=OUTCOME_COLUMNS)
        frame.insert(0, "clean_key", chunk["clean_key"].tolist())
        frame["published_date"] = pd.to_datetime(frame["published_date"]).dt.date
        with storage.transaction(con):
            con.register("_fresh", frame)
            try:
                con.execute(f"INSERT INTO {CLEANED} SELECT * FROM _fresh")
            finally:
                con.unregister("_fresh")
        progress.advance(len(chunk))
    outcomes = _cached_outcomes(con, raw["clean_key"])
    with storage.transaction(con):
        _prune(con, raw)
    return assemble(raw, outcomes), len(todo)


def _cleaning_job(con: duckdb.DuckDBPyConnection, chunk: pd.DataFrame) -> list[tuple]:
    """The arguments of :func:`clean_one` for each article of a chunk."""
    texts = _raw_texts(con, chunk["source_path"].tolist())
    return [
        (
            texts[r.source_path],
            frozenset(r.repeated.split("\n")) if r.repeated else frozenset(),
            r.record_published_at,
            r.record_url,
            r.record_title,
        )
        for r in chunk.itertuples(index=False)
    ]


def _clean_chunk(job: list[tuple]) -> list[CleaningOutcome]:
    return [clean_one(*args) for args in job]


def _store_line_keys(con: duckdb.DuckDBPyConnection, raw: pd.DataFrame) -> None:
    """Candidate furniture lines of raw texts not seen before."""
    seen = {r[0] for r in con.execute(f"SELECT text_key FROM {LINE_TEXTS}").fetchall()}
    new = raw[~raw["text_key"].isin(seen)].drop_duplicates("text_key")
    if new.empty:
        return
    texts = _raw_texts(con, new["source_path"].tolist())
    pairs = [
        (key, line)
        for key, path in zip(new["text_key"], new["source_path"], strict=True)
        for line in sorted(furniture_line_keys(texts[path]))
    ]
    with storage.transaction(con):
        con.register("_texts", new[["text_key"]])
        con.register("_lines", pd.DataFrame(pairs, columns=["text_key", "line_key"]))
        try:
            con.execute(f"INSERT INTO {LINE_TEXTS} SELECT text_key FROM _texts")
            con.execute(f"INSERT INTO {LINES} SELECT text_key, line_key FROM _lines")
        finally:
            con.unregister("_texts")
            con.unregister("_lines")


def _repeated_lines_per_article(con: duckdb.DuckDBPyConnection, raw: pd.DataFrame) -> list[str]:
    """Per article, the corpus furniture lines it contains, sorted and newline-joined."""
    needed = repeated_line_threshold(len(raw))
    con.register("_raw", raw[["source_path", "text_key"]])
    try:
        found = con.execute(
            f"""
            WITH counts AS (
                SELECT l.line_key, count(*) AS n FROM _raw r JOIN {LINES} l USING (text_key)
                GROUP BY l.line_key
            ), repeated AS (SELECT line_key FROM counts WHERE n >= ?)
            SELECT r.source_path, string_agg(l.line_key, chr(10) ORDER BY l.line_key) AS lines
            FROM _raw r JOIN {LINES} l USING (text_key) JOIN repeated USING (line_key)
            GROUP BY r.source_path
            """,
            [needed],
        ).fetchall()
    finally:
        con.unregister("_raw")
    by_path = dict(found)
    return [by_path.get(p, "") for p in raw["source_path"]]


def _clean_key(text_key, url, title, published, repeated: str) -> str:
    parts = [RULES_VERSION, text_key, *(_plain(v) for v in (url, title, published)), repeated]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _plain(value: object) -> str:
    if value is None or value != value:  # None, NaN, NaT
        return ""
    return str(value)


def _raw_texts(con: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, str]:
    con.register("_paths", pd.DataFrame({"source_path": paths}))
    try:
        rows = con.execute(
            "SELECT source_path, raw_text FROM raw_articles JOIN _paths USING (source_path)"
        ).fetchall()
    finally:
        con.unregister("_paths")
    return dict(rows)


def _cached_outcomes(con: duckdb.DuckDBPyConnection, keys: pd.Series) -> list[CleaningOutcome]:
    con.register("_keys", pd.DataFrame({"clean_key": keys, "position": range(len(keys))}))
    try:
        frame = con.execute(
            f"SELECT k.position, c.* EXCLUDE (clean_key) FROM _keys k "
            f"JOIN {CLEANED} c USING (clean_key) ORDER BY k.position"
        ).df()
    finally:
        con.unregister("_keys")
    frame = frame.drop(columns="position")
    frame = frame.astype(object).where(frame.notna(), None)
    return [CleaningOutcome(**row) for row in frame[OUTCOME_COLUMNS].to_dict("records")]


def _prune(con: duckdb.DuckDBPyConnection, raw: pd.DataFrame) -> None:
    """Forget what no current article needs, so the caches never outgrow the corpus."""
    con.register("_raw", raw[["text_key", "clean_key"]])
    try:
        for table, key in ((LINE_TEXTS, "text_key"), (LINES, "text_key"), (CLEANED, "clean_key")):
            con.execute(f"DELETE FROM {table} WHERE {key} NOT IN (SELECT {key} FROM _raw)")
    finally:
        con.unregister("_raw")
