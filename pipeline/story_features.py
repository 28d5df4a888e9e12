"""The weekdays each article's lead names, kept in the working database between runs.

The story clustering reads the weekdays an article's lead names (``stories.lead_weekdays``)
for the articles of every gathered group it may split: after the pair scoring and the linkage,
the costliest per-article work of the step, and a function of the article's text alone. Keyed
by a hash of the text, they are read once per article version; the clustering itself, which
depends on the whole corpus, runs in full on every run, so an incremental run gives exactly the
stories of a full rebuild. Measured on 10,000 Reuters items: the weekdays the step reads cost
0.45 s, reading them all back from this cache 0.03 s.

The shares are stored as DOUBLE (exact) with the position of each weekday in the Counter, as
the order a Counter is summed in is the order its float sums come out of.
"""

from __future__ import annotations

from collections import Counter

import duckdb
import pandas as pd

from pipeline.storage import keep_only, registered

KEYS = "weekday_cache_keys"
ROWS = "weekday_cache_rows"
# Part of the key: raise it when lead_weekdays (or the sentence splitting and date-line rules
# it reads leads with) changes what an article yields, so older entries are never served.
RULES_VERSION = "1"
WEEKDAY_KEY_SQL = f"sha256('weekdays{RULES_VERSION}|' || coalesce(text, ''))"


class LeadWeekdayCache:
    """Lead weekdays per article version (cache_key: :data:`WEEKDAY_KEY_SQL` of its text)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        con.execute(f"CREATE TABLE IF NOT EXISTS {KEYS} (cache_key VARCHAR)")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {ROWS} (cache_key VARCHAR, position INTEGER, "
            "weekday VARCHAR, share DOUBLE)"
        )

    def keys(self) -> pd.DataFrame:
        """article_id and cache_key of every article that is not a content duplicate."""
        return self.con.execute(
            f"SELECT article_id, {WEEKDAY_KEY_SQL} AS cache_key FROM articles "
            "WHERE duplicate_of IS NULL ORDER BY article_id"
        ).df()

    def read(self, articles: pd.DataFrame) -> dict[str, Counter]:
        """Cached weekdays per article_id of ``articles`` (article_id, cache_key); articles
        whose version is not cached are left out."""
        with registered(self.con, _arts=articles[["article_id", "cache_key"]]):
            known = self.con.execute(
                f"SELECT a.article_id FROM _arts a JOIN {KEYS} k USING (cache_key)"
            ).fetchall()
            rows = self.con.execute(
                f"SELECT a.article_id, r.weekday, r.share FROM _arts a JOIN {ROWS} r "
                "USING (cache_key) ORDER BY a.article_id, r.position"
            ).fetchall()
        out: dict[str, Counter] = {a: Counter() for (a,) in known}
        for article_id, weekday, share in rows:
            out[article_id][weekday] = share
        return out

    def add(self, weekdays: dict[str, Counter]) -> None:
        """Weekdays per cache_key (not yet cached)."""
        if not weekdays:
            return
        keys = pd.DataFrame({"cache_key": list(weekdays)}, dtype=object)
        rows = pd.DataFrame(
            [
                (key, position, day, float(share))
                for key, found in weekdays.items()
                for position, (day, share) in enumerate(found.items())
            ],
            columns=["cache_key", "position", "weekday", "share"],
        ).astype({"cache_key": object, "position": "int64", "weekday": object, "share": float})
        with registered(self.con, _keys=keys, _rows=rows):
            self.con.execute(f"INSERT INTO {KEYS} SELECT cache_key FROM _keys")
            self.con.execute(
                f"INSERT INTO {ROWS} SELECT cache_key, position, weekday, share FROM _rows"
            )

    def prune(self, keep: list[str]) -> None:
        """Forget versions no longer in the corpus, so the cache never outgrows it."""
        keep_only(self.con, (KEYS, ROWS), keep)

    def store(self, articles: pd.DataFrame, weekdays: dict[str, Counter], cached: set[str]):
        """After a run: add the weekdays computed in it (per article_id, those not in
        ``cached``) and prune to the versions of ``articles`` (inside the caller's
        transaction, beside the tables they helped make)."""
        key_of = dict(zip(articles["article_id"], articles["cache_key"], strict=True))
        fresh: dict[str, Counter] = {}
        for article_id, found in weekdays.items():
            key = key_of.get(article_id)
            if key is not None and article_id not in cached:
                fresh.setdefault(key, found)  # two articles of one text: one entry
        self.add(fresh)
        self.prune(articles["cache_key"].tolist())
