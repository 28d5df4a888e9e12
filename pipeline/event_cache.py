"""Sentence-level event detections kept in the working database between runs.

Finding event words, resolving stated dates and reading tense is most of the cost of the event
step and depends only on an article's text and publication date. Keyed by a hash of both, a
detection is computed once per article version; only participants (canonical entities, which
may change as the corpus grows) are attached afresh on every run, so an incremental run gives
exactly the candidates of a full rebuild.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.events import SENTENCE_EVENT_COLUMNS
from pipeline.storage import keep_only, registered

KEYS = "event_cache_keys"
ROWS = "event_cache_rows"
# A text and its publication date, as one key; DuckDB's sha256 hashes the UTF-8 bytes.
# Part of the key: raise it when the detection rules (event words, types, date resolution)
# change what an article yields, so a working database made by an older version detects again
# instead of serving the old candidates. 2: business briefs, fiscal periods (session 8).
RULES_VERSION = "2"
KEY_SQL = (
    f"sha256('{RULES_VERSION}|' || text || '|' || coalesce(CAST(published_date AS VARCHAR), ''))"
)


class SentenceEventCache:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        con.execute(f"CREATE TABLE IF NOT EXISTS {KEYS} (cache_key VARCHAR)")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {ROWS} (cache_key VARCHAR, sentence_index INTEGER, "
            "start_char INTEGER, end_char INTEGER, event_type VARCHAR, mode VARCHAR, "
            "trigger VARCHAR, trigger_start INTEGER, date_value DATE, date_precision VARCHAR, "
            "date_text VARCHAR, tense VARCHAR)"
        )

    def known(self) -> set[str]:
        return {r[0] for r in self.con.execute(f"SELECT cache_key FROM {KEYS}").fetchall()}

    def add(self, keys: list[str], rows: pd.DataFrame) -> None:
        """``rows`` in the layout of ``detect_sentence_events``, keyed in ``article_id``."""
        frame = rows.rename(columns={"article_id": "cache_key"})
        frame = frame.assign(date_value=pd.to_datetime(frame["date_value"]).dt.date)
        with registered(self.con, _keys=pd.DataFrame({"cache_key": keys}), _rows=frame):
            self.con.execute(f"INSERT INTO {KEYS} SELECT cache_key FROM _keys")
            cols = ", ".join(["cache_key", *SENTENCE_EVENT_COLUMNS[1:]])
            self.con.execute(f"INSERT INTO {ROWS} ({cols}) SELECT {cols} FROM _rows")

    def prune(self, keep: list[str]) -> None:
        """Forget versions no longer in the corpus, so the cache never outgrows it."""
        keep_only(self.con, (KEYS, ROWS), keep)

    def rows_for(self, articles: pd.DataFrame) -> pd.DataFrame:
        """Cached rows for (article_id, cache_key) pairs, in the detection layout."""
        cols = ", ".join(f"r.{c}" for c in SENTENCE_EVENT_COLUMNS[1:])
        with registered(self.con, _arts=articles[["article_id", "cache_key"]]):
            return self.con.execute(
                f"SELECT a.article_id, {cols} FROM _arts a JOIN {ROWS} r USING (cache_key) "
                "ORDER BY a.article_id, r.sentence_index, r.trigger_start, r.event_type, r.mode"
            ).df()
