"""Order-dependent story gathering: the day-by-day gathering the pipeline uses, and variants.

The pipeline runs :class:`OnlineGathering` with day buckets, the idf of the archive up to each
day's end and open clusters of up to 3 members (variant k1o3 of benchmarks/online_gathering.py),
through :mod:`pipeline.gathering`, which resumes it from stored checkpoints. The other options
(one article at a time, other idfs and buckets) are the variants it was chosen from.

The gathering it replaced in the pipeline (``gather``, now in
``benchmarks/whole_archive_linkage.py``) is one average linkage over the whole corpus on rows
weighted by corpus-wide idf, so one new article can change every decision. Here the articles
are gathered one at a time in a fixed canonical order (published date, then row index, which
is article_id order in ``story_clusters``; undated articles after all dated ones), in the
manner of single-pass Topic Detection and Tracking:

* each article's weights may use the **prefix** idf (document frequencies over the articles up
  to and including it, in that order), fixed when it arrives (:func:`prefix_rows`);
* its candidate partners are the earlier articles sharing a term found in at most ``max_df``
  earlier-or-equal articles of its published-date window (the same rarity rule as
  ``similarity.similar_pairs``, counted over the prefix only), whose rare terms alone make a
  cosine of at least ``min_rare``; of those at least ``threshold`` similar and with
  compatible stated dates, it keeps its ``keep`` most similar (earlier) ones;
* it joins the cluster of those partners with the highest average similarity over all its
  members (the true cosine, as in ``gather``: with unit rows a cluster's summed row gives it)
  when that reaches ``threshold`` and the calendar medians and spans allow, else starts one;
* with ``bridge``, the cluster it joined then absorbs, best first, the other clusters of its
  partners whose cluster-to-cluster average reaches the threshold (an order-dependent average
  linkage: a late report can join two earlier halves of one story).

That one-at-a-time pass loses quality (benchmarks/online_gathering.py): an article binds to
the earlier cluster it reaches first, before a closer partner arrives. ``bucket_days`` instead
gathers the articles of each bucket of published days (day // bucket_days; undated articles
are one last bucket) together (:meth:`OnlineGathering.add_bucket`): average linkage, most
similar first, among the newcomers and the earlier clusters they are linked to; two earlier
clusters merge only through a newcomer. With ``idf="current"`` the pairs of a bucket are scored
with the idf of the prefix up to the bucket's end, the earlier members reweighted to it too (a
pair's similarity is computed when the later of the two arrives, with the idf of that moment);
the links still come from the weights each article had on arrival. That alone (k1) loses
two GVC stories to order-dependence: an article binds to the earlier cluster it reaches first,
before its closer partner arrives. ``open_size`` fixes that: an earlier cluster of at most that
many members that a newcomer links to is dissolved and its members re-gathered one by one in
the bucket's linkage (with their own links, both ways, kept in ``adj``; the earlier clusters
they reach join whole), so a newcomer can take a member from the partner it bound to. On the
dev corpora (benchmarks/online_gathering.py) k1 with ``open_size`` 3 equals ``gather`` on GVC
and is 0.003 above it on ECB+ (events B3; as k1); with 20 it gives ``gather``'s events and
stories on both. Its cost: the newcomers' open clusters and the closed clusters they reach.

Every decision for a bucket depends only on the articles up to its end, so appending
later-dated articles never changes the state reached after the earlier buckets, a full rebuild
replays the same order, and a backfill replays from its bucket. The state after any bucket
(cluster of each article, cluster sums, calendar days, document frequencies) is
:meth:`OnlineGathering.state`; a run resumed from it (:meth:`OnlineGathering.resume`) ends as a
run from scratch; one more article costs its bucket again.

Cost: a full k1o3 run over the 9,943 live articles of a Reuters 10k working database takes
4.0-4.6 s, as ``gather`` (4.0-4.3 s in the same runs of benchmarks/online_gathering.py wire);
it took 11.4-12.4 s before the links of a bucket were found together
(:meth:`OnlineGathering.bucket_links`) and a bucket's linkage made only the rows of average
cosines it reads. Every float that decides a merge is computed as before (the same sums in
the same order), so the groups are the same.

It scales worse than ``gather``: 9.6 s on a Reuters 19k working database (10.6-11.3 s with
MIN_RARE 0.02; ``gather`` 9.3 s), 111-114 s on a 100k one made of yearly twins of the 19k
(MIN_RARE 0.02, twins whose headlines carried a lowercase marker; ``gather`` 69 s). A bucket
(about 320 newcomers) brings in whole every closed cluster its newcomers and open members link
to, and re-sums their members with the bucket's idf: 20 member rows per article at 19k, 75 at
100k (about 35,000 a bucket once the 730-day window is full, some 2,200 clusters, each one
visited in 37 buckets on average), so a bucket's cost follows the clusters its window holds,
not its newcomers. That is the algorithm (pairs scored with the idf of their bucket, closed
clusters joined whole); only a cheaper stand-in for a closed cluster (its sum at an older idf)
would bound it, and would change the groups.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

import numpy as np
import scipy.sparse as sp

from pipeline.progress import Progress
from pipeline.similarity import normalize_rows

try:  # the kernel behind csr @ csr (a private scipy module; the public product if it moves)
    from scipy.sparse._sparsetools import csr_matmat as _csr_matmat
except ImportError:  # pragma: no cover
    _csr_matmat = None

MAX_PUBLISHED_DAYS = 730
MAX_STATED_DAYS = 90
MAX_DF = 400
# A link needs rare terms making at least this much of the cosine (the threshold is 0.1): a
# pair similar mostly through common words is a template, not a happening. The dev corpora give
# the same events and stories for any value from 0.02 to 0.1 (GVC events B3 F1 0.987 -> 0.981
# at 0.15; ECB+ 0.958 -> 0.953 at 0.2), Reuters 10k the same ticker purity at 0.05 (2.9 %, 139
# mixed) and a little less at 0.08 (3.0 %, 145). Each candidate costs a cosine with the rows
# of its chunk: from 0.02 to 0.05 the gathering of Reuters 19k took 11.3 -> 9.6 s.
MIN_RARE = 0.05
KEEP = 20
# A cluster of this many members keeps its summed row dense (one vocabulary-long vector): the
# average with a newcomer then costs the newcomer's terms, not the members' rows.
DENSE_AT = 16
_BIG = np.int64(1) << 31  # (column, day) packed into one sort key
# Cells of the (row, earlier position) grid of a chunk of rows whose links bucket_links finds
# at once (it bounds the rows of a chunk, hence the candidates whose cosines it makes).
LINK_GRID = 1 << 20
# Largest product _dense_product sizes by its dense bound (12 bytes a cell besides the dense
# result); larger ones go through the public product, which counts its nonzeros first.
PRODUCT_CELLS = 1 << 24


def canonical_order(published: Sequence[date | None]) -> np.ndarray:
    """Row indices in canonical order: dated rows by (date, index), then undated by index."""
    day = np.array([p.toordinal() if p else np.inf for p in published], dtype=np.float64)
    return np.lexsort((np.arange(len(day)), day))


def tf_rows(rows: sp.csr_matrix) -> sp.csr_matrix:
    """The term-frequency weights (1 + log count) behind unit TF-IDF ``rows`` made by
    ``TermTable.matrix()`` (smooth idf over the rows themselves): each value divided by its
    column's idf, then rescaled to unit rows (a row's scale drops out of any later
    normalisation)."""
    rows = sp.csr_matrix(rows, copy=True)
    n = rows.shape[0]
    df = np.bincount(rows.indices, minlength=rows.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1.0
    rows.data = rows.data / idf[rows.indices]
    return normalize_rows(rows, copy=False)


def prefix_rows(
    tf: sp.csr_matrix, order: np.ndarray | None, ends: np.ndarray | None = None
) -> sp.csr_matrix:
    """Unit rows (in ``order``; None: as they are) weighted by the idf of the prefix each one
    closes: for the article at position p, idf(t) = log((e + 1) / (1 + df_e(t))) + 1 with
    df_e(t) the articles at positions 0..e-1 holding t, e = ``ends[p]`` (default p + 1: the
    prefix up to and including p; the end of its bucket when articles are gathered by
    buckets). Depends on the prefix only, so exact under appends."""
    rows = tf.copy() if order is None else tf[order]  # a new matrix either way
    rows.sort_indices()
    n = rows.shape[0]
    pos = np.repeat(np.arange(n), np.diff(rows.indptr))
    end = pos + 1 if ends is None else np.asarray(ends)[pos]
    by_col = np.argsort(rows.indices, kind="stable")  # by (column, position)
    # Every array below is as long as the matrix has values (7 million at 100,000 wire
    # articles, 59 MB each), so each is made in place where it can be and dropped once used:
    # this is the event step's peak.
    col_start = rows.indices[by_col].astype(np.int64)
    col_start *= n + 1
    keys = col_start + pos[by_col]
    del pos
    # Searched in key order (the same answers, found faster), then put back in row order.
    before = np.searchsorted(keys, col_start)
    col_start += end[by_col]
    holders = np.searchsorted(keys, col_start)  # holders before the end
    del keys, col_start
    holders -= before
    del before
    df = np.empty(len(holders), dtype=np.int64)
    df[by_col] = holders
    del holders, by_col
    # log((end + 1) / (df + 1)) + 1, the same operations on the same values as one expression
    weights = df.astype(np.float64)
    del df
    weights += 1.0
    end += 1
    np.divide(end, weights, out=weights)
    del end
    np.log(weights, out=weights)
    weights += 1.0
    rows.data *= weights
    return normalize_rows(rows, copy=False)


def _dense_product(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    """``(a @ b).toarray()``: the same kernel, so the same sums bit for bit, without its
    first pass (which counts the product's nonzeros to size the result: bounded here by the
    dense size, allocated anyway). The products here are dense-ish; that pass was about a
    quarter of their time."""
    m, n = a.shape[0], b.shape[1]
    if _csr_matmat is None or m * n == 0 or m * n > PRODUCT_CELLS:
        return (a @ b).toarray()
    dtype = np.int64 if max(a.nnz, b.nnz, a.shape[1]) >= np.iinfo(np.int32).max else np.int32
    indptr = np.empty(m + 1, dtype=dtype)
    indices = np.empty(m * n, dtype=dtype)
    data = np.empty(m * n)
    _csr_matmat(
        m,
        n,
        a.indptr.astype(dtype, copy=False),
        a.indices.astype(dtype, copy=False),
        np.ascontiguousarray(a.data, dtype=np.float64),
        b.indptr.astype(dtype, copy=False),
        b.indices.astype(dtype, copy=False),
        np.ascontiguousarray(b.data, dtype=np.float64),
        indptr,
        indices,
        data,
    )
    nnz = int(indptr[-1])
    return sp.csr_matrix((data[:nnz], indices[:nnz], indptr), shape=(m, n)).toarray()


def _median(held: list[float]) -> float:
    """np.median of the sorted list ``held``, the same float (the mean of the two middle
    values, (a + b) / 2, for an even count), without building an array."""
    h = len(held) // 2
    return held[h] if len(held) % 2 else (held[h - 1] + held[h]) / 2


def gather_online(
    rows: sp.csr_matrix,
    threshold: float,
    published: Sequence[date | None],
    windows: Sequence[tuple[date, date] | None] | None = None,
    progress: Progress | None = None,
    idf: str = "prefix",
    bridge: bool = True,
    bucket_days: int = 0,
    open_size: int = 0,
) -> list[int]:
    """Cluster label per row, same contract as the whole-archive ``gather`` (``rows``: unit
    TF-IDF rows with corpus-wide idf, as ``story_clusters`` makes them), but order-dependent.

    ``idf``: "prefix" reweights the rows by the prefix idf (:func:`prefix_rows`), "given" uses
    them as they are (corpus-wide idf: the order-dependent linkage alone).
    """
    n = rows.shape[0]
    if n == 0:
        return []
    order = canonical_order(published)
    run = OnlineGathering(
        rows,
        published,
        windows,
        order,
        threshold,
        idf=idf,
        bridge=bridge,
        idf_days=bucket_days if idf in ("prefix-bucket", "current") else 0,
        open_size=open_size,
    )
    if bucket_days:
        run.advance_buckets(bucket_days, n, progress)
    else:
        run.advance(n, progress)
    return run.labels()


class OnlineGathering:
    """The single-pass gathering of rows in canonical order, resumable from a stored state."""

    def __init__(
        self,
        rows: sp.csr_matrix,
        published: Sequence[date | None],
        windows: Sequence[tuple[date, date] | None] | None,
        order: np.ndarray,
        threshold: float,
        idf: str = "prefix",
        bridge: bool = True,
        max_df: int = MAX_DF,
        min_rare: float = MIN_RARE,
        keep: int = KEEP,
        idf_days: int = 0,
        rows_are_tf: bool = False,
        open_size: int = 0,
        rows_in_order: bool = False,
    ) -> None:
        """``rows_in_order``: the rows are given in canonical order already (term-frequency
        rows with sorted indices, with ``idf="current"``), which spares a copy of them."""
        n = rows.shape[0]
        self.n, self.order, self.threshold, self.bridge = n, np.asarray(order), threshold, bridge
        self.max_df, self.min_rare, self.keep = max_df, min_rare, keep
        windows = windows if windows is not None else [None] * n
        pub = np.array([p.toordinal() if p else np.nan for p in published], dtype=np.float64)
        mid = np.array(
            [(w[0].toordinal() + w[1].toordinal()) / 2 if w else np.nan for w in windows],
            dtype=np.float64,
        )
        self.pub, self.mid = pub[self.order], mid[self.order]  # by position
        # The same as Python floats by position (NaN: not dated), for the cluster calendars.
        self._days_of = list(zip(self.pub.tolist(), self.mid.tolist(), strict=True))
        self.tf = None
        tf = rows if rows_are_tf or idf == "given" else tf_rows(rows)
        if idf == "current":
            # Pairs scored with the idf of the prefix up to the end of the bucket being
            # gathered, old members reweighted too (add_bucket); links use arrival weights.
            self.tf = tf if rows_in_order else tf[self.order]
            self.tf.sort_indices()
            self.df_now = np.zeros(self.tf.shape[1])
            idf = "prefix-bucket"
        if idf in ("prefix", "prefix-bucket"):
            ends = None
            if idf_days:
                bounds = self.buckets(idf_days)
                ends = np.repeat(bounds[1:], np.diff(bounds))
            r = prefix_rows(tf, None if rows_in_order else self.order, ends)
        else:
            r = sp.csr_matrix(rows[self.order])
            r.sort_indices()
        self.rows = r
        self.indptr, self.indices, self.data = r.indptr, r.indices, r.data
        self.width = r.shape[1]
        # Postings: the nonzeros sorted by (column, position); per nonzero its own posting and
        # the first posting of its column inside its published-date window.
        # Positions and posting numbers in 32 bits when they fit (a third of the postings'
        # memory: 100,000 wire articles hold about ten million terms).
        small = np.int32 if max(n, r.nnz) < np.iinfo(np.int32).max else np.int64
        pos = np.repeat(np.arange(n, dtype=small), np.diff(r.indptr))
        by_col = np.argsort(r.indices, kind="stable")  # nonzeros are in position order
        self.post_pos = pos[by_col]
        self.post_val = r.data[by_col]
        col_sorted = r.indices[by_col].astype(np.int64)
        self.posting = np.empty(len(by_col), dtype=small)
        self.posting[by_col] = np.arange(len(by_col), dtype=small)
        first = np.searchsorted(col_sorted, np.arange(self.width))
        day = np.where(np.isnan(self.pub), _BIG - 1, self.pub).astype(np.int64)
        # Sort keys (column, day) and the window starts' query keys, made in place: each
        # temporary is a posting-long int64 (59 MB at 100,000 wire articles), at the peak.
        days = day[self.post_pos]
        keys = col_sorted * _BIG
        keys += days
        query = col_sorted
        query *= _BIG
        days -= MAX_PUBLISHED_DAYS
        query += days
        del days
        lo = np.empty(len(keys), dtype=small)  # searched in key order, as in prefix_rows
        lo[by_col] = np.searchsorted(keys, query, side="left")
        del keys, query, col_sorted, by_col
        undated = np.isnan(self.pub[pos])
        lo[undated] = first[r.indices[undated]]
        self.window_start = lo
        # First position of each row's published-date window (undated: the first row).
        dated = np.where(np.isnan(self.pub), np.inf, self.pub)  # ascending
        self.window_pos = np.searchsorted(dated, dated - MAX_PUBLISHED_DAYS, side="left")
        self.window_pos[np.isnan(self.pub)] = 0
        self.scratch = np.zeros(self.width)
        # Cluster state, by position.
        self.label = np.full(n, -1, dtype=np.int64)
        self.members: dict[int, list[int]] = {}
        self.dense: dict[int, np.ndarray] = {}
        # add_bucket reads no summed rows (it sums each bucket's rows afresh), so the buckets
        # make none: one vocabulary-long vector per cluster of DENSE_AT members or more was
        # 1.1 GB at 100k articles (1,374 of them), and their upkeep a cost of every merge.
        self.make_dense = True
        self.days: dict[int, tuple[list[float], list[float]]] = {}
        self.done = 0
        # Open clusters (add_bucket): clusters of at most open_size members are re-gathered
        # member by member when a newcomer links to them; the link graph, both ways.
        self.open_size = open_size
        self.adj: dict[int, list[int]] = {}

    # --- state -------------------------------------------------------------------------------

    def state(self) -> dict:
        """Everything the next article's decision reads, besides the rows of the prefix."""
        return {
            "done": self.done,
            "label": self.label[: self.done].copy(),
            "members": {k: list(v) for k, v in self.members.items()},
            "dense": {k: v.copy() for k, v in self.dense.items()},
            "days": {k: (list(a), list(b)) for k, (a, b) in self.days.items()},
            "df_now": None if self.tf is None else self.df_now.copy(),
            "adj": {k: list(v) for k, v in self.adj.items()},
        }

    def resume(self, state: dict) -> None:
        """Continue from the state of a run over a prefix of this run's canonical order (the
        same vocabulary numbering: dense sums are indexed by column)."""
        self.done = state["done"]
        self.label[: self.done] = state["label"]
        self.members = {k: list(v) for k, v in state["members"].items()}
        self.dense = {k: v.copy() for k, v in state["dense"].items()}
        self.days = {k: (list(a), list(b)) for k, (a, b) in state["days"].items()}
        if self.tf is not None:
            self.df_now[:] = 0.0
            self.df_now[: len(state["df_now"])] = state["df_now"]
        self.adj = {k: list(v) for k, v in state["adj"].items()}

    def restore(self, done: int, members: dict[int, list[int]], links: np.ndarray) -> None:
        """Continue from the clusters ``members`` (id -> member positions, in the order they
        were held) of a bucket-by-bucket run over the first ``done`` positions of this run's
        canonical order, and its :meth:`link_pairs`: what :meth:`resume` takes, with the
        rest of the state, which the articles before ``done`` determine, made again here
        (labels, calendars, ``idf="current"`` document frequencies, links inside the prefix).
        Bucket runs keep no dense sums."""
        self.done = done
        self.members = {k: list(v) for k, v in members.items()}
        self.dense = {}
        self.days = {}
        for cluster, held in self.members.items():
            self.label[held] = cluster
            own = [self._own(p) for p in held]
            self.days[cluster] = (
                [d for pub, _ in own for d in pub],
                [m for _, mid in own for m in mid],
            )
        if self.tf is not None:
            self.df_now[:] = np.bincount(
                self.tf.indices[: self.tf.indptr[done]], minlength=self.width
            )
        self.adj = {}
        inside = links[links[:, 0] < done] if len(links) else links
        for later, earlier in inside.tolist():
            self.adj.setdefault(later, []).append(earlier)
            self.adj.setdefault(earlier, []).append(later)

    def link_pairs(self) -> np.ndarray:
        """The links as (later, earlier) position pairs (``adj`` holds each link both ways)."""
        adj = self.adj
        if not adj:
            return np.zeros((0, 2), dtype=np.int64)
        lengths = np.fromiter((len(v) for v in adj.values()), dtype=np.int64, count=len(adj))
        later = np.repeat(np.fromiter(adj.keys(), dtype=np.int64, count=len(adj)), lengths)
        earlier = np.fromiter(
            itertools.chain.from_iterable(adj.values()), dtype=np.int64, count=int(lengths.sum())
        )
        keep = earlier < later
        return np.stack([later[keep], earlier[keep]], axis=1)

    def labels(self) -> list[int]:
        """Label per row (original order), clusters numbered by their lowest row."""
        clusters = sorted(sorted(int(self.order[p]) for p in m) for m in self.members.values())
        out = [0] * self.n
        for k, items in enumerate(clusters):
            for i in items:
                out[i] = k
        return out

    def position_labels(self, upto: int) -> np.ndarray:
        return self.label[:upto].copy()

    # --- the pass ----------------------------------------------------------------------------

    def advance(self, upto: int, progress: Progress | None = None) -> None:
        while self.done < upto:
            self.add(self.done)
            self.done += 1
            if progress is not None and self.done % 1000 == 0:
                progress.advance(1000)
        if progress is not None and self.done % 1000:
            progress.advance(self.done % 1000)

    def _spread(self, ps: np.ndarray) -> np.ndarray:
        """Indices of the nonzeros of rows ``ps`` (positions), row after row."""
        starts, stops = self.indptr[ps], self.indptr[ps + 1]
        lengths = stops - starts
        return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())

    def _dots_with(self, ps: np.ndarray) -> np.ndarray:
        """Dot of the scattered row (self.scratch) with each row ``ps``."""
        if not len(ps):
            return np.zeros(0)
        idx = self._spread(ps)
        owner = np.repeat(np.arange(len(ps)), self.indptr[ps + 1] - self.indptr[ps])
        return np.bincount(
            owner, weights=self.scratch[self.indices[idx]] * self.data[idx], minlength=len(ps)
        )

    def _sum_row(self, cluster: int) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
        if cluster in self.dense:
            return self.dense[cluster]
        idx = self._spread(np.array(self.members[cluster], dtype=np.int64))
        return self.indices[idx], self.data[idx]

    def _cluster_dot(self, a: int, b: int) -> float:
        if a not in self.dense and b in self.dense:
            a, b = b, a
        if a in self.dense:
            da = self.dense[a]
            if b in self.dense:
                return float(da @ self.dense[b])
            cols, vals = self._sum_row(b)
            return float(da[cols] @ vals)
        cols, vals = self._sum_row(a)
        np.add.at(self.scratch, cols, vals)
        other_cols, other_vals = self._sum_row(b)
        out = float(self.scratch[other_cols] @ other_vals)
        self.scratch[cols] = 0.0
        return out

    def _calendar(self, cluster: int) -> list[tuple[int, float, float, float]]:
        """Per rule: (gap, median, earliest, latest), NaN when no member is dated."""
        out = []
        for gap, held in zip(
            (MAX_PUBLISHED_DAYS, MAX_STATED_DAYS), self.days[cluster], strict=True
        ):
            if held:
                out.append((gap, float(np.median(held)), min(held), max(held)))
            else:
                out.append((gap, np.nan, np.nan, np.nan))
        return out

    def _apart(self, a: list, b: list) -> bool:
        for (gap, ma, ea, la), (_, mb, eb, lb) in zip(a, b, strict=True):
            if abs(ma - mb) > gap or la - eb > gap or lb - ea > gap:  # NaN compares False
                return True
        return False

    def _merge(self, into: int, other: int) -> None:
        moved = self.members.pop(other)
        old = self.members[into]
        self.label[moved] = into
        a, b = self.days[into], self.days.pop(other)
        self.days[into] = (a[0] + b[0], a[1] + b[1])
        if into in self.dense and other in self.dense:
            self.dense[into] += self.dense.pop(other)
        elif into in self.dense:
            idx = self._spread(np.array(moved, dtype=np.int64))
            np.add.at(self.dense[into], self.indices[idx], self.data[idx])
        elif other in self.dense:
            dense = self.dense.pop(other)
            idx = self._spread(np.array(old, dtype=np.int64))
            np.add.at(dense, self.indices[idx], self.data[idx])
            self.dense[into] = dense
        self.members[into] = old + moved
        self._densify(into)

    def _densify(self, cluster: int) -> None:
        if self.make_dense and cluster not in self.dense and len(self.members[cluster]) >= DENSE_AT:
            dense = np.zeros(self.width)
            idx = self._spread(np.array(self.members[cluster], dtype=np.int64))
            np.add.at(dense, self.indices[idx], self.data[idx])
            self.dense[cluster] = dense

    def links(self, p: int) -> np.ndarray:
        """The earlier positions article ``p`` is linked to: sharing rare terms (prefix df in
        its published window at most max_df, their part of the cosine at least min_rare),
        stated dates compatible, cosine at least the threshold, its ``keep`` strongest."""
        a, b = self.indptr[p], self.indptr[p + 1]
        cols, vals = self.indices[a:b], self.data[a:b]
        mine = self.posting[a:b]
        lo = self.window_start[a:b]
        earlier = mine - lo
        rare = (earlier + 1 <= self.max_df) & (earlier > 0)
        if not rare.any():
            return np.zeros(0, dtype=np.int64)
        starts, lengths, weights = lo[rare], earlier[rare], vals[rare]
        idx = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        ys = self.post_pos[idx]
        products = self.post_val[idx] * np.repeat(weights, lengths)
        uy, inverse = np.unique(ys, return_inverse=True)
        rare_part = np.bincount(inverse, weights=products, minlength=len(uy))
        cand = uy[(rare_part >= self.min_rare) & (rare_part > 0)]
        if len(cand):
            cand = cand[~(np.abs(self.mid[cand] - self.mid[p]) > MAX_STATED_DAYS)]
        if not len(cand):
            return cand
        self.scratch[cols] = vals
        cos = self._dots_with(cand)
        self.scratch[cols] = 0.0
        ok = cos >= self.threshold
        cand, cos = cand[ok], cos[ok]
        if len(cand) > self.keep:
            best = np.lexsort((cand, -cos))[: self.keep]
            cand, cos = cand[best], cos[best]
        return cand

    def bucket_links(self, ps: np.ndarray) -> list[np.ndarray]:
        """:meth:`links` of each of the consecutive positions ``ps``, the same arrays, found
        for all of them at once: the rare-term parts of every (row, earlier position) by one
        sparse product of the rows' rare terms with those terms' postings, and the cosines of
        the candidates by one sparse product of the candidates' rows with the rows of ``ps``.
        Each pair's products are summed over the shared terms in column order, as
        :meth:`links` and ``_dots_with`` sum them: the same floating point, so the same
        candidates, thresholds and ties (4.6 s of a 12.4 s k1o3 run on Reuters 10k one row at
        a time, 1.4 s so). Rows in chunks, fewer rows the longer the window, so that a
        chunk's candidates by its rows stay few (one chunk per bucket was slower)."""
        first, stop = int(ps[0]), int(ps[-1]) + 1
        # At most LINK_GRID (row, position) cells per chunk: the window of its rows up to the
        # bucket's end, by its rows.
        span = stop - int(self.window_pos[first:stop].min())
        step = max(1, LINK_GRID // max(span, 1))
        out: list[np.ndarray] = []
        for lo_row in range(first, stop, step):
            out.extend(self._chunk_links(lo_row, min(stop, lo_row + step)))
        return out

    def _chunk_links(self, first: int, stop: int) -> list[np.ndarray]:
        k = stop - first
        a, b = self.indptr[first], self.indptr[stop]
        lo = self.window_start[a:b]
        mine = self.posting[a:b]
        earlier = mine - lo
        rare = (earlier + 1 <= self.max_df) & (earlier > 0)
        if not rare.any():
            return [np.zeros(0, dtype=np.int64) for _ in range(k)]
        # The rare-term parts of every (row, earlier position) sharing a rare term: the rows
        # restricted to their rare terms times the postings of those terms from the earliest
        # window start to the last row's posting (one sparse product: each pair's products
        # summed over the row's rare terms in column order, as links sums them), kept inside
        # each row's window and before it. On a dense (row, position) grid, unless the pairs
        # sharing a term are few beside it: the grid costs the whole window per row (up to
        # 50,000 positions at 100k articles with yearly twins), the sparse product sorts its
        # pairs (slower on Reuters 10k, where most chunks are dense). The same sums either way.
        per_row = np.bincount(
            np.repeat(np.arange(k), np.diff(self.indptr[first : stop + 1]))[rare], minlength=k
        )
        terms, term_of = np.unique(self.indices[a:b][rare], return_inverse=True)
        since = np.full(len(terms), np.iinfo(np.int64).max)
        np.minimum.at(since, term_of, lo[rare])
        until = np.zeros(len(terms), dtype=np.int64)
        np.maximum.at(until, term_of, mine[rare])
        lengths = until - since
        idx = np.repeat(since - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        ys = self.post_pos[idx]
        base = int(ys.min())
        span = stop - base
        postings = sp.csr_matrix(
            (self.post_val[idx], ys - base, np.r_[0, np.cumsum(lengths)]), shape=(len(terms), span)
        )
        mine_rare = sp.csr_matrix(
            (self.data[a:b][rare], term_of, np.r_[0, np.cumsum(per_row)]), shape=(k, len(terms))
        )
        if 4 * int(lengths[term_of].sum()) < k * span:  # products (a bound of the pairs)
            product = mine_rare @ postings  # the same kernel, its nonzeros only
            pi = np.repeat(np.arange(k), np.diff(product.indptr))
            py = product.indices.astype(np.int64) + base
            rare_part = product.data
            keep = (
                (rare_part >= self.min_rare)
                & (rare_part > 0)
                & (py >= self.window_pos[first:stop][pi])
                & (py < pi + first)
            )
            pi, py = pi[keep], py[keep]
            sort = np.argsort(pi * span + (py - base), kind="stable")  # by row, then position
            pi, py = pi[sort], py[sort]
        else:
            rare_part = _dense_product(mine_rare, postings)
            y = np.arange(base, stop)
            inside = (y >= self.window_pos[first:stop, None]) & (
                y < np.arange(first, stop)[:, None]
            )
            hit = np.flatnonzero((rare_part >= self.min_rare) & (rare_part > 0) & inside)
            pi, py = hit // span, hit % span + base  # by row, then position: as links' np.unique
        near = ~(np.abs(self.mid[py] - self.mid[pi + first]) > MAX_STATED_DAYS)
        pi, py = pi[near], py[near]
        if len(py):
            held = np.zeros(span, dtype=bool)
            held[py - base] = True
            uy = np.flatnonzero(held)  # the candidates, less base
            rank = np.cumsum(held) - 1
            products = _dense_product(self.rows[uy + base], self.rows[first:stop].T.tocsr())
            cos = products[rank[py - base], pi]
            ok = cos >= self.threshold
            pi, py, cos = pi[ok], py[ok], cos[ok]
        else:
            cos = np.zeros(0)
        bounds = np.searchsorted(pi, np.arange(k + 1))
        out = []
        for i in range(k):
            cand = py[bounds[i] : bounds[i + 1]]
            if len(cand) > self.keep:
                best = np.lexsort((cand, -cos[bounds[i] : bounds[i + 1]]))[: self.keep]
                cand = cand[best]
            out.append(cand)
        return out

    def add(self, p: int) -> None:
        """Gather the article at position ``p`` (all earlier positions done)."""
        a, b = self.indptr[p], self.indptr[p + 1]
        cols, vals = self.indices[a:b], self.data[a:b]
        linked = self.links(p)
        own = (
            [] if np.isnan(self.pub[p]) else [float(self.pub[p])],
            [] if np.isnan(self.mid[p]) else [float(self.mid[p])],
        )
        if not len(linked):
            self._new(p, own)
            return
        clusters = np.unique(self.label[linked])
        # Average cosine with every member of each linked cluster.
        self.scratch[cols] = vals
        averages = np.empty(len(clusters))
        small = [c for c in clusters.tolist() if c not in self.dense]
        if small:
            ps = np.concatenate([np.array(self.members[c], dtype=np.int64) for c in small])
            owner = np.repeat(np.arange(len(small)), [len(self.members[c]) for c in small])
            sums = np.bincount(owner, weights=self._dots_with(ps), minlength=len(small))
            by = dict(
                zip(small, (sums / [len(self.members[c]) for c in small]).tolist(), strict=True)
            )
        else:
            by = {}
        for k, c in enumerate(clusters.tolist()):
            if c in by:
                averages[k] = by[c]
            else:
                averages[k] = float(self.dense[c][cols] @ vals) / len(self.members[c])
        self.scratch[cols] = 0.0
        mine_calendar = [
            (MAX_PUBLISHED_DAYS, *(3 * [own[0][0] if own[0] else np.nan])),
            (MAX_STATED_DAYS, *(3 * [own[1][0] if own[1] else np.nan])),
        ]
        rank = np.lexsort((clusters, -averages))
        chosen = -1
        for k in rank.tolist():
            if averages[k] < self.threshold:
                break
            if not self._apart(mine_calendar, self._calendar(int(clusters[k]))):
                chosen = int(clusters[k])
                break
        if chosen < 0:
            self._new(p, own)
            return
        self.members[chosen].append(p)
        self.label[p] = chosen
        held = self.days[chosen]
        self.days[chosen] = (held[0] + own[0], held[1] + own[1])
        if chosen in self.dense:
            self.dense[chosen][cols] += vals
        self._densify(chosen)
        if not self.bridge:
            return
        others = [int(c) for c in clusters.tolist() if c != chosen]
        while others:
            size = len(self.members[chosen])
            mine_cal = self._calendar(chosen)
            scored = []
            for c in others:
                avg = self._cluster_dot(chosen, c) / (size * len(self.members[c]))
                if avg >= self.threshold and not self._apart(mine_cal, self._calendar(c)):
                    scored.append((-avg, c))
            if not scored:
                return
            _, best = min(scored)
            self._merge(chosen, best)
            others = [c for _, c in scored if c != best]

    def _own(self, p: int) -> tuple[list[float], list[float]]:
        pub, mid = self._days_of[p]
        return ([] if pub != pub else [pub], [] if mid != mid else [mid])

    def _attach(self, cluster: int, p: int) -> None:
        self.members[cluster].append(p)
        self.label[p] = cluster
        own, held = self._own(p), self.days[cluster]
        self.days[cluster] = (held[0] + own[0], held[1] + own[1])
        if cluster in self.dense:
            a, b = self.indptr[p], self.indptr[p + 1]
            self.dense[cluster][self.indices[a:b]] += self.data[a:b]
        self._densify(cluster)

    def buckets(self, days: int) -> np.ndarray:
        """Bucket number per position: published day // ``days``; undated: one last bucket."""
        key = np.where(np.isnan(self.pub), np.inf, np.floor(self.pub / days))
        return np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])

    def advance_buckets(self, days: int, upto: int, progress: Progress | None = None) -> None:
        """Gather bucket by bucket (see :meth:`add_bucket`) up to the last bucket boundary at
        or before position ``upto``."""
        bounds = self.buckets(days)
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            if start < self.done:
                continue
            if stop > upto:
                break
            self.add_bucket(np.arange(start, stop))
            self.done = int(stop)
            if progress is not None:
                progress.advance(int(stop - start))

    def add_bucket(self, ps: np.ndarray) -> None:
        """Gather the consecutive positions ``ps`` (all earlier ones done) together: average
        linkage among them and the earlier clusters they are linked to, merge by merge, most
        similar first. Two earlier clusters merge only through a newcomer (their own pair was
        decided before), so earlier decisions stand and only a newcomer can bridge them.

        With ``open_size``, an earlier cluster of at most that many members that a newcomer
        links to is open: it is dissolved and its members join the linkage one by one, with
        their own links (to each other, and to the earlier clusters they reach, which join the
        linkage whole), so a newcomer can take a member away from the partner it bound to
        before the newcomer arrived. Members of open clusters merge like newcomers; two whole
        earlier clusters still merge only through a newcomer or an open member."""
        first = int(ps[0])
        k_new = len(ps)
        self.make_dense = False
        links = self.bucket_links(ps)
        linked = sorted({int(c) for lk in links for c in self.label[lk[lk < first]].tolist()})
        opened = [c for c in linked if len(self.members[c]) <= self.open_size]
        opened_set = set(opened)
        loose = sorted(p for c in opened for p in self.members[c])  # open members
        closed = {c for c in linked if c not in opened_set}
        for p in loose:
            closed.update(
                c for c in self.label[self.adj.get(p, [])].tolist() if c not in opened_set
            )
        old = sorted(int(c) for c in closed)
        k_open = k_new + len(loose)
        k = k_open + len(old)
        self.touched = (
            k_new,
            len(loose),
            len(old),
            sum(len(self.members[c]) for c in old),
        )

        loose_at = np.array(loose, dtype=np.int64)
        old_at = np.array(old, dtype=np.int64)

        def nodes(ys: np.ndarray) -> np.ndarray:
            """Node of each position: a newcomer's, an open member's, or its closed
            cluster's."""
            out = ys - first
            earlier = np.flatnonzero(ys < first)
            y = ys[earlier]
            at = np.searchsorted(loose_at, y)
            is_loose = np.zeros(len(y), dtype=bool)
            if len(loose_at):
                is_loose = loose_at[np.minimum(at, len(loose_at) - 1)] == y
            out[earlier] = np.where(
                is_loose, k_new + at, k_open + np.searchsorted(old_at, self.label[y])
            )
            return out

        # A closed cluster never merges with another one nor takes a merge in (a merge keeps
        # the lower node, and every merge has a newcomer or an open member), so only the rows
        # of the newcomers and open members are kept: links, scores and averages k_open by k,
        # a closed cluster's row read from its column (all three are symmetric) or, for the
        # averages, made when it merges. The k by k matrices were most of a bucket's memory
        # and time once a bucket reaches thousands of closed clusters (yearly twins).
        link = np.zeros((k_open, k), dtype=bool)
        adjs = [self.adj.get(p, []) for p in loose]
        src = np.r_[
            np.repeat(np.arange(k_new), [len(lk) for lk in links]),
            np.repeat(np.arange(k_new, k_open), [len(a) for a in adjs]),
        ].astype(np.int64)
        dst = nodes(
            np.concatenate(
                [np.zeros(0, dtype=np.int64), *links, *(np.array(a, dtype=np.int64) for a in adjs)]
            )
        )
        link[src, dst] = True
        back = dst < k_open
        link[dst[back], src[back]] = True
        # Summed rows of the nodes: the newcomers, the open members, each closed cluster's.
        held = [np.array(self.members[c], dtype=np.int64) for c in old]
        positions = np.concatenate([ps, np.array(loose, dtype=np.int64), *held])
        owner = np.concatenate(
            [np.arange(k_open), *(np.full(len(h), k_open + j) for j, h in enumerate(held))]
        )
        indicator = sp.csr_matrix(
            (np.ones(len(positions)), (owner, np.arange(len(positions)))),
            shape=(k, len(positions)),
        )
        if self.tf is None:
            sums = indicator @ self.rows[positions]
        else:
            a, b = self.tf.indptr[ps[0]], self.tf.indptr[ps[-1] + 1]
            np.add.at(self.df_now, self.tf.indices[a:b], 1.0)
            end = int(ps[-1]) + 1
            now = sp.csr_matrix(self.tf[positions], copy=True)
            now.data = now.data * (np.log((end + 1) / (self.df_now[now.indices] + 1.0)) + 1.0)
            sums = indicator @ normalize_rows(now, copy=False)
        size = np.r_[np.ones(k_open), [len(h) for h in held]].astype(np.float64)
        # Average cosines, row by row as (sums @ sums.T) / outer(size, size) gives them (a
        # row's entries summed in its own stored column order, whichever rows are taken).
        # Only the rows of the newcomers and open members are read before a merge; a closed
        # cluster's row is read when it merges, so it is made then, or before when it is some
        # node's best partner at the threshold (make_wanted).
        by_col = sums.T.tocsr()
        size0 = size.copy()
        avg = _dense_product(sums[:k_open], by_col) / size0  # 1 * size0: the outer
        closed_rows: dict[int, np.ndarray] = {}
        ready = np.r_[np.ones(k_open, dtype=bool), np.zeros(len(old), dtype=bool)]

        def make_rows(rs: np.ndarray) -> None:
            made = _dense_product(sums[rs], by_col) / np.outer(size0[rs], size0)
            closed_rows.update(zip(rs.tolist(), made, strict=True))
            ready[rs] = True

        # A merge writes its node's row of averages and, the same values, its column; the
        # column is not written (a strided write of k values) but read back when needed: the
        # average of r and c is avg[c, r] when c was merged after r, else avg[r, c].
        stamp = np.full(k, -1, dtype=np.int64)
        merged_at = np.empty(k, dtype=np.int64)  # the node merged into by each merge, in order

        def current(r: int) -> np.ndarray:
            row = avg[r].copy() if r < k_open else closed_rows.pop(r)
            later = merged_at[stamp[r] + 1 : k - len(group)]  # (repeats: the same values)
            row[later] = avg[later, r]
            return row

        is_old = np.r_[np.zeros(k_open, dtype=bool), np.ones(len(old), dtype=bool)]
        days = [self._own(int(p)) for p in ps] + [self._own(p) for p in loose]
        days += [self.days[c] for c in old]
        days = [(list(a), list(b)) for a, b in days]
        stats = np.full((2, 3, k), np.nan)  # rule, (median, earliest, latest), node

        def restat(i: int) -> None:
            for r in range(2):
                if days[i][r]:
                    held_r = sorted(days[i][r])
                    stats[r, :, i] = (_median(held_r), held_r[0], held_r[-1])
                else:
                    stats[r, :, i] = np.nan

        for i in range(k):
            restat(i)
        gaps = (MAX_PUBLISHED_DAYS, MAX_STATED_DAYS)
        alive = np.ones(k, dtype=bool)

        def allowed(ii: np.ndarray, xx: np.ndarray) -> np.ndarray:
            """Which linked pairs (ii, xx) may merge: not two closed clusters, not itself,
            calendar medians and spans within the gaps."""
            ok = ~(is_old[ii] & is_old[xx]) & (ii != xx)
            for r, gap in enumerate(gaps):
                med, early, late = stats[r]
                ok &= ~(np.abs(med[xx] - med[ii]) > gap)
                ok &= ~((late[ii] - early[xx] > gap) | (late[xx] - early[ii] > gap))
            return ok

        gap_of_rule = np.array([[float(g)] for g in gaps])

        def allowed_with(i: int, xx: np.ndarray) -> np.ndarray:
            """allowed(i, xx) for one node i, both rules at once (the same comparisons)."""
            mine, theirs = stats[:, :, i, None], stats[:, :, xx]
            apart = (
                (np.abs(theirs[:, 0] - mine[:, 0]) > gap_of_rule)
                | (mine[:, 2] - theirs[:, 1] > gap_of_rule)
                | (theirs[:, 2] - mine[:, 1] > gap_of_rule)
            )
            return ~apart.any(axis=0) & ~(is_old[i] & is_old[xx]) & (xx != i)

        # The rows of the newcomers and open members at their allowed linked pairs (all alive),
        # each pair at the larger of its two directions' averages.
        ii, xx = np.nonzero(link)
        ok = allowed(ii, xx)
        ii, xx = ii[ok], xx[ok]
        values = avg[ii, xx]
        score = np.full((k_open, k), -np.inf)
        score[ii, xx] = values
        back = xx < k_open
        score[xx[back], ii[back]] = np.maximum(score[xx[back], ii[back]], values[back])
        # Best partner per row (first column on ties): the pair np.argmax(score) would pick is
        # the best of the row with the lowest index among those holding the maximum. A closed
        # cluster's row is its column: -inf at every closed cluster, so its best (0 if none is
        # finite) is among the first k_open.
        best = np.r_[np.argmax(score, axis=1), np.argmax(score[:, k_open:], axis=0)]
        best_score = np.r_[
            score[np.arange(k_open), best[:k_open]], score[best[k_open:], np.arange(k_open, k)]
        ]

        def link_row(j: int) -> np.ndarray:
            if j < k_open:
                return link[j]
            return np.r_[link[:, j], np.zeros(k - k_open, dtype=bool)]

        def make_wanted(j: int) -> None:
            """Row j, and those of the closed clusters now some node's best partner at the
            threshold: most of those merge (one product for all)."""
            wanted = best[best_score >= self.threshold]
            wanted = np.union1d(wanted[~ready[wanted]], [j] if j >= 0 else [])
            if len(wanted):
                make_rows(wanted.astype(np.int64))

        make_wanted(-1)
        group = {i: [i] for i in range(k)}
        while True:
            i = int(np.argmax(best_score))
            j = int(best[i])
            if not (score[i, j] if i < k_open else score[j, i]) >= self.threshold:
                break
            if j < i:
                i, j = j, i
            if not ready[j]:
                make_wanted(j)
            merged = (size[i] * current(i) + size[j] * current(j)) / (size[i] + size[j])
            avg[i, :] = merged
            stamp[i] = k - len(group)  # the merges before this one
            merged_at[stamp[i]] = i
            size[i] += size[j]
            # link and score are symmetric: their columns written where they change.
            gained = np.flatnonzero(link_row(j) & ~link[i])
            link[i, gained] = True
            link[gained[gained < k_open], i] = True
            is_old[i] = False
            days[i] = (days[i][0] + days[j][0], days[i][1] + days[j][1])
            restat(i)
            alive[j] = False
            group[i].extend(group.pop(j))
            score[:, j] = -np.inf
            if j < k_open:
                score[j, :] = -np.inf
            xx = np.flatnonzero(link[i] & alive)
            xx = xx[allowed_with(i, xx)]
            row = np.full(k, -np.inf)
            row[xx] = avg[i, xx]
            score[:, i] = -np.inf
            score[i, :] = row
            opened_xx = xx[xx < k_open]
            score[opened_xx, i] = row[opened_xx]
            stale = (best == i) | (best == j)
            stale[[i, j]] = True
            # Rows that now prefer i (only where i's score is finite: a row without any finite
            # score holds best 0, never above i).
            col = row[xx]
            better = ~stale[xx] & (
                (col > best_score[xx]) | ((col == best_score[xx]) & (best[xx] > i))
            )
            best[xx[better]] = i
            best_score[xx[better]] = col[better]
            rows = np.flatnonzero(stale[:k_open])
            scores = score[rows]
            best[rows] = np.argmax(scores, axis=1)
            best_score[rows] = scores[np.arange(len(rows)), best[rows]]
            rows = np.flatnonzero(stale[k_open:]) + k_open
            if len(rows):
                scores = score[:, rows]
                best[rows] = np.argmax(scores, axis=0)
                best_score[rows] = scores[best[rows], np.arange(len(rows))]
        for c in opened:
            del self.members[c]
            del self.days[c]
            self.dense.pop(c, None)
        for nodes in group.values():
            olds = sorted(old[n - k_open] for n in nodes if n >= k_open)
            news = sorted(
                int(ps[n]) if n < k_new else loose[n - k_new] for n in nodes if n < k_open
            )
            if olds:
                into = olds[0]
                for other in olds[1:]:
                    self._merge(into, other)
            else:
                into = news[0]
                self._new(into, self._own(into))
                news = news[1:]
            for p in news:
                self._attach(into, p)
        if self.open_size:
            for p, lk in zip(ps.tolist(), links, strict=True):
                mine = self.adj.setdefault(p, [])
                for y in lk.tolist():
                    mine.append(y)
                    self.adj.setdefault(y, []).append(p)

    def _new(self, p: int, own: tuple[list[float], list[float]]) -> None:
        self.label[p] = p
        self.members[p] = [p]
        self.days[p] = own
