"""How stable is story clustering across topic subsets and parameter choices?

    .venv/bin/python benchmarks/dedup_stability.py [--db KEPT.duckdb] [--corpus DIR]
        [--gather 0.08,0.1,0.12] [--ncut 0.7,0.8,0.9] [--same-days 7,30,90]
        [--same-weekday-ncut 0.65,0.7,0.75] [--other-weekday-ncut 0.9,0.95,1.0]
        [--cover 0.67,0.75,0.9] [--principal-share 0.0025,0.005,0.01] [--stray-days 30,90,365]
        [--full] [--topics 22,18]
        [--thread-names 3,4,6] [--thread-evidence 1,2,3] [--thread-gap-days 365,1095,1825]
        [--threads-only]

Runs the pipeline once (or reuses a database kept by ``python -m assets.evaluate --keep``),
recomputes the event candidates from the kept tables, then re-clusters stories offline for every
parameter pair and prints B³ F1 on all topics, on odd- and on even-numbered topics (a corpus with
one topic, such as gvc-dev, is halved by incident instead: odd and even gold cluster numbers). A
setting that is good on one half only is tuned to documents rather than to the kind of text, so
pick the one good on both. ``--cover`` and ``--principal-share`` vary the principal-participant
split (``stories.PRINCIPAL_COVER``, ``stories.PRINCIPAL_SHARE``), ``--stray-days`` the gap after
which an article naming none of its story's people leaves it (``stories.STRAY_GAP``). ``--full``
also scores the
whole dedup (primary events, as ``make eval`` does) for the module defaults; ``--topics`` prints
which article went where, for diagnosis.

Stories (incident threads, ``pipeline.threads``) are scored too, on the published events of the
database (the thread rules read only the published tables): story-level B³ on all, odd and even
halves for every combination of ``--thread-names`` (``threads.MAX_EVENTS_PER_NAME``),
``--thread-evidence`` (``threads.LINK_EVIDENCE``) and ``--thread-gap-days``
(``threads.MAX_THREAD_GAP``). ``--threads-only`` skips the story-clustering grid.

Figures, not assertions: nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from pipeline import storage, stories, threads  # noqa: E402
from pipeline.dedup import (  # noqa: E402
    _primary_local_events,
    _stated_window,
    build_local_events,
    deduplicate,
)
from pipeline.evaluation import b_cubed, pairwise  # noqa: E402
from pipeline.events import detect_event_mentions  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpora" / "ecbplus-dev"


def load(db: Path) -> dict[str, pd.DataFrame]:
    """What re-running the dedup and the threads offline reads from a kept or working database
    (also for benchmarks/online_gathering.py and benchmarks/ticker_purity.py)."""
    with storage.connect(db, read_only=True) as con:
        return {
            "articles": con.execute(
                "SELECT article_id, source_path, title, published_date, source, text,"
                " duplicate_of FROM articles"
            ).df(),
            "entities": con.execute("SELECT entity_id, name, label FROM entities").df(),
            "mentions": con.execute(
                "SELECT article_id, sentence_index, start_char, end_char, text, entity_id, label"
                " FROM entity_mentions"
            ).df(),
        }


def gold_labels(corpus: Path) -> tuple[dict[str, str], dict[str, str]]:
    """doc -> gold cluster, doc -> topic."""
    with (corpus / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return {r["doc"]: r["cluster"] for r in rows}, {r["doc"]: r["topic"] for r in rows}


def half_of(gold: dict[str, str], topic: dict[str, str]) -> dict[str, int]:
    """1 (odd) or 0 (even) per doc: by topic number, or by incident when there is one topic."""
    if len(set(topic.values())) > 1:
        return {d: int(topic[d]) % 2 for d in gold}
    numbers = {c: int("".join(ch for ch in c if ch.isdigit()) or 0) for c in set(gold.values())}
    return {d: numbers[c] % 2 for d, c in gold.items()}


def scores(pred: dict[str, object], gold: dict[str, str], topic: dict[str, str]) -> dict:
    """B³ with clusters cut at topic borders (as the evaluation's per-topic table does), on all
    docs and on the odd and even halves; pairwise on all docs."""
    cut = {d: (topic[d], p) for d, p in pred.items() if d in topic}
    half = half_of(gold, topic)
    out = {}
    for name, keep in (
        ("all", lambda d: True),
        ("odd", lambda d: half[d] == 1),
        ("even", lambda d: half[d] == 0),
    ):
        g = {d: c for d, c in gold.items() if keep(d)}
        out[name] = b_cubed(cut, g)
    out["pairwise"] = pairwise(cut, gold)
    out["topics"] = {
        t: b_cubed(cut, {d: c for d, c in gold.items() if topic[d] == t}).f1
        for t in sorted(
            set(topic.values()), key=lambda t: (not t.isdigit(), int(t) if t.isdigit() else 0, t)
        )
    }
    return out


def load_published(db: Path) -> dict[str, pd.DataFrame]:
    """The published tables the thread rules read."""
    with storage.connect(db, read_only=True) as con:
        return {
            "events": con.execute("SELECT * FROM events").df(),
            "event_mentions": con.execute(
                "SELECT event_id, article_id, is_primary FROM event_mentions"
            ).df(),
            "articles": con.execute(
                "SELECT article_id, source_path, title, text, published_date, source, duplicate_of"
                " FROM articles"
            ).df(),
            "entity_mentions": con.execute(
                "SELECT article_id, entity_id, label, start_char, end_char, text"
                " FROM entity_mentions"
            ).df(),
        }


def thread_grid(
    published: dict[str, pd.DataFrame],
    gold: dict[str, str],
    topic: dict[str, str],
    args: argparse.Namespace,
) -> None:
    """Story-level B³ (all, odd, even) and pairwise for every combination of thread settings,
    next to the event level they start from."""
    arts = published["articles"]
    doc_of = {a: Path(p).stem for a, p in zip(arts["article_id"], arts["source_path"], strict=True)}
    mentions = published["event_mentions"]
    prim = mentions[mentions["is_primary"]]
    events_pred = {doc_of[a]: e for a, e in zip(prim["article_id"], prim["event_id"], strict=True)}
    s = scores(events_pred, gold, topic)
    print(
        f"events (published): all {s['all'].f1:.3f} odd {s['odd'].f1:.3f} "
        f"even {s['even'].f1:.3f} pairwise {s['pairwise'].f1:.3f}"
    )
    print(f"{'names':>5} {'evid':>4} {'gap':>5}  {'all':>6} {'odd':>6} {'even':>6}   P R pairwise")
    defaults = (threads.MAX_EVENTS_PER_NAME, threads.LINK_EVIDENCE, threads.MAX_THREAD_GAP)
    for names, evidence, gap in itertools.product(
        *(
            [float(x) for x in arg.split(",")]
            for arg in (args.thread_names, args.thread_evidence, args.thread_gap_days)
        )
    ):
        threads.MAX_EVENTS_PER_NAME, threads.LINK_EVIDENCE = int(names), evidence
        threads.MAX_THREAD_GAP = timedelta(days=gap)
        _, _, story_of = threads.build_stories(
            published["events"], mentions, arts, published["entity_mentions"]
        )
        pred = {doc_of[a]: st for a, st in story_of.items()}
        s = scores(pred, gold, topic)
        print(
            f"{names:5.0f} {evidence:4.1f} {gap:5.0f}  {s['all'].f1:6.3f} {s['odd'].f1:6.3f} "
            f"{s['even'].f1:6.3f}   {s['all'].precision:.3f} {s['all'].recall:.3f} "
            f"{s['pairwise'].f1:.3f}"
        )
    threads.MAX_EVENTS_PER_NAME, threads.LINK_EVIDENCE, threads.MAX_THREAD_GAP = defaults


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database kept by assets.evaluate --keep")
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--gather", default=str(stories.GATHER_THRESHOLD))
    parser.add_argument("--ncut", default=str(stories.SPLIT_NCUT))
    parser.add_argument("--same-days", default=str(stories.SAME_STORY_GAP.days))
    parser.add_argument("--same-weekday-ncut", default=str(stories.SAME_WEEKDAYS_NCUT))
    parser.add_argument("--other-weekday-ncut", default=str(stories.OTHER_WEEKDAYS_NCUT))
    parser.add_argument("--cover", default=str(stories.PRINCIPAL_COVER))
    parser.add_argument("--principal-share", default=str(stories.PRINCIPAL_SHARE))
    parser.add_argument("--stray-days", default=str(stories.STRAY_GAP.days))
    parser.add_argument("--thread-names", default=str(threads.MAX_EVENTS_PER_NAME))
    parser.add_argument("--thread-evidence", default=str(threads.LINK_EVIDENCE))
    parser.add_argument("--thread-gap-days", default=str(threads.MAX_THREAD_GAP.days))
    parser.add_argument("--threads-only", action="store_true", help="skip the story grid")
    parser.add_argument("--full", action="store_true", help="also score the whole dedup")
    parser.add_argument("--topics", default="", help="comma-separated topics to print")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.exists():
        print(f"skipped: {corpus} not found")
        return 0
    with tempfile.TemporaryDirectory(prefix="wirehouse-stability-") as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "eval.duckdb"
        if not db.exists():
            from assets.run import materialize_all

            materialize_all(articles_dir=str(corpus / "articles"), duckdb_path=str(db))
        tables = load(db)
        published = load_published(db)
    gold, topic = gold_labels(corpus)
    thread_grid(published, gold, topic, args)
    if args.threads_only:
        return 0
    arts = tables["articles"]
    doc_of = {a: Path(p).stem for a, p in zip(arts["article_id"], arts["source_path"], strict=True)}
    live = arts[arts["duplicate_of"].isna()]
    cands = detect_event_mentions(
        live[["article_id", "text", "published_date"]], tables["mentions"]
    )
    cand = cands.reset_index(drop=True)
    primary = _primary_local_events(build_local_events(cand))
    windows = {a: w for a, ev in primary.items() if (w := _stated_window(cand, ev))}

    print(
        f"{'gather':>7} {'ncut':>5} {'days':>5} {'sameWD':>6} {'othWD':>6} {'cover':>5} "
        f"{'share':>6} {'stray':>5}  {'all':>6} {'odd':>6} {'even':>6}   P(all) R(all) pairwise"
    )
    defaults = (
        stories.SAME_WEEKDAYS_NCUT,
        stories.OTHER_WEEKDAYS_NCUT,
        stories.PRINCIPAL_COVER,
        stories.PRINCIPAL_SHARE,
        stories.STRAY_GAP,
    )
    for g, c, days, same_wd, other_wd, cover, share, stray in itertools.product(
        *(
            map(float, arg.split(","))
            for arg in (
                args.gather,
                args.ncut,
                args.same_days,
                args.same_weekday_ncut,
                args.other_weekday_ncut,
                args.cover,
                args.principal_share,
                args.stray_days,
            )
        )
    ):
        stories.SAME_WEEKDAYS_NCUT, stories.OTHER_WEEKDAYS_NCUT = same_wd, other_wd
        stories.PRINCIPAL_COVER, stories.PRINCIPAL_SHARE = cover, share
        stories.STRAY_GAP = timedelta(days=stray)
        labels = stories.story_clusters(
            live[["article_id", "text", "published_date"]],
            tables["mentions"],
            windows,
            gather_threshold=g,
            split_ncut=c,
            same_story_gap=timedelta(days=days),
        )
        pred = {doc_of[a]: s for a, s in labels.items()}
        s = scores(pred, gold, topic)
        print(
            f"{g:7.3f} {c:5.2f} {days:5.0f} {same_wd:6.2f} {other_wd:6.2f} {cover:5.2f} "
            f"{share:6.4f} {stray:5.0f}  {s['all'].f1:6.3f} {s['odd'].f1:6.3f} "
            f"{s['even'].f1:6.3f}   {s['all'].precision:.3f}  {s['all'].recall:.3f}  "
            f"{s['pairwise'].f1:.3f}"
        )
        worst = sorted(s["topics"].items(), key=lambda kv: kv[1])[:10]
        print("         worst: " + " ".join(f"{t}:{f:.2f}" for t, f in worst))
        published = arts.set_index("article_id")["published_date"]
        for t in (x for x in args.topics.split(",") if x):
            for a in sorted((a for a in labels if topic.get(doc_of[a]) == t), key=labels.get):
                d = doc_of[a]
                print(
                    f"    {t:>3} story={labels[a]:<4} gold={gold[d]:<10} {d:<14} "
                    f"pub={published[a]} win={windows.get(a)}"
                )
    (
        stories.SAME_WEEKDAYS_NCUT,
        stories.OTHER_WEEKDAYS_NCUT,
        stories.PRINCIPAL_COVER,
        stories.PRINCIPAL_SHARE,
        stories.STRAY_GAP,
    ) = defaults
    if args.full:
        events, mentions = deduplicate(
            cands, arts, tables["entities"], entity_mentions=tables["mentions"]
        )
        prim = mentions[mentions["is_primary"]]
        pred = {doc_of[a]: e for a, e in zip(prim["article_id"], prim["event_id"], strict=True)}
        s = scores(pred, gold, topic)
        print(
            f"full dedup: all {s['all']}  pairwise {s['pairwise']}  odd F1={s['odd'].f1:.3f}  "
            f"even F1={s['even'].f1:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
