"""Label-free sanity of event dedup on a real wire feed: do different companies' briefs merge?

    .venv/bin/python -m benchmarks.ticker_purity [--n 2000] [--keep DIR] [--db WORK.duckdb]
        [--top 8]

Reuters headlines name the company a brief is about by its ticker (``AM INTERNATIONAL <AM> 2ND
QTR JAN 31``). That gives a check that needs no labels: two reports of one happening are about
the same company, so the tickers in the headlines of one event's articles must connect (two
articles are linked when their headlines share a ticker; an article naming two companies, a
merger, links both). A cluster whose ticker-headline articles fall into two or more such groups
merged different companies' news.

How: the first ``--n`` *dated* records of ``../shared/corpora/reuters-21578/reuters.jsonl.gz``
are written as article files with ``benchmarks.bench``'s writer (headline, date line, blank line,
text) and the real pipeline runs on them into a temporary folder (``--keep DIR`` keeps the
published file and its working database there). ``--db WORK.duckdb`` skips the run: the event
candidates are detected again and ``deduplicate`` runs on a kept working database with the
current code (what ``make eval`` would publish), which takes seconds instead of minutes.

Prints:

* ``mixed``: the share of ticker-headline articles whose primary event's cluster is mixed
  (target ≤ 2 %; 67.7 % before issue #11);
* the largest clusters with their headlines, and for each the participant most of its members
  name (a canonical PERSON/ORG/GPE entity) with the share of members naming it; a cluster of
  more than 20 articles where no participant is named by half of its members is listed as
  ``no common participant``.

The same figures follow for **stories** (incident threads, ``articles.story_id``): a story joins
events, so it may only join the news of one company, and no story of more than 20 articles may
lack a common participant.

Figures, not assertions: nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.bench import CORPUS, article_file, load_records  # noqa: E402

TICKER = re.compile(r"<([A-Z0-9.&/-]{1,8})>")
PARTICIPANT_LABELS = frozenset({"PERSON", "ORG", "GPE"})
LARGE_CLUSTER = 20  # the bound: no cluster above this size without a common participant
COMMON_SHARE = 0.5  # a participant named by at least this share of a cluster's members


def dated_records(n: int) -> list[dict]:
    """The first ``n`` records that carry a publication time."""
    out = []
    for rec in load_records(n + 100):
        if rec.get("published_at"):
            out.append(rec)
        if len(out) == n:
            break
    return out


def write_folder(folder: Path, records: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(len(records)):
        name, content = article_file(records, i)
        (folder / name).write_text(content, encoding="utf-8")


def tickers(title: object) -> set[str]:
    return set(TICKER.findall(title)) if isinstance(title, str) else set()


def mixed_clusters(cluster_of: dict[str, object], title_of: dict[str, str]) -> set[object]:
    """Clusters whose ticker-headline members fall into two or more groups sharing no ticker."""
    by_cluster: dict[object, list[set[str]]] = defaultdict(list)
    for a, c in cluster_of.items():
        t = tickers(title_of.get(a))
        if t:
            by_cluster[c].append(t)
    mixed = set()
    for c, sets in by_cluster.items():
        # Connected components of tickers: union every headline's tickers.
        parent: dict[str, str] = {}
        for s in sets:
            first, *rest = sorted(s)
            for other in rest:
                parent[_find(parent, other)] = _find(parent, first)
        if len({_find(parent, next(iter(s))) for s in sets}) > 1:
            mixed.add(c)
    return mixed


def _find(parent: dict[str, str], x: str) -> str:
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def stories_from_db(published: Path) -> dict[str, str]:
    """article_id -> story_id as published."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        return dict(
            con.execute(
                "SELECT article_id, story_id FROM articles WHERE story_id IS NOT NULL"
            ).fetchall()
        )
    finally:
        con.close()


def primary_clusters_from_db(published: Path) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame]:
    con = duckdb.connect(str(published), read_only=True)
    try:
        prim = dict(
            con.execute(
                "SELECT article_id, event_id FROM event_mentions WHERE is_primary"
            ).fetchall()
        )
        arts = con.execute(
            "SELECT article_id, title, published_date, duplicate_of FROM articles"
        ).df()
        named = con.execute("SELECT article_id, entity_id, label FROM entity_mentions").df()
        names = con.execute("SELECT entity_id, name FROM entities").df()
        named = named.merge(names, on="entity_id", how="left")
        return prim, arts, named
    finally:
        con.close()


def primary_clusters_offline(
    work: Path,
) -> tuple[dict[str, str], pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Detect event candidates, deduplicate and thread again, with the current code, from a
    work DB: (primary event per article, articles, named entities, story per article)."""
    from benchmarks.dedup_stability import load
    from pipeline.dedup import deduplicate
    from pipeline.events import detect_event_mentions
    from pipeline.threads import build_stories

    tables = load(work)
    arts, entities, named = tables["articles"], tables["entities"], tables["mentions"]
    live = arts[arts["duplicate_of"].isna()]
    cands = detect_event_mentions(live[["article_id", "text", "published_date"]], named)
    events, mentions = deduplicate(
        cands,
        arts[["article_id", "published_date", "source", "text", "duplicate_of"]],
        entities,
        entity_mentions=named[["article_id", "entity_id", "label"]],
    )
    _, _, story_of = build_stories(events, mentions, arts, named)
    prim = mentions[mentions["is_primary"]]
    named = named.merge(entities[["entity_id", "name"]], on="entity_id", how="left")
    return dict(zip(prim["article_id"], prim["event_id"], strict=True)), arts, named, story_of


def report(prim: dict[str, str], arts: pd.DataFrame, named: pd.DataFrame, top: int) -> str:
    title_of = dict(zip(arts["article_id"], arts["title"], strict=True))
    date_of = dict(zip(arts["article_id"], arts["published_date"], strict=True))
    live = arts
    if "duplicate_of" in arts.columns:
        live = arts[arts["duplicate_of"].isna()]
    all_ticker = [a for a in live["article_id"] if tickers(title_of.get(a))]
    with_ticker = [a for a in prim if tickers(title_of.get(a))]
    mixed = mixed_clusters(prim, title_of)
    n_mixed = sum(prim[a] in mixed for a in with_ticker)
    members: dict[str, list[str]] = defaultdict(list)
    for a, c in prim.items():
        members[c].append(a)
    named = named[named["label"].isin(PARTICIPANT_LABELS)]
    names_of: dict[str, set[str]] = defaultdict(set)
    for a, name in zip(named["article_id"], named["name"], strict=True):
        names_of[a].add(name)
    lines = [
        f"articles with a primary event  {len(prim)}  in {len(members)} clusters",
        f"ticker-headline articles       {len(all_ticker)}  ({len(with_ticker)} with a primary "
        "event; the others are in no event, so in no mixed one)",
        f"mixed                          {n_mixed / max(len(all_ticker), 1):.1%}  ({n_mixed}; "
        f"{n_mixed / max(len(with_ticker), 1):.1%} of those with an event; {len(mixed)} clusters "
        "whose headline tickers never connect)",
    ]
    largest = sorted(members.values(), key=lambda m: (-len(m), min(m)))
    uncommon = []
    for m in largest:
        if len(m) <= LARGE_CLUSTER:
            break
        counts = Counter(n for a in m for n in names_of.get(a, ()))
        if not counts or counts.most_common(1)[0][1] < COMMON_SHARE * len(m):
            uncommon.append(len(m))
    lines.append(f"largest cluster                {len(largest[0]) if largest else 0}")
    lines.append(
        f"clusters > {LARGE_CLUSTER} with no common participant  {len(uncommon)}  {uncommon}"
    )
    for m in largest[:top]:
        counts = Counter(n for a in m for n in names_of.get(a, ()))
        common = counts.most_common(1)
        who = f"{common[0][0]} ({common[0][1] / len(m):.0%})" if common else "nobody"
        flag = " MIXED" if prim[m[0]] in mixed else ""
        lines.append(f"-- {len(m)} articles, most named: {who}{flag}")
        for a in sorted(m, key=lambda a: (str(date_of.get(a)), a))[:8]:
            lines.append(f"     {date_of.get(a)}  {title_of.get(a)}")
        if len(m) > 8:
            lines.append(f"     … {len(m) - 8} more")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--keep", help="folder to keep the articles and databases in")
    parser.add_argument("--db", help="working database of an earlier run: dedup again offline")
    parser.add_argument("--top", type=int, default=8, help="largest clusters to print")
    args = parser.parse_args()
    if args.db:
        prim, arts, named, story_of = primary_clusters_offline(Path(args.db))
        print(report(prim, arts, named, args.top))
        print("\nStories (incident threads):")
        print(report(story_of, arts, named, args.top))
        return 0
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} not found")
        return 0
    from assets.run import materialize_all

    with tempfile.TemporaryDirectory(prefix="wirehouse-tickers-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        write_folder(folder / "articles", dated_records(args.n))
        published = folder / "news.duckdb"
        result = materialize_all(articles_dir=str(folder / "articles"), duckdb_path=str(published))
        if not result.success:
            print("pipeline run failed", file=sys.stderr)
            return 1
        prim, arts, named = primary_clusters_from_db(published)
        print(report(prim, arts, named, args.top))
        print("\nStories (incident threads):")
        print(report(stories_from_db(published), arts, named, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
