"""Story gathering that resumes where the last run's archive changed: a new day costs one day.

The story clustering (``stories.story_clusters``) first gathers articles into candidate groups.
It does so day by day in a fixed canonical order (published date, then article_id; undated
articles last, as one batch), with :class:`pipeline.online_gathering.OnlineGathering`: the
articles of one published day are gathered together (average linkage among them and the earlier
clusters they link to), weighted by the idf of the archive up to that day's end, and an earlier
cluster of at most ``OPEN_SIZE`` members that a newcomer links to is re-gathered with the day.
Every decision for a day depends only on the articles up to its end. So the state at the start
of a day (which earlier articles form which cluster) is the same in every run whose articles up
to that day are the same, and a run may start from it instead of from the first day: the result
is the same, bit for bit, as gathering the whole archive again.

That is what :func:`gather_resuming` does with a :class:`GatheringMemory` handed from run to
run (the pipeline keeps it in the working database, ``pipeline/gathering_store.py``):

* **checkpoints**: the clusters at the start of the last day, the day before it, and 2, 4, 8,
  16 and 32 days back, at the day starts after each sixteenth of the archive, and the state
  after the whole archive (where the next day starts);
* a fingerprint per article of everything the gathering reads of it (article_id, published
  day, stated-date window, term weights), in canonical order. A run resumes from the latest
  checkpoint before the first article that is new, gone or changed (a backfill, an edited
  file, an entity merge that renamed its terms), or from the first day; each checkpoint also
  carries the digest of the fingerprints before it, checked again before it is used;
* the links between articles (each article's strongest earlier partners, which later days use
  to re-open small clusters).

The term weights must not depend on the rest of the archive for that to hold: they are the
articles' term frequencies (``TermTable.tf_counts``), and the columns are numbered in canonical
order (by the first article holding each term, then the term), so an article's row and every
float sum over it stay the same when later days are added.

Measured (Reuters 10k): the gathering of the whole archive took 4.0-4.6 s, the same as the
average linkage it replaced; one more article on the last day replays that day.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import scipy.sparse as sp

from pipeline import online_gathering
from pipeline.online_gathering import OnlineGathering
from pipeline.progress import Progress
from pipeline.similarity import normalize_rows

BUCKET_DAYS = 1
OPEN_SIZE = 3
# Checkpoints kept, in days (buckets) before the end of the archive: the last day (one new
# file), the day after it (0: the next day's articles), and back in doubling steps for a
# batch or a backfill of older articles, which replays from the latest one still valid.
CHECKPOINT_BUCKETS = (0, 1, 2, 4, 8, 16, 32)
# And at the first day start after each 1/EVEN_CHECKPOINTS of the archive: new articles can
# change old ones. A batch of 100 Reuters items (1 % of 10,000) made a new organisation
# entity of a name that an article 22 days back also held, so that article's terms changed.
# Stored, the checkpoints hold about 8 x EVEN_CHECKPOINTS bytes per article (14 MB at
# 100,000 articles; with the links and fingerprints about 400 bytes per article in all).
EVEN_CHECKPOINTS = 16
# What a checkpoint was made with: a stored one of another version is never resumed from.
# Raise the last field whenever a change to the gathering's code changes what it decides.
VERSION = (
    f"k{BUCKET_DAYS}o{OPEN_SIZE}|max_df={online_gathering.MAX_DF}|"
    f"min_rare={online_gathering.MIN_RARE}|keep={online_gathering.KEEP}|"
    f"days={online_gathering.MAX_PUBLISHED_DAYS},{online_gathering.MAX_STATED_DAYS}|1"
)


@dataclass
class Checkpoint:
    """The clusters of the first ``position`` articles in canonical order, at a day's start.

    ``prefix``: digest of those articles' fingerprints and of the gathering's settings
    (``VERSION``, threshold). ``cluster_ids``, ``lengths`` and
    ``members`` hold each cluster's id and its members (positions), in the order the gathering
    holds them (the order of a cluster's members is the order its rows are summed in)."""

    position: int
    prefix: bytes
    cluster_ids: np.ndarray
    lengths: np.ndarray
    members: np.ndarray


@dataclass
class GatheringMemory:
    """What one run of the gathering hands the next (read before, replaced after a run).

    ``links``: pairs (later, earlier) of positions, each article's links to earlier ones;
    ``fingerprints``: the articles' fingerprints in canonical order. After a run,
    ``first_changed`` is the first position whose article differs from the last run's,
    ``resumed_at`` the position it started from and ``total`` the articles."""

    checkpoints: list[Checkpoint] = field(default_factory=list)
    links: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    fingerprints: list[bytes] = field(default_factory=list)
    first_changed: int = 0
    resumed_at: int = 0
    total: int = 0


def canonical_rows(counts: sp.csr_matrix, terms: Sequence[str], order: np.ndarray) -> sp.csr_matrix:
    """Unit term-frequency rows in canonical order (row p is ``counts[order[p]]``) with the
    columns renumbered in canonical order too: by the first row holding the term, then by the
    term. Terms first held before a day keep their numbers whatever is added later."""
    n, width = counts.shape
    if width == 0:
        return sp.csr_matrix((n, 0))
    counts = counts[order]
    holder = np.repeat(np.arange(n), np.diff(counts.indptr))
    first = np.full(width, n, dtype=np.int64)
    np.minimum.at(first, counts.indices, holder)
    del holder
    by_term = np.empty(width, dtype=np.int64)  # each term's rank in string order
    by_term[sorted(range(width), key=terms.__getitem__)] = np.arange(width)
    ranked = np.lexsort((by_term, first))
    column = np.empty(width, dtype=np.int64)
    column[ranked] = np.arange(width)
    rows = sp.csr_matrix(
        (counts.data.astype(np.float64, copy=False), column[counts.indices], counts.indptr),
        shape=(n, width),
    )
    rows.sort_indices()
    return normalize_rows(rows, copy=False)


def gather_resuming(
    rows: sp.csr_matrix,
    order: np.ndarray,
    keys: Sequence[str],
    threshold: float,
    published: Sequence[date | None],
    windows: Sequence[tuple[date, date] | None],
    memory: GatheringMemory | None = None,
    progress: Progress | None = None,
) -> list[int]:
    """Group label per article (numbered by lowest index), as the whole-archive ``gather``
    (``benchmarks/whole_archive_linkage.py``) returns them.

    ``order``: ``online_gathering.canonical_order`` of ``published``; ``rows``: the articles'
    :func:`canonical_rows` (row p is the article ``order[p]``); ``keys``, ``published`` and
    ``windows``: each article's article_id, publication date and stated-date window. With
    ``memory``, resumes from its latest valid checkpoint and leaves in it the checkpoints,
    links and fingerprints for the next run.
    """
    n = rows.shape[0]
    if n == 0:
        if memory is not None:
            memory.checkpoints, memory.fingerprints = [], []
            memory.first_changed = memory.resumed_at = memory.total = 0
            memory.links = np.zeros((0, 2), dtype=np.int64)
        return []
    run = OnlineGathering(
        rows,
        published,
        windows,
        order,
        threshold,
        idf="current",
        idf_days=BUCKET_DAYS,
        rows_are_tf=True,
        open_size=OPEN_SIZE,
        rows_in_order=True,
    )
    bounds = run.buckets(BUCKET_DAYS)
    wanted = {int(bounds[-1 - d]) for d in CHECKPOINT_BUCKETS if d < len(bounds)}
    share = np.searchsorted(bounds, np.arange(1, EVEN_CHECKPOINTS) * n / EVEN_CHECKPOINTS)
    wanted.update(int(bounds[k]) for k in share.tolist())
    fingerprints = _fingerprints(run, keys)
    kept: list[Checkpoint] = []
    if memory is not None:
        start = _resume(run, memory, fingerprints, set(bounds.tolist()))
        kept = [cp for cp in memory.checkpoints if cp.position < start and cp.position in wanted]
        memory.resumed_at, memory.total = start, n
    if progress is not None and run.done:
        progress.advance(run.done)
    for first, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if first < run.done:
            continue
        if first in wanted:
            kept.append(_snapshot(run, first, fingerprints))
        run.add_bucket(np.arange(first, stop))
        run.done = stop
        if progress is not None:
            progress.advance(stop - first)
    if memory is not None:
        kept.append(_snapshot(run, n, fingerprints))
        memory.checkpoints = kept
        memory.links = run.link_pairs()
        memory.fingerprints = fingerprints
    return run.labels()


def _fingerprints(run: OnlineGathering, keys: Sequence[str]) -> list[bytes]:
    """Per position: a digest of all the gathering reads of that article (its article_id,
    published day, stated-window midpoint and term row)."""
    indices, data, indptr = run.tf.indices, run.tf.data, run.tf.indptr.tolist()
    days = np.stack([run.pub, run.mid], axis=1)
    out = []
    for p, row in enumerate(run.order.tolist()):
        digest = hashlib.blake2b(keys[row].encode(), digest_size=16)
        digest.update(days[p].tobytes())
        a, b = indptr[p], indptr[p + 1]
        digest.update(indices[a:b].astype("<i8").tobytes())  # whatever width scipy chose
        digest.update(data[a:b].astype("<f8").tobytes())
        out.append(digest.digest())
    return out


def _prefix(fingerprints: list[bytes], position: int, threshold: float) -> bytes:
    """Digest of the articles before ``position`` and of what decided their clusters."""
    made_with = f"{VERSION}|threshold={threshold!r}|".encode()
    return hashlib.sha256(made_with + b"".join(fingerprints[:position])).digest()


def _snapshot(run: OnlineGathering, position: int, fingerprints: list[bytes]) -> Checkpoint:
    members = run.members
    lengths = np.fromiter((len(m) for m in members.values()), dtype=np.int64, count=len(members))
    return Checkpoint(
        position,
        _prefix(fingerprints, position, run.threshold),
        np.fromiter(members.keys(), dtype=np.int64, count=len(members)),
        lengths,
        np.fromiter(
            itertools.chain.from_iterable(members.values()),
            dtype=np.int64,
            count=int(lengths.sum()),
        ),
    )


def _resume(
    run: OnlineGathering, memory: GatheringMemory, fingerprints: list[bytes], bounds: set[int]
) -> int:
    """Start ``run`` from the latest checkpoint of ``memory`` valid for its articles: at a day's
    start in this run too, at or before the first article that differs from the last run's,
    and with the same articles before it (its digest, checked again). Returns its position
    (0: none is valid, the run starts from the first day)."""
    old = memory.fingerprints
    same = min(len(old), len(fingerprints))
    changed = next((p for p in range(same) if old[p] != fingerprints[p]), same)
    memory.first_changed = changed
    for cp in sorted(memory.checkpoints, key=lambda c: -c.position):
        if cp.position == 0 or cp.position not in bounds or cp.position > changed:
            continue
        if cp.prefix != _prefix(fingerprints, cp.position, run.threshold):
            continue
        offsets = np.r_[0, np.cumsum(cp.lengths)].tolist()
        members = {
            cluster: cp.members[offsets[k] : offsets[k + 1]].tolist()
            for k, cluster in enumerate(cp.cluster_ids.tolist())
        }
        run.restore(cp.position, members, memory.links)
        return cp.position
    return 0
