"""Does an order-dependent, prefix-idf story gathering keep quality? (pipeline/online_gathering.py)

    .venv/bin/python benchmarks/online_gathering.py dev --db KEPT.duckdb --corpus DIR
        [--variants a,b,c,d,e,f1,g1,h1,k1,k1e,k90]
    .venv/bin/python benchmarks/online_gathering.py wire --db WORK.duckdb [--n 10000]
        [--variants b,c,d,f1,k1,k1o3] [--resume-at 9900 --bucket-days 1 --open-size 3]

``dev``: re-runs the dedup and the incident threads offline on a database kept by
``python -m assets.evaluate --keep`` (event candidates detected again, as
benchmarks/dedup_stability.py does) with the story gathering replaced per variant (``_as_resuming``
in the place of ``gathering.gather_resuming``), and prints
event and story B³ P/R/F1 and pairwise F1 on all docs and B³ F1 on the odd and even halves:

* a: the whole-archive average linkage the pipeline gathered with before
  (``benchmarks/whole_archive_linkage.py``, the baseline);
* b: order-dependent gathering on the corpus-wide idf rows (the linkage change alone);
* c: order-dependent gathering with prefix idf (both changes);
* d: c without the bridging merges;
* e: c, and the fine (split) features also weighted by prefix idf (at each article's arrival);
* f<days>, g<days>, h<days>, k<days>: gathering by buckets of published days
  (``bucket_days``) with the corpus-wide idf rows (f), prefix idf at each article's arrival
  (g), at its bucket's end (h), or at the bucket's end for the earlier members too (k, the
  brief's "pair scored when the later one arrives"); k<days>e: k, and the fine features of each
  gathered group weighted by the idf of the prefix ending at its latest member.
* k<days>o<size> (e.g. k1o3): k<days> with ``open_size``: the earlier clusters of at most
  ``size`` members that a newcomer links to are re-gathered member by member with the bucket.

``wire``: on a working database of a wire feed (tables articles, entity_mentions,
event_candidates), the agreement (B³, baseline a's groups as gold) of each variant's
gathered groups on the first ``--n`` live articles (article_id order, as ``story_clusters``
takes them), with seconds; then, with ``--resume-at``, for variant
k<--bucket-days>o<--open-size> the incremental property: the state after the first
``--resume-at`` articles of the canonical order (at the bucket boundary before) is the same
from those articles alone as inside the full run, a run resumed from it ends exactly as the
run from scratch, the last bucket replayed from its stored state ends as before, and what one
more article costs (its bucket again, and how much of the archive its linkage holds).
Templated-brief purity: the gathering replaced by ``_variant(name)[0]`` around
``benchmarks.ticker_purity.primary_clusters_offline`` (not wired here).

Figures, not assertions: nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.dedup_stability import gold_labels, half_of, load  # noqa: E402
from benchmarks.whole_archive_linkage import gather as whole_archive_gather  # noqa: E402
from pipeline import online_gathering, similarity, stories  # noqa: E402
from pipeline.dates import as_date  # noqa: E402
from pipeline.dedup import (  # noqa: E402
    _primary_local_events,
    _stated_window,
    build_local_events,
    deduplicate,
)
from pipeline.evaluation import b_cubed, pairwise  # noqa: E402
from pipeline.events import detect_event_mentions  # noqa: E402
from pipeline.threads import build_stories  # noqa: E402

BASELINE = whole_archive_gather
LIVE_GATHERING = stories.gather_resuming
BASE_TERM_TABLE = similarity.TermTable
FINE_SIMILARITY = stories._fine_similarity


def _article_order_tfidf(rows, order):
    """The unit TF-IDF rows in article order, as ``story_clusters`` gave the whole-archive
    gathering, from the gathering's canonical rows (unit term-frequency rows in canonical
    order): idf over the corpus, then unit length, as ``TermTable.matrix`` makes them (equal up
    to rounding; the column numbers differ, which no cosine sees)."""
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return similarity.idf_weighted(rows[back])


def _as_resuming(gather):
    """A variant's ``gather(rows, threshold, published, windows, progress)`` in the place of
    ``gathering.gather_resuming`` inside ``stories.story_clusters``; nothing is stored."""

    def resuming(rows, order, keys, threshold, published, windows, memory=None, progress=None):
        return gather(_article_order_tfidf(rows, order), threshold, published, windows, progress)

    return resuming


def _variant(name: str):
    """(gather function, prefix idf for the fine features: True at each article's arrival,
    "group" at the arrival of each gathered group's latest member)."""
    if name.startswith("k") and name.endswith("e"):
        return _variant(name[:-1])[0], "group"
    if name == "a":
        return BASELINE, False
    if name == "b":
        return partial(online_gathering.gather_online, idf="given"), False
    if name == "c":
        return partial(online_gathering.gather_online, idf="prefix"), False
    if name == "d":
        return partial(online_gathering.gather_online, idf="prefix", bridge=False), False
    if name == "e":
        return partial(online_gathering.gather_online, idf="prefix"), True
    if name.startswith(("f", "g", "h", "k")):
        # f<days>: buckets, corpus idf; g<days>: prefix idf per article; h: per bucket end;
        # k: per bucket end, the earlier members reweighted to it as well
        # <...>o<size>: earlier clusters of at most size members are open (re-gathered)
        days, _, size = name[1:].partition("o")
        idf = {"f": "given", "g": "prefix", "h": "prefix-bucket", "k": "current"}[name[0]]
        gather = partial(
            online_gathering.gather_online,
            idf=idf,
            bucket_days=int(days),
            open_size=int(size or 0),
        )
        return gather, False
    raise ValueError(name)


class _Order:
    """Canonical order of the rows of the next TermTable matrices (set per corpus)."""

    order: np.ndarray | None = None


class PrefixTermTable(BASE_TERM_TABLE):
    """TermTable whose fine matrix (the second made per story_clusters call) carries prefix
    idf in the canonical order held by _Order."""

    made = 0

    def matrix(self, binary: bool = False, sharp_idf: bool = False):
        rows = super().matrix(binary, sharp_idf)
        PrefixTermTable.made += 1
        if PrefixTermTable.made % 2 == 0 and _Order.order is not None:
            prefix = online_gathering.prefix_rows(online_gathering.tf_rows(rows), _Order.order)
            back = np.empty_like(_Order.order)
            back[_Order.order] = np.arange(len(back))
            return prefix[back]
        return rows


def _use(name: str, live: pd.DataFrame) -> None:
    gather, fine_prefix = _variant(name)
    stories.gather_resuming = _as_resuming(gather)
    arts = live.sort_values("article_id", kind="stable")
    _Order.order = online_gathering.canonical_order([as_date(v) for v in arts["published_date"]])
    if fine_prefix == "group":
        _GroupIdf.cache = None
        stories._fine_similarity = _group_fine_similarity
        stories.TermTable = BASE_TERM_TABLE
    elif fine_prefix:
        PrefixTermTable.made = 0
        stories.TermTable = PrefixTermTable
    else:
        stories.TermTable = BASE_TERM_TABLE


class _GroupIdf:
    cache: tuple | None = None


def _group_fine_similarity(fine, items):
    """stories._fine_similarity with the fine rows of a group weighted by the idf of the
    prefix that ends at the group's latest member (canonical order)."""
    if _GroupIdf.cache is None or _GroupIdf.cache[0] is not fine:
        n = fine.shape[0]
        tf = online_gathering.tf_rows(fine)
        position = np.empty(n, dtype=np.int64)
        position[_Order.order] = np.arange(n)
        pos = np.repeat(position, np.diff(tf.indptr))
        keys = np.sort(tf.indices.astype(np.int64) * (n + 1) + pos)
        _GroupIdf.cache = (fine, tf, position, keys, n)
    _, tf, position, keys, n = _GroupIdf.cache
    end = int(position[items].max()) + 1
    rows = tf[items]
    cols = rows.indices.astype(np.int64)
    df = np.searchsorted(keys, cols * (n + 1) + end) - np.searchsorted(keys, cols * (n + 1))
    rows.data = rows.data * (np.log((end + 1) / (df + 1.0)) + 1.0)
    return FINE_SIMILARITY(similarity.normalize_rows(rows, copy=False), list(range(len(items))))


def _restore() -> None:
    stories.gather_resuming = LIVE_GATHERING
    stories.TermTable = BASE_TERM_TABLE
    stories._fine_similarity = FINE_SIMILARITY


def dev(args: argparse.Namespace) -> None:
    tables = load(Path(args.db))
    arts, entities, named = tables["articles"], tables["entities"], tables["mentions"]
    corpus = Path(args.corpus)
    gold, topic = gold_labels(corpus)
    half = half_of(gold, topic)
    doc_of = {a: Path(p).stem for a, p in zip(arts["article_id"], arts["source_path"], strict=True)}
    live = arts[arts["duplicate_of"].isna()]
    cands = detect_event_mentions(live[["article_id", "text", "published_date"]], named)
    print(f"{corpus.name}: {len(arts)} articles, {len(live)} live")
    print(
        f"{'var':>3} {'level':>6}  {'P':>5} {'R':>5} {'F1':>5}  {'pairF1':>6}  "
        f"{'odd':>5} {'even':>5}  {'s':>5}"
    )
    results = {}
    for name in args.variants.split(","):
        _use(name, live)
        started = time.perf_counter()
        try:
            events, mentions = deduplicate(cands, arts, entities, entity_mentions=named)
        finally:
            _restore()
        seconds = time.perf_counter() - started
        _, _, story_of = build_stories(events, mentions, arts, named)
        prim = mentions[mentions["is_primary"].astype(bool)]
        ev = {doc_of[a]: e for a, e in zip(prim["article_id"], prim["event_id"], strict=True)}
        st = {doc_of[a]: s for a, s in story_of.items()}
        results[name] = ev
        for level, pred in (("events", ev), ("story", st)):
            pred = {d: p for d, p in pred.items() if d in gold}
            b = b_cubed(pred, gold)
            odd = b_cubed(pred, {d: c for d, c in gold.items() if half[d] == 1})
            even = b_cubed(pred, {d: c for d, c in gold.items() if half[d] == 0})
            print(
                f"{name:>3} {level:>6}  {b.precision:.3f} {b.recall:.3f} {b.f1:.3f}  "
                f"{pairwise(pred, gold).f1:6.3f}  {odd.f1:.3f} {even.f1:.3f}  {seconds:5.1f}",
                flush=True,
            )
    if "a" in results:
        base = results["a"]
        for name, ev in results.items():
            if name == "a":
                continue
            diff = sorted(d for d in gold if _partners(ev, d) != _partners(base, d))
            print(f"{name}: {len(diff)} docs whose event partners differ from a")
            for d in diff[: args.show]:
                lost = sorted(_partners(base, d) - _partners(ev, d))
                won = sorted(_partners(ev, d) - _partners(base, d))
                print(f"   {d:<16} gold={gold[d]:<10} lost={lost} won={won}")


def _partners(pred: dict, d: str) -> frozenset:
    if d not in pred:
        return frozenset()
    return frozenset(x for x, p in pred.items() if p == pred[d] and x != d)


class _Captured(Exception):
    pass


def wire(args: argparse.Namespace) -> None:
    con = duckdb.connect(args.db, read_only=True)
    try:
        arts = con.execute(
            "SELECT article_id, text, published_date, duplicate_of FROM articles"
        ).df()
        named = con.execute("SELECT article_id, entity_id, label FROM entity_mentions").df()
        cands = con.execute("SELECT * FROM event_candidates").df()
    finally:
        con.close()
    live = arts[arts["duplicate_of"].isna()].sort_values("article_id").head(args.n)
    cand = cands[cands["article_id"].isin(set(live["article_id"]))].reset_index(drop=True)
    primary = _primary_local_events(build_local_events(cand))
    windows = {a: w for a, ev in primary.items() if (w := _stated_window(cand, ev))}
    held = {}

    def capture(rows, threshold, published, windows, progress=None):
        held.update(rows=rows, threshold=threshold, published=published, windows=windows)
        raise _Captured

    stories.gather_resuming = _as_resuming(capture)
    try:
        stories.story_clusters(live[["article_id", "text", "published_date"]], named, windows)
    except _Captured:
        pass
    finally:
        _restore()
    rows, threshold, published, wins = (
        held[k] for k in ("rows", "threshold", "published", "windows")
    )
    n = rows.shape[0]
    print(f"wire: {n} live articles, {rows.shape[1]} coarse terms, {rows.nnz} nonzeros")
    labels = {}
    for name in ["a", *args.variants.split(",")]:
        gather, _ = _variant(name)
        started = time.perf_counter()
        labels[name] = gather(rows, threshold, published, wins)
        seconds = time.perf_counter() - started
        groups = len(set(labels[name]))
        sizes = np.bincount(np.unique(labels[name], return_inverse=True)[1])
        line = f"{name}: {seconds:6.2f} s, {groups} groups, largest {sizes.max()}"
        if name != "a":
            base = {str(i): x for i, x in enumerate(labels["a"])}
            mine = {str(i): x for i, x in enumerate(labels[name])}
            b = b_cubed(mine, base)
            line += f", agreement with a: B3 P {b.precision:.3f} R {b.recall:.3f} F1 {b.f1:.3f}"
        print(line, flush=True)
    if args.resume_at:
        incremental(
            rows, threshold, published, wins, args.resume_at, args.bucket_days, args.open_size
        )


def incremental(
    rows, threshold, published, windows, at: int, days: int, open_size: int = 0
) -> None:
    """Variant k<days>o<open_size>: the state at the last bucket boundary at or before position
    ``at`` of the canonical order, from a run over those first ``at`` articles alone and inside
    the full run; a run resumed from the former against the full run; the cost of one more
    article."""
    order = online_gathering.canonical_order(published)
    # The pipeline would store term counts: the same tf rows on both sides, bit for bit.
    tf = online_gathering.tf_rows(rows)
    ids = np.sort(order[:at])
    sub_pub = [published[i] for i in ids]
    sub_win = [windows[i] for i in ids]
    sub_order = online_gathering.canonical_order(sub_pub)
    assert np.array_equal(ids[sub_order], order[:at])

    def run(tf_, pub, win, order_):
        return online_gathering.OnlineGathering(
            tf_,
            pub,
            win,
            order_,
            threshold,
            idf="current",
            idf_days=days,
            rows_are_tf=True,
            open_size=open_size,
        )

    n = rows.shape[0]
    started = time.perf_counter()
    full = run(tf, published, windows, order)
    built = time.perf_counter() - started
    full.advance_buckets(days, at)
    boundary = full.done
    snapshot = full.state()
    started = time.perf_counter()
    full.advance_buckets(days, n)
    t_rest = time.perf_counter() - started
    alone = run(tf[ids], sub_pub, sub_win, sub_order)
    alone.advance_buckets(days, boundary)
    same_state = _same_partition(alone.position_labels(boundary), snapshot["label"])
    resumed = run(tf, published, windows, order)
    resumed.resume(alone.state())
    resumed.advance_buckets(days, n)
    same_end = _same_partition(resumed.position_labels(n), full.label)
    changed = int((~_same_rows(full.position_labels(boundary), snapshot["label"])).sum())
    bounds = full.buckets(days)
    sizes = np.diff(bounds)
    # One more article: the state before its bucket, then its bucket again.
    last = bounds[-2]
    again = run(tf, published, windows, order)
    again.advance_buckets(days, int(last))
    before = again.state()
    started = time.perf_counter()
    again.add_bucket(np.arange(last, n))
    t_one = time.perf_counter() - started
    once = again.position_labels(n)
    again.resume(before)
    again.add_bucket(np.arange(last, n))
    replay = _same_partition(again.position_labels(n), once)
    print(
        f"incremental (k{days}o{open_size}): state after the first {boundary} of the canonical "
        f"order (last bucket boundary <= {at}) from those alone = inside the full run: "
        f"{same_state}; resumed from it and given the rest = full run: {same_end}; the last bucket "
        f"replayed from the stored state: {replay}"
    )
    print(
        f"   the last bucket's linkage: {again.touched[0]} newcomers, {again.touched[1]} members "
        f"of open clusters, {again.touched[2]} closed clusters of {again.touched[3]} articles"
    )
    print(
        f"   buckets of {days} d: {len(sizes)}, median {np.median(sizes):.0f} articles, largest "
        f"{sizes.max()}; setup (weights, postings) {built:.2f} s; the last {n - boundary} "
        f"articles {t_rest:.2f} s; one article more = its bucket of {n - last} again "
        f"{t_one:.2f} s; articles before {boundary} whose group the rest changed: {changed}"
    )


def _as_corpus_rows(tf):
    """Corpus-idf unit rows whose tf_rows are ``tf`` (what story_clusters hands to gather)."""
    rows = tf.copy()
    df = np.bincount(rows.indices, minlength=rows.shape[1])
    rows.data = rows.data * (np.log((1 + rows.shape[0]) / (1 + df)) + 1.0)[rows.indices]
    return rows


def _same_partition(x: np.ndarray, y: np.ndarray) -> bool:
    return bool(_same_rows(x, y).all())


def _same_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per item: does its group hold the same items in both labelings?"""
    _, fx = np.unique(x, return_index=True)
    first_x = {v: i for v, i in zip(np.unique(x).tolist(), fx.tolist(), strict=True)}
    first_y = {
        v: i
        for v, i in zip(
            np.unique(y).tolist(), np.unique(y, return_index=True)[1].tolist(), strict=True
        )
    }
    cx = np.array([first_x[v] for v in x.tolist()])
    cy = np.array([first_y[v] for v in y.tolist()])
    sx = np.bincount(np.unique(x, return_inverse=True)[1])[np.unique(x, return_inverse=True)[1]]
    sy = np.bincount(np.unique(y, return_inverse=True)[1])[np.unique(y, return_inverse=True)[1]]
    return (cx == cy) & (sx == sy)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("dev", "wire"))
    parser.add_argument("--db", required=True)
    parser.add_argument("--corpus", default=str(REPO.parent / "shared/corpora/ecbplus-dev"))
    parser.add_argument("--variants", default="a,b,c,d")
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--resume-at", type=int, default=0)
    parser.add_argument("--show", type=int, default=15)
    parser.add_argument("--bucket-days", type=int, default=1)
    parser.add_argument("--open-size", type=int, default=0)
    args = parser.parse_args()
    if args.mode == "dev":
        dev(args)
    else:
        if args.variants.startswith("a,"):
            args.variants = args.variants[2:]
        wire(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
