"""How far back do new articles reach into the archive's canonical entity ids?

    .venv/bin/python -m benchmarks.id_churn --from BENCH_WORKDIR --to SCRATCH --first I [--k 1]

An exactly incremental story gathering (the research in ``pipeline/online_gathering.py``) can
replay from the first day whose articles changed, but its entity terms are canonical entity
ids, and canonicalization is corpus-wide: a new article can move the ids of old mentions (a
merge, a new majority name). This measures how often and how far back that happens.

How: the kept folder of a ``benchmarks.bench`` run (``--workdir`` there: ``articles/``,
``data/``, ``dagster_home/``) is copied to ``--to``; ``--k`` more articles, numbers ``--first``
onwards of the bench's own article writer (variants beyond the corpus), are written into the
copy, and the pipeline runs on it the way the sensor would (``python -m assets.run``). Then the
working database's entity mentions before and after are compared span by span.

Prints the mentions (and articles) of the earlier archive whose entity id moved, how many per
published day, the earliest such day against the archive's dates, and the articles whose
primary event id moved. Measured (session 12): one new file at 10,000 and at 19,043 articles
moved no old mention; 100 new files at 10,000 moved 4 mentions in 3 articles, the earliest 14
days back in a 33-day archive.

Then what the story gathering reads of each old article, its (entity id, label) pairs (a label
sets the term's weight): the articles whose pairs changed, by ids or by labels only, and the
first of them in the gathering's canonical order (published day, then article_id), from which a
run replays the gathering. Measured (session 14, +100 articles on the 10,101 of a
``make bench N=10000`` folder): 47 old mentions in 30 articles moved id; 35 of 9,918 old
articles' terms changed, 31 by ids and 4 by labels only, the first at position 1,123. Any of
them makes the gathering replay from there: the +1 % runs of ``make bench`` replay 87 % of the
archive at 10,000.

Figures, not assertions: nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from benchmarks.bench import load_records, write_articles  # noqa: E402
from pipeline import storage  # noqa: E402
from pipeline.dates import as_date  # noqa: E402
from pipeline.online_gathering import canonical_order  # noqa: E402

CORPUS_RECORDS = 19043


def snapshot(work: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(entity mentions with their article's published date, primary event per article)."""
    with storage.connect(work, read_only=True) as con:
        mentions = con.execute(
            "SELECT m.article_id, m.start_char, m.end_char, m.entity_id, m.label, "
            "a.published_date FROM entity_mentions m JOIN articles a USING (article_id)"
        ).df()
        primary = con.execute(
            "SELECT article_id, event_id FROM event_mentions WHERE is_primary"
        ).df()
    return mentions, primary


def report_gathering_terms(before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Old articles whose (entity id, label) pairs changed: what moves the gathering's replay."""

    def terms(mentions: pd.DataFrame) -> pd.Series:
        pairs = mentions.sort_values(["article_id", "entity_id", "label"])
        return pairs.groupby("article_id")[["entity_id", "label"]].apply(
            lambda g: tuple(zip(g["entity_id"], g["label"], strict=True))
        )

    old, new = terms(before), terms(after)
    ids_old = old.map(lambda t: tuple(sorted({e for e, _ in t})))
    ids_new = new.reindex(old.index).map(
        lambda t: tuple(sorted({e for e, _ in t})) if isinstance(t, tuple) else ()
    )
    changed = old.index[old != new.reindex(old.index)]
    by_ids = [a for a in changed if ids_old[a] != ids_new[a]]
    dates = before.drop_duplicates("article_id").set_index("article_id")["published_date"]
    dates = dates.sort_index()  # article_id order, as story_clusters numbers its rows
    order = canonical_order([as_date(d) for d in dates])
    position = {dates.index[row]: p for p, row in enumerate(order.tolist())}
    first = min((position[a] for a in changed), default=None)
    print(
        f"old articles whose entity terms changed: {len(changed)} of {len(old)} "
        f"({len(by_ids)} by ids, {len(changed) - len(by_ids)} by labels only); first in the "
        f"gathering's order: {first if first is not None else 'none'} of {len(position)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", required=True, help="a kept bench workdir")
    parser.add_argument("--to", required=True, help="scratch folder (replaced)")
    parser.add_argument("--first", type=int, required=True, help="first new article number")
    parser.add_argument("--k", type=int, default=1, help="how many new articles")
    args = parser.parse_args(argv)
    source, target = Path(args.source), Path(args.to)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, symlinks=True)
    work = target / "data" / ".news.work.duckdb"
    before, primary_before = snapshot(work)
    records = load_records(CORPUS_RECORDS)
    write_articles(target / "articles", records, range(args.first, args.first + args.k))
    env = {
        **os.environ,
        "NEWS_ARTICLES_DIR": str(target / "articles"),
        "NEWS_DUCKDB_PATH": str(target / "data" / "news.duckdb"),
        "DAGSTER_HOME": str(target / "dagster_home"),
        "GX_ANALYTICS_ENABLED": "false",
        "DAGSTER_DISABLE_TELEMETRY": "true",
    }
    subprocess.run(
        [sys.executable, "-m", "assets.run"], cwd=REPO, env=env, check=True, capture_output=True
    )
    after, primary_after = snapshot(work)
    joined = before.merge(
        after, on=["article_id", "start_char", "end_char"], suffixes=("_before", "_after")
    )
    moved = joined[joined["entity_id_before"] != joined["entity_id_after"]]
    print(
        f"+{args.k} file(s) on {before['article_id'].nunique()} articles: "
        f"{len(moved)} old mentions in {moved['article_id'].nunique()} articles moved entity id; "
        f"earliest {moved['published_date_before'].min()}, archive "
        f"{before['published_date'].min()}..{before['published_date'].max()}"
    )
    if len(moved):
        per_day = moved.groupby("published_date_before")["article_id"].nunique()
        print(per_day.to_string())
    report_gathering_terms(before, after)
    events = primary_before.merge(primary_after, on="article_id", suffixes=("_before", "_after"))
    changed = int((events["event_id_before"] != events["event_id_after"]).sum())
    print(f"articles whose primary event id moved: {changed} of {len(events)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
