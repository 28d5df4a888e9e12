"""The lead-weekday cache (pipeline/story_features.py) on real DuckDB files: what it serves is
what lead_weekdays computes, a changed text is never served, pruning forgets old versions, and
the story clustering gives the same stories with it as without."""

from collections import Counter

import duckdb
import pandas as pd

from pipeline.storage import registered
from pipeline.stories import lead_weekdays, story_clusters
from pipeline.story_features import KEYS, ROWS, LeadWeekdayCache

TEXTS = {
    "a1": "Gunman kills two\nA gunman shot two men on Friday night. Police said on Saturday "
    "that the men died. A vigil is planned for Friday.",
    "a2": "May 3, 2013\nTwo men shot dead\nTwo men were shot on Friday, police said Monday.",
    "a3": "Quarterly results\nThe company reported higher profits.",
    "a4": "Gunman kills two\nA gunman shot two men on Friday night. Police said on Saturday "
    "that the men died. A vigil is planned for Friday.",  # a copy of a1's text
}


def _database(path, texts: dict[str, str], duplicate: dict[str, str] | None = None):
    con = duckdb.connect(str(path))
    frame = pd.DataFrame(
        {
            "article_id": list(texts),
            "text": list(texts.values()),
            "duplicate_of": [(duplicate or {}).get(a) for a in texts],
        },
        dtype=object,
    )
    with registered(con, _frame=frame):
        con.execute("CREATE OR REPLACE TABLE articles AS SELECT * FROM _frame")
    return con


def _run(con) -> tuple[dict[str, Counter], set[str]]:
    """One step's use of the cache: read, compute what is missing, store."""
    cache = LeadWeekdayCache(con)
    versions = cache.keys()
    weekdays = cache.read(versions)
    cached = set(weekdays)
    texts = dict(
        zip(
            versions["article_id"],
            con.execute("SELECT text FROM articles WHERE duplicate_of IS NULL ORDER BY article_id")
            .fetchnumpy()["text"]
            .tolist(),
            strict=True,
        )
    )
    for article_id, text in texts.items():
        if article_id not in weekdays:
            weekdays[article_id] = lead_weekdays(text)
    con.execute("BEGIN TRANSACTION")
    cache.store(versions, weekdays, cached)
    con.execute("COMMIT")
    return weekdays, cached


def test_served_weekdays_equal_the_computed_ones_in_order(tmp_path):
    con = _database(tmp_path / "w.duckdb", TEXTS)
    first, cached = _run(con)
    assert cached == set()
    con.close()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))  # a later run, another connection
    served = LeadWeekdayCache(con).read(LeadWeekdayCache(con).keys())
    assert set(served) == set(TEXTS)
    for article_id, text in TEXTS.items():
        assert list(served[article_id].items()) == list(lead_weekdays(text).items())
    assert served["a3"] == Counter()  # no weekday named is cached too
    assert con.execute(f"SELECT count(*) FROM {KEYS}").fetchone()[0] == 3  # a4 is a1's text


def test_a_changed_text_is_not_served_and_pruning_forgets_old_versions(tmp_path):
    con = _database(tmp_path / "w.duckdb", TEXTS)
    _run(con)
    changed = {**TEXTS, "a1": TEXTS["a1"].replace("Friday", "Sunday")}
    del changed["a3"]
    changed["a4"] = "A new report\nIt happened on Tuesday."
    con.execute("DROP TABLE articles")
    con.close()
    con = _database(tmp_path / "w.duckdb", changed)
    cache = LeadWeekdayCache(con)
    served = cache.read(cache.keys())
    assert set(served) == {"a2"}
    weekdays, cached = _run(con)
    assert cached == {"a2"}
    assert weekdays["a1"] == lead_weekdays(changed["a1"])
    assert weekdays["a4"] == Counter({"tuesday": 1.0})
    keys = {k for (k,) in con.execute(f"SELECT cache_key FROM {KEYS}").fetchall()}
    assert keys == set(cache.keys()["cache_key"])  # a3 and the old a1 and a4 are gone
    rows = {k for (k,) in con.execute(f"SELECT DISTINCT cache_key FROM {ROWS}").fetchall()}
    assert rows <= keys
    served = cache.read(cache.keys())
    assert {a: list(c.items()) for a, c in served.items()} == {
        a: list(lead_weekdays(t).items()) for a, t in changed.items()
    }


def test_content_duplicates_are_left_out(tmp_path):
    con = _database(tmp_path / "w.duckdb", TEXTS, duplicate={"a4": "a1"})
    weekdays, _ = _run(con)
    assert set(weekdays) == {"a1", "a2", "a3"}


def test_story_clusters_are_the_same_with_the_cache(tmp_path):
    texts = {
        f"s{k:02d}": f"Shooting in town {k % 3}\nA man was shot on "
        f"{['Friday', 'Monday', 'Friday'][k % 3]} in town {k % 3}, police said. "
        f"The man, {20 + k}, was taken to hospital. Police in town {k % 3} seek a gunman."
        for k in range(12)
    }
    articles = pd.DataFrame(
        {
            "article_id": list(texts),
            "text": list(texts.values()),
            "published_date": pd.to_datetime(["2016-05-02"] * len(texts)),
        }
    )
    plain = story_clusters(articles)
    con = _database(tmp_path / "w.duckdb", texts)
    cache = LeadWeekdayCache(con)
    versions = cache.keys()
    known = cache.read(versions)
    assert story_clusters(articles, weekdays=known) == plain
    assert known  # the clustering read weekdays, and handed them back to be stored
    cache.store(versions, known, set())
    served = cache.read(versions)
    assert {a: list(c.items()) for a, c in served.items()} == {
        a: list(c.items()) for a, c in known.items()
    }
    assert story_clusters(articles, weekdays=served) == plain
