"""The story gathering before the day-by-day one: one average linkage over the whole archive.

``pipeline.stories`` gathered with :func:`gather` until the gathering became resumable
(``pipeline/online_gathering.py``, driven by ``pipeline/gathering.py``, which a run resumes from
the first day that changed). It is kept out of the pipeline, as the reference the day-by-day
gathering is measured against (``benchmarks/online_gathering.py``, variant ``a``), with its tests
(``tests/test_story_clustering.py``, ``tests/test_linkage_queue.py``).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from pipeline.progress import Progress
from pipeline.similarity import similar_pairs

MAX_PUBLISHED_GAP = timedelta(days=730)  # follow-up reports of one story can come a year later
# Between the typical dates two stories state for their happening. Stated dates are resolved
# by rules and some belong to a follow-up or background happening, hence a generous gap. Wider
# gaps join a trial to its crime (one story to readers) but also a June visit to a February one.
MAX_STATED_GAP = timedelta(days=90)

# Gathering compares candidate pairs only (pipeline.similarity): articles sharing terms found in
# at most GATHER_MAX_DF articles of their two years, which alone make a cosine of at least
# GATHER_MIN_RARE; each article keeps its GATHER_NEIGHBOURS most similar partners. Measured on
# 18,761 Reuters-21578 wire articles (benchmarks/dedup_scaling.py) against gathering on every
# pair at or above the threshold (found by brute force), gathered groups agree at B-cubed F1
# 0.963 (0.989 at 2,500 articles; identical clusters on ECB+ and GVC) in 9.6 s; every partner
# instead of 20: 0.970 in 22.8 s, 10: 0.934; a cap of 200 on all candidates: 0.933 in 21 s; 800
# with 0.03: 0.977 in 12.2 s. The rare-term part cuts the pairs scored to a fifth (it keeps 83%
# of the pairs at or above the threshold among them), the partner limit the linkage work.
GATHER_MAX_DF = 400
GATHER_MIN_RARE = 0.02
GATHER_NEIGHBOURS = 20
# Components of the gathering graph up to this size are clustered on the matrix of all their
# pairs (32 MB at 2,000), exactly as the all-pairs clustering always was; larger ones (a wire
# archive is one) without it, by _linked_linkage.
DENSE_COMPONENT = 2000


def gather(
    rows: sp.csr_matrix,
    threshold: float,
    published: Sequence[date | None],
    windows: Sequence[tuple[date, date] | None] | None = None,
    progress: Progress | None = None,
) -> list[int]:
    """Average-linkage clusters of unit TF-IDF ``rows`` that respect what the calendar says.

    Two clusters never merge when their dated members were typically (median) published far
    apart, or when the dates their members state for their main happening typically (median)
    lie far apart (``windows``: the span each article says its happening lies in, or None).
    Medians, because a story's follow-ups (the trial after the shooting) and a misdated article
    are a minority that should neither block a merge nor let a cluster straddle two happenings.
    Once two clusters were kept apart, whatever grows out of them stays apart.

    Two clusters can only merge when some pair of their members is at least ``threshold``
    similar (an average is never above its largest term), so clusters grow inside the connected
    components of the graph of such pairs, and each component is clustered on its own. That
    graph is built from candidate pairs (see GATHER_MAX_DF): a pair of articles sharing no rare
    term, or not among either one's strongest, never links two clusters, though it still counts
    in their average, which is always over all member pairs. The result depends on the order
    of ``rows`` only through ties, which go to the lowest indices.
    """
    n = rows.shape[0]
    if n == 0:
        return []
    windows = windows if windows is not None else [None] * n
    clocks = [
        (MAX_PUBLISHED_GAP.days, np.array([_day(p) for p in published], dtype=np.float64)),
        (
            MAX_STATED_GAP.days,
            np.array(
                [(w[0].toordinal() + w[1].toordinal()) / 2 if w else np.nan for w in windows],
                dtype=np.float64,
            ),
        ),
    ]
    gap, day = clocks[0]
    first, second, sims = similar_pairs(
        rows,
        threshold,
        GATHER_MAX_DF,
        GATHER_MIN_RARE,
        spans=(day, day + gap),
        width=gap,
        keep=GATHER_NEIGHBOURS,
    )
    # Pairs published too far apart never come up (spans); pairs whose stated dates are too far
    # apart are dropped here, after each article's strongest partners were chosen.
    free = np.ones(len(first), dtype=bool)
    for gap, when in clocks:
        free &= ~(np.abs(when[first] - when[second]) > gap)  # undated (NaN) compares False
    first, second, sims = first[free], second[free], sims[free]
    graph = sp.coo_matrix((np.ones(len(first)), (first, second)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    order = np.argsort(component, kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(component[order]) != 0, True])
    pair_order = np.argsort(component[first], kind="stable")  # a pair's ends share a component
    pair_bounds = np.r_[
        np.searchsorted(component[first][pair_order], component[order[bounds[:-1]]]),
        len(pair_order),
    ]
    clusters: list[list[int]] = []
    for k, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        members = order[start:stop]  # ascending: the sort is stable
        if progress is not None:
            progress.advance(len(members))
        if len(members) == 1:
            clusters.append([int(members[0])])
            continue
        local = [(g, when[members]) for g, when in clocks]
        if len(members) <= DENSE_COMPONENT:
            block = rows[members]
            parts = _dense_linkage((block @ block.T).toarray(), threshold, local)
        else:
            inside = pair_order[pair_bounds[k] : pair_bounds[k + 1]]
            parts = _linked_linkage(
                rows[members],
                np.searchsorted(members, first[inside]),
                np.searchsorted(members, second[inside]),
                sims[inside],
                threshold,
                local,
            )
        clusters.extend([int(members[m]) for m in part] for part in parts)
    labels = [0] * n
    for label, items in enumerate(sorted(clusters)):
        for m in items:
            labels[m] = label
    return labels


def _day(value: date | None) -> float:
    return float(value.toordinal()) if value else np.nan


def _dense_linkage(
    sim: np.ndarray, threshold: float, clocks: list[tuple[int, np.ndarray]]
) -> list[list[int]]:
    """Average linkage on all pairs of a component, merge by merge as it always was done.

    Each merge joins the most similar pair of clusters (ties: the lowest indices), found from
    each row's cached best partner, so a merge costs a few rows instead of a scan of all pairs.
    ``clocks``: (gap, day per item or NaN) of the calendar rules.
    """
    n = sim.shape[0]
    avg = np.array(sim, dtype=np.float64, copy=True)
    np.fill_diagonal(avg, -np.inf)
    size = np.ones(n)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    days = [{i: [] if np.isnan(d) else [float(d)] for i, d in enumerate(w)} for _, w in clocks]
    medians = [np.array(w, dtype=np.float64, copy=True) for _, w in clocks]
    for (gap, _), when in zip(clocks, medians, strict=True):
        avg[np.abs(when[:, None] - when[None, :]) > gap] = -np.inf
    best_col = avg.argmax(axis=1)
    best = avg[np.arange(n), best_col]
    while len(members) > 1:
        i = int(np.argmax(best))  # first row holding the maximum: np.argmax over all pairs
        if not best[i] >= threshold:
            break
        j = int(best_col[i])
        if j < i:  # not for a symmetric matrix: row j would hold the maximum first
            i, j = j, i
        merged = (size[i] * avg[i] + size[j] * avg[j]) / (size[i] + size[j])
        size[i] += size[j]
        members[i].extend(members.pop(j))
        avg[i, :] = merged
        avg[:, i] = merged
        avg[j, :] = -np.inf
        avg[:, j] = -np.inf
        avg[i, i] = -np.inf
        for (gap, _), held, when in zip(clocks, days, medians, strict=True):
            held[i] = held[i] + held.pop(j)
            when[j] = np.nan
            when[i] = float(np.median(held[i])) if held[i] else np.nan
            far = np.abs(when - when[i]) > gap  # NaN (undated) compares False
            avg[i, far] = -np.inf
            avg[far, i] = -np.inf
        column = avg[:, i]
        stale = (best_col == i) | (best_col == j)
        stale[i], stale[j] = True, False
        best[j] = -np.inf
        better = ~stale & ((column > best) | ((column == best) & (best_col > i)))
        best_col[better] = i
        best[better] = column[better]
        redo = np.flatnonzero(stale)
        best_col[redo] = avg[redo].argmax(axis=1)
        best[redo] = avg[redo, best_col[redo]]
    return list(members.values())


def _linked_linkage(
    rows: sp.csr_matrix,
    first: np.ndarray,
    second: np.ndarray,
    sims: np.ndarray,
    threshold: float,
    clocks: list[tuple[int, np.ndarray]],
) -> list[list[int]]:
    """Average linkage of a large component without its all-pairs matrix.

    With unit rows, the summed similarity of two clusters' member pairs is the dot product of
    their members' summed rows, so an average costs the size of two sparse sums, not of all the
    pairs. Only clusters linked by a given pair (``first``/``second``: pairs at least
    ``threshold`` similar) can reach the threshold, so only theirs are computed, and a heap
    (:class:`_Queue`) holds those that reach it; an entry whose clusters changed since it was
    pushed is skipped. Same merges as :func:`_dense_linkage` but for one thing: clusters kept
    apart because their medians were far apart stay apart when they were linked at the time
    (the dense version remembers every such pair).
    """
    n = rows.shape[0]
    sums = [
        (rows.indices[a:b], rows.data[a:b])
        for a, b in zip(rows.indptr[:-1], rows.indptr[1:], strict=True)
    ]
    scratch = np.zeros(rows.shape[1])
    linked: list[set[int]] = [set() for _ in range(n)]
    for a, b in zip(first.tolist(), second.tolist(), strict=True):
        linked[a].add(b)
        linked[b].add(a)
    size = np.ones(n)
    version = [0] * n
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    # Per calendar rule: member days, their median, earliest and latest (NaN: none dated). A
    # rule that cannot part anyone here (all days within its gap) is not checked at all.
    rules = [
        (gap, [[] if np.isnan(d) else [d] for d in w.tolist()], w.copy(), w.copy(), w.copy())
        for gap, w in clocks
        if np.nanmax(w, initial=-np.inf) - np.nanmin(w, initial=np.inf) > gap
    ]
    blocked: list[set[int]] = [set() for _ in range(n)]
    queue = _Queue(version)
    by_first = np.argsort(first, kind="stable")  # the given pairs, one batch per lower end
    starts = np.flatnonzero(np.r_[True, np.diff(first[by_first]) != 0]) if len(first) else []
    for begin, end in zip(starts, np.r_[starts[1:], len(first)], strict=True):
        mine = by_first[begin:end]
        queue.push(int(first[mine[0]]), second[mine], -sims[mine])

    def apart(a: int, others: np.ndarray) -> np.ndarray:
        """Which ``others`` cluster ``a`` may never join (NaN, undated, compares False)."""
        out = np.zeros(len(others), dtype=bool)
        for gap, _, median, earliest, latest in rules:
            out |= np.abs(median[others] - median[a]) > gap
            # Two members too far apart: the dense version never lets go of such a pair.
            out |= (latest[a] - earliest[others] > gap) | (latest[others] - earliest[a] > gap)
        return out

    def separate(a: int, b: int) -> None:
        blocked[a].add(b)
        blocked[b].add(a)
        linked[a].discard(b)
        linked[b].discard(a)

    while queue:
        neg, a, b, current = queue.pop()
        if -neg < threshold:
            break
        if not current:
            continue  # a cluster changed (or was absorbed) since
        if rules and apart(a, np.array([b]))[0]:
            separate(a, b)
            continue
        size[a] += size[b]
        members[a].extend(members.pop(b))
        version[a] += 1
        version[b] += 1
        for _, held, median, earliest, latest in rules:
            held[a] = held[a] + held[b]
            median[a] = float(np.median(held[a])) if held[a] else np.nan
            earliest[a] = np.fmin(earliest[a], earliest[b])
            latest[a] = np.fmax(latest[a], latest[b])
        sums[a] = _sparse_sum(sums[a], sums[b])
        sums[b] = None
        for k in blocked[b]:
            blocked[k].discard(b)
            blocked[k].add(a)
        blocked[a] |= blocked[b]
        for k in linked[b]:
            linked[k].discard(b)
            if k != a:
                linked[k].add(a)
        linked[a] |= linked[b]
        linked[a] -= {a, b}
        for k in linked[a] & blocked[a]:
            separate(a, k)
        if not linked[a]:
            continue
        others = np.fromiter(linked[a], dtype=np.int64, count=len(linked[a]))
        theirs = [sums[k] for k in others.tolist()]
        index, value = sums[a]
        scratch[index] = value
        dots = np.bincount(
            np.repeat(np.arange(len(others)), [len(t[0]) for t in theirs]),
            weights=scratch[np.concatenate([t[0] for t in theirs])]
            * np.concatenate([t[1] for t in theirs]),
            minlength=len(others),
        )
        scratch[index] = 0.0
        averages = dots / (size[a] * size[others])
        reach = averages >= threshold
        others, averages = others[reach], averages[reach]
        if rules:
            parted = apart(a, others)
            for k in others[parted].tolist():
                separate(a, k)
            others, averages = others[~parted], averages[~parted]
        queue.push(a, others, -averages)
    return list(members.values())


class _Queue:
    """The pairs of clusters by average, most similar first (ties: lowest indices), skipping
    none that is still current.

    Every merge pushes the new cluster's averages with all its linked clusters, and most are
    out of date before they come up: the cluster merges again (10,000 Reuters articles: 295,000
    of 303,000 entries popped from a heap of pairs were). So the pairs a cluster pushes at once
    are kept as one sorted batch, and the heap holds each batch's next pair only: a batch whose
    cluster has merged since is dropped whole when its next pair comes up. The current pairs
    come out in the order of one heap of all pairs keyed (-average, lower, higher, versions),
    so the merges are the same.
    """

    def __init__(self, version: list[int]) -> None:
        self.version = version
        self.heap: list[tuple] = []
        self.batches: list[tuple | None] = []  # owner, its version, then arrays (push)
        self.next = [0]

    def __bool__(self) -> bool:
        return bool(self.heap)

    def push(self, owner: int, others: np.ndarray, negated: np.ndarray) -> None:
        """The pairs (owner, others[k]) at -average ``negated[k]``, at the clusters' current
        versions."""
        if not len(others):
            return
        low, high = np.minimum(owner, others), np.maximum(owner, others)
        order = np.lexsort((high, low, negated))  # versions never decide within one batch
        others = others[order]
        version = self.version
        stamps = np.fromiter(map(version.__getitem__, others.tolist()), np.int64, len(others))
        # Kept as arrays, not lists: most of a batch is never offered (its cluster merges
        # first), and four lists of Python numbers cost ~100 bytes a pair against 32 here;
        # only the pair offered becomes Python numbers.
        batch = (owner, version[owner], negated[order], low[order], high[order], stamps)
        self.batches.append(batch)
        self.next.append(0)
        self._offer(len(self.batches) - 1, 0)

    def _offer(self, b: int, k: int) -> None:
        owner, stamp, negated, low, high, stamps = self.batches[b]
        lower, other = int(low[k]), int(stamps[k])
        versions = (stamp, other) if lower == owner else (other, stamp)
        heapq.heappush(self.heap, (float(negated[k]), lower, int(high[k]), *versions, b))
        self.next[b] = k + 1

    def pop(self) -> tuple[float, int, int, bool]:
        """(-average, lower, higher, whether both clusters are as they were when it was
        pushed) of the next pair."""
        neg, low, high, v_low, v_high, b = heapq.heappop(self.heap)
        owner, stamp, negated = self.batches[b][:3]
        if self.version[owner] != stamp:
            self.batches[b] = None  # every pair of the batch is out of date
            return neg, low, high, False
        if self.next[b] < len(negated):
            self._offer(b, self.next[b])
        else:
            self.batches[b] = None
        return neg, low, high, v_low == self.version[low] and v_high == self.version[high]


def _sparse_sum(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of two sparse vectors given as (indices, values)."""
    index, where = np.unique(np.concatenate([a[0], b[0]]), return_inverse=True)
    return index, np.bincount(where, weights=np.concatenate([a[1], b[1]]), minlength=len(index))
