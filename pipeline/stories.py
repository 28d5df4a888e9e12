"""Article-level story clustering: which articles report the same happening.

Event words alone are a poor key for this: reports of one robbery call it a heist, a theft or a
raid, and sentences naming a kind of event are shared by look-alike happenings years apart. What
tells reports of one happening from a look-alike is the whole article: the same names, numbers
and phrases recur across reports of one happening, and differ between two happenings of a kind.

Two stages, each driven by one global threshold:

1. Average-linkage agglomeration on TF-IDF cosine (content words, numbers and canonical entities;
   headline and lead weighted up) with a low threshold gathers everything about one *kind* of
   story. Clusters whose dated articles were published far apart never merge. The articles are
   gathered one published day at a time, weighted by the idf of the archive up to that day
   (``pipeline.gathering``): a day's decisions depend only on the days up to it, so a run resumes
   from the day the archive changed and costs what is new, with the groups of a full rebuild.
2. Each gathered cluster is bisected recursively by the normalized cut (Shi & Malik) on a finer
   representation that adds word pairs, which are far more specific to one happening than single
   words ("ins mysore" vs "ins sukanya"). A split is kept when its normalized cut is low, i.e.
   the two halves are much more tightly connected inside than to each other. Being a ratio, the
   normalized cut does not depend on how verbose or how similar a kind of story is overall, so
   one threshold serves short briefs and long features alike. Wording also separates the
   phases of one story (the crime, the charge) and copies of one wire report from the rest, so
   halves whose reports came out in the same weeks, and halves that are one report printed
   several times, are never split off.

The day of the week is the one calendar fact that nearly every report states ("shot Friday",
"said on Tuesday"), dated or not, and every report of one happening states the same one, while
two look-alikes fall on the same weekday only by chance. So the weekdays the halves' leads name
move the split threshold: halves naming the same weekdays must be cut more cleanly to be two
happenings, halves naming different ones less cleanly.

Templated briefs (quarterly results, dividends, filings of a wire feed) are the extreme
look-alikes: two companies' results share every word but the companies' names and the figures,
so they gather into one group that no cut can divide (every member is as close to every other).
Two reports are one happening only if they share its principal participants, so a final step
(:class:`Principals`) splits each story into groups whose headlines' participants agree.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh
from scipy.spatial.distance import squareform

from pipeline.date_lines import parse_date_line
from pipeline.dates import as_date
from pipeline.gathering import GatheringMemory, canonical_rows, gather_resuming
from pipeline.online_gathering import canonical_order
from pipeline.progress import Progress
from pipeline.sentences import iter_sentences
from pipeline.similarity import TermTable, counter_cosine
from pipeline.stopwords import ENGLISH_STOPWORDS
from pipeline.url_line import URL_LINE

GATHER_THRESHOLD = 0.1  # average cosine that puts two articles in one kind of story
SPLIT_NCUT = 0.8  # normalized cut below which a gathered cluster is two stories
# The same threshold when the halves' leads name the same weekdays (cosine of their weekday
# profiles at least SAME_WEEKDAYS) or different ones (at most OTHER_WEEKDAYS).
SAME_WEEKDAYS, SAME_WEEKDAYS_NCUT = 0.9, 0.7
OTHER_WEEKDAYS, OTHER_WEEKDAYS_NCUT = 0.4, 0.95
WEEKDAY_LEAD_SENTENCES = 6  # where a report says when its happening happened
LEAD_LINES = 3  # headline and first sentences: where a report names its happening
# A report published this far from the rest of its story's (median) and naming none of their
# people is a look-alike, not a follow-up (see _late_strays). GVC B-cubed F1 0.984 -> 0.987 for
# any gap from 60 to 365 days, ECB+ unchanged; at 30 days both lose (0.985 and 0.951), as
# follow-ups a month later that name no one yet are cut off.
STRAY_GAP = timedelta(days=90)
# People named by at most this share of the articles (and at least 3) identify a happening's
# cast; more common ones are page furniture the tagger took for people ("Javascript") or public
# figures that many stories mention.
CAST_SHARE = 0.01
LEAD_WEIGHT = 2.0
ENTITY_WEIGHT = 2.0  # one canonical-entity mention against one word
NAME_WEIGHT = 2.0  # people and organisations tell look-alikes apart more than places do
NAME_LABELS = frozenset({"PERSON", "ORG"})
# Halves whose dated reports typically came out this close are one story in two phases (the
# shooting and the charge, the check-in and the check-out): a look-alike happening reported in
# the same weeks rarely shares enough wording to be gathered with it in the first place.
SAME_STORY_GAP = timedelta(days=30)
# ... but only when the halves name the same participants (cosine of their canonical-entity
# counts): two look-alikes reported in the same weeks (two earthquakes, two rival offers) differ
# in who and where, the phases of one story do not.
SAME_PARTICIPANTS = 0.5
# Fine cosine at which two articles are copies of one report (a syndicated wire story). A half
# made only of copies is one voice, tightly knit because it is copied, not because it reports
# something else; splitting it off cut one story in two.
COPY_SIMILARITY = 0.6
# Gathered groups up to this size are cut with eigh on the matrix of all their pairs, exact and
# as fast there; beyond, without the matrix (RowCosines): at 1,000 Reuters articles 0.04 s
# against 0.18 s for the same split, at 3,000 0.06 s against 2.7 s and 72 MB (eigh is cubic).
DENSE_GROUP = 500
# Rows per block when all pairs of a large group must be checked (a block x group product).
PAIR_BLOCK = 256
# Principal participants (see Principals). A wire brief's headline is set in capitals and names
# its company ("KANEB ENERGY PARTNERS LTD <KEP> 4TH QTR LOSS"); words found in the headlines of
# more than PRINCIPAL_SHARE of the articles (and of PRINCIPAL_MIN_DF at least) are the template
# of a kind of brief ("QTR", "NET", "DIVIDEND"), the rarer ones name who it is about. On the
# first 2,000 Reuters items (benchmarks/ticker_purity.py), 0.25 % and 1 % both leave 3.9 % of
# the ticker-headline articles in mixed events, 0.5 % 1.6 %; ECB+ and GVC are the same for all.
PRINCIPAL_SHARE = 0.005
PRINCIPAL_MIN_DF = 5
# Two articles are compatible when the other one uses at least this share of one's principal
# words (weighted by idf: the company's rare name counts more than a word of its trade).
# Reuters mixed share 6.3 % at 0.5, 3.0 % at 0.67, 1.6 % from 0.75 to 0.9; ECB+ B-cubed F1 is
# 0.953 up to 0.8 and falls at 0.9 (0.951) and 1.0 (0.947), when one word a report leaves out
# splits it from its story; GVC (no headlines in capitals) is 0.984 throughout.
PRINCIPAL_COVER = 0.75
# A story is cut into groups whose members are compatible with at least half of each other
# (average linkage on incompatibility, cut below 0.5): a brief naming two companies must not
# bridge them, while one stray word in one report must not cut a story apart. Same Reuters
# figure at 0.3 and 0.49; at 0.5 (ties merge) 3.9 %.
COMPATIBLE_SHARE = 0.5
HEADLINE_WORDS = 20  # a longer first line is a lead sentence, not a headline
# Calendar words name when, not who ("LATE FEBRUARY CAR SALES").
_CALENDAR_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december jan feb mar apr jun jul aug "
    "sep sept oct nov dec today yesterday tonight early mid late".split()
)
_CASED_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'-]*")
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")
# What every date that parse_date_line reads a year from has: a year of four digits or the
# separator of a numeric or month-dash date (its patterns: pipeline/date_lines.py, _LINE_PATTERNS).
_YEAR_OR_SEPARATOR = re.compile(r"(?:1[89]|20)\d\d|[/-]")


def article_bags(text: str, entities: Iterable[tuple[str, str]] = ()) -> tuple[Counter, Counter]:
    """(coarse, fine) weighted term bags of one article; fine adds adjacent word pairs.

    ``entities`` holds (entity_id, label) per entity mention in the article. Stopwords are
    dropped before pairing, so "pirates in the Gulf" yields the pair "pirates gulf".
    """
    coarse, pairs = article_terms(text, entities)
    fine = Counter(coarse)
    fine.update(pairs)  # no term in both (w:/e: against p:): fine is coarse, then the pairs
    return Counter(coarse), fine


def article_terms(
    text: str, entities: Iterable[tuple[str, str]] = ()
) -> tuple[dict[str, float], dict[str, float]]:
    """(coarse bag, word-pair bag) of :func:`article_bags` as plain dicts, terms in the order
    they first appear: the fine bag is the two one after the other. Counted in dicts rather
    than Counters (a Counter's missing key is a Python call) and not joined into one bag for
    the story clustering (:meth:`TermTable.add` takes the parts): the bags of 10,000 Reuters
    items 1.4 -> 0.6 s, with their term tables 1.85 -> 1.17 s."""
    coarse: dict[str, float] = {}
    pairs: dict[str, float] = {}
    held, paired = coarse.get, pairs.get
    lines = [line for line in text.split("\n") if line.strip() and not URL_LINE.match(line)]
    for i, line in enumerate(lines):
        weight = LEAD_WEIGHT if i < LEAD_LINES else 1.0
        tokens = [
            t
            for t in _TOKEN.findall(line.lower())
            if t not in ENGLISH_STOPWORDS and (len(t) > 2 or t.isdigit())
        ]
        for t in tokens:
            term = "w:" + t
            coarse[term] = held(term, 0) + weight
        for a, b in zip(tokens, tokens[1:], strict=False):
            term = f"p:{a} {b}"
            pairs[term] = paired(term, 0) + weight
    for entity_id, label in entities:
        term = "e:" + entity_id
        coarse[term] = held(term, 0) + ENTITY_WEIGHT * (
            NAME_WEIGHT if label in NAME_LABELS else 1.0
        )
    return coarse, pairs


def capitals_headline(text: str) -> tuple[bool, list[str]]:
    """(whether the headline is set in capitals, the coarse terms of its words if it is).

    The headline is the first line that is not a URL; a line of more than HEADLINE_WORDS words
    or ending in a full stop is a lead sentence (an untitled article) and counts as none. In a
    headline in capitals any word may be a name, and the template words are told apart by how
    many headlines use them (:func:`principals_of`). Headlines in sentence or title case give no
    terms: their capitals mark adjectives and descriptors too ("Greek austerity: British
    views"), and reading them as names cut reports of one happening apart on ECB+ and GVC
    (B-cubed F1 0.953 -> 0.939 and 0.984 -> 0.978 at the same settings).
    Numbers, calendar words, stopwords and words of fewer than three letters are left out.
    """
    for line in text.split("\n"):
        if not line.strip() or URL_LINE.match(line):
            continue
        words = [w for w in _CASED_TOKEN.findall(line) if any(c.isalpha() for c in w)]
        lettered = [w for w in words if w[0].isalpha()]
        if (
            not lettered
            or len(words) > HEADLINE_WORDS
            or line.rstrip().endswith(".")
            or not all(w.isupper() for w in lettered if len(w) > 1)
        ):
            return False, []
        terms = []
        for word in words:
            t = word.lower()
            if (
                len(t) >= 3
                and t not in ENGLISH_STOPWORDS
                and t not in _CALENDAR_WORDS
                and not any(c.isdigit() for c in t)
            ):
                terms.append("w:" + t)
        return True, terms
    return False, []


@dataclass(frozen=True)
class Principals:
    """Which articles may report one happening: those naming the same principal participants.

    ``heads`` holds each article's principal words (its headline's words that few headlines
    use) weighted by idf, ``mute`` marks articles whose headline is in capitals yet names nobody
    but the template ("4TH QTR NET"), and ``rows`` are the unit coarse rows (every term an
    article uses is a nonzero of its row). Article a is compatible with b when b uses at
    least PRINCIPAL_COVER of a's principal words (by weight), or the other way round. An article
    without a headline in capitals says nothing and is compatible with all; a mute one is
    compatible only with copies of itself (COPY_SIMILARITY). A shared template or vocabulary
    never makes two articles compatible: two companies' results briefs share every word but the
    companies'.
    """

    heads: sp.csr_matrix
    mute: np.ndarray
    rows: sp.csr_matrix

    def __post_init__(self) -> None:
        # Read for every story of the archive: made once (a difference over the whole archive
        # per story took 0.45 s of the event step of a one-file run at 100,000 articles).
        object.__setattr__(self, "_speaking", (np.diff(self.heads.indptr) > 0) | self.mute)

    def speaks(self, members: np.ndarray) -> np.ndarray:
        """Whether each member's headline says who it is about (principals, or mute)."""
        return self._speaking[members]

    def block(self, members: Sequence[int] | np.ndarray) -> np.ndarray:
        """Compatibility of all pairs of ``members`` as a boolean matrix."""
        members = np.asarray(members)
        heads = self.heads[members]
        # Only the principal words matter: the rows cut down to them (a product over the whole
        # vocabulary costs its size at every story).
        used = np.unique(heads.indices)
        rows = self.rows[members]
        at = np.minimum(np.searchsorted(used, rows.indices), max(len(used) - 1, 0))
        hit = used[at] == rows.indices if len(used) else np.zeros(len(rows.indices), bool)
        row_of = np.repeat(np.arange(len(members)), np.diff(rows.indptr))
        indptr = np.r_[0, np.cumsum(np.bincount(row_of[hit], minlength=len(members)))]
        shape = (len(members), max(len(used), 1))
        uses = sp.csr_matrix((np.ones(int(hit.sum())), at[hit], indptr), shape=shape)
        names = sp.csr_matrix(
            (heads.data, np.searchsorted(used, heads.indices), heads.indptr), shape=shape
        )
        weight = np.maximum(np.asarray(names.sum(axis=1)).ravel(), 1e-12)
        covered = (names @ uses.T).toarray() / weight[:, None] >= PRINCIPAL_COVER
        silent = ~self.speaks(members)
        out = covered | covered.T | silent[:, None] | silent[None, :]
        if self.mute[members].any():
            compact = _compact(rows)
            out |= (compact @ compact.T).toarray() >= COPY_SIMILARITY
        np.fill_diagonal(out, True)
        return out

    def split(self, items: list[int]) -> list[list[int]]:
        """``items`` (one story) cut into groups whose members are mostly compatible.

        Members whose headlines speak are grouped by average linkage on incompatibility, cut
        where fewer than COMPATIBLE_SHARE of two groups' pairs are compatible; each silent
        member joins the group its coarse row is most similar to.
        """
        if len(items) < 2:
            return [items]
        members = np.asarray(items)
        says = self.speaks(members)
        speaking = members[says]
        if len(speaking) < 2:
            return [items]
        compatible = self.block(speaking)
        if compatible.all():
            return [items]
        distance = 1.0 - compatible.astype(np.float64)
        np.fill_diagonal(distance, 0.0)
        tree = linkage(squareform(distance, checks=False), method="average")
        # fcluster joins at a distance <= t: a tie (exactly half the pairs) must stay apart.
        label = fcluster(tree, t=np.nextafter(COMPATIBLE_SHARE, 0.0), criterion="distance") - 1
        count = int(label.max()) + 1
        if count == 1:
            return [items]
        groups = [speaking[label == k].tolist() for k in range(count)]
        silent = members[~says]
        if len(silent):
            compact = _compact(self.rows[np.r_[silent, speaking]])
            sim = (compact[: len(silent)] @ compact[len(silent) :].T).toarray()
            mean = np.column_stack([sim[:, label == k].mean(axis=1) for k in range(count)])
            for i, k in zip(silent.tolist(), mean.argmax(axis=1).tolist(), strict=True):
                groups[k].append(i)
        return [sorted(g) for g in sorted(groups, key=min)]


def principals_of(
    coarse: sp.csr_matrix, heads: list[list[int]], capitals: Sequence[bool]
) -> Principals:
    """:class:`Principals` from the unit coarse rows, each article's headline term columns
    (:func:`capitals_headline`) and whether its headline is in capitals."""
    n, width = coarse.shape
    in_headlines = np.bincount(
        np.fromiter((c for cols in heads for c in set(cols)), dtype=np.int64), minlength=width
    )
    cap = max(PRINCIPAL_MIN_DF, PRINCIPAL_SHARE * n)
    kept = [sorted({c for c in cols if in_headlines[c] <= cap}) for cols in heads]
    indptr = np.r_[0, np.cumsum([len(k) for k in kept])]
    indices = np.array([c for k in kept for c in k], dtype=np.int64)
    idf = np.log((1 + n) / (1 + np.bincount(coarse.indices, minlength=width))) + 1.0
    head_matrix = sp.csr_matrix((idf[indices], indices, indptr), shape=(n, width))
    mute = np.asarray(capitals, dtype=bool) & (np.diff(indptr) == 0)
    return Principals(head_matrix, mute, coarse)


def _late_strays(
    items: list[int], published: Sequence[date | None], people: Sequence[set[str]]
) -> list[list[int]]:
    """``items`` (one story) with each late stray made a story of its own.

    A normalized cut never cuts off a single article (its cut is its whole degree), so one
    look-alike report gathered with a story stays in it: a toddler's shooting of August 2015 and
    a father's murder-suicide of November 2016 in one county. A dated member is a stray when it
    came out more than STRAY_GAP from the median publication date of the others and names none
    of their people (``people``: its cast, :data:`CAST_SHARE`); a follow-up months later (the
    hearing, the plea) names the suspect or the victim.
    """
    strays = []
    for m in items:
        if published[m] is None:
            continue
        others = [i for i in items if i != m]
        if any(people[m] & people[i] for i in others):
            continue
        days = [published[i].toordinal() for i in others if published[i] is not None]
        if days and abs(published[m].toordinal() - float(np.median(days))) > STRAY_GAP.days:
            strays.append(m)
    if not strays:
        return [items]
    if len(strays) == len(items):
        return [[i] for i in items]
    return [[i for i in items if i not in strays], *([i] for i in strays)]


def lead_weekdays(text: str) -> Counter:
    """Weekday names in the lead sentences, as shares summing to 1 (empty when none are named).

    Header lines (the URL, a date line) are skipped: their weekday is the day of publication.
    """
    found: Counter = Counter()
    seen = 0
    for start, end in iter_sentences(text):
        sentence = text[start:end]
        if URL_LINE.match(sentence) or _is_date_line(sentence):
            continue
        found.update(_WEEKDAY.findall(sentence.lower()))
        seen += 1
        if seen >= WEEKDAY_LEAD_SENTENCES:
            break
    total = sum(found.values())
    return Counter({day: n / total for day, n in found.items()})


def _is_date_line(sentence: str) -> bool:
    """:func:`parse_date_line` finds a date, read only where there can be one: a line is a
    date line only with a year, and every pattern reading one needs a four-digit year or a
    separator (the lead weekdays of all 10,000 Reuters items: 2.5 -> 1.4 s)."""
    return _YEAR_OR_SEPARATOR.search(sentence) is not None and parse_date_line(sentence) is not None


@dataclass(frozen=True)
class RowCosines:
    """The cosines of all pairs of some unit rows, never written out as an n x n matrix.

    For groups too large for that (thousands of look-alike wire briefs): the normalized cut
    only needs products with the matrix, and ``rows @ (rows.T @ v)`` is one at the cost of the
    rows' nonzeros. A row's cosine with itself is left out, as the dense cut zeroes it too.
    """

    rows: sp.csr_matrix


def normalized_cut(sim: np.ndarray | RowCosines) -> tuple[float, np.ndarray]:
    """Best two-way normalized cut along the spectral (Fiedler) ordering: (value, side mask)."""
    if isinstance(sim, RowCosines):
        degree, order, into_a = _implicit_ordering(sim.rows)
    else:
        n = sim.shape[0]
        weights = np.clip(sim, 0.0, None)
        np.fill_diagonal(weights, 0.0)
        degree = np.maximum(weights.sum(axis=1), 1e-12)
        inv_sqrt = 1.0 / np.sqrt(degree)
        laplacian = np.eye(n) - inv_sqrt[:, None] * weights * inv_sqrt[None, :]
        # Only the two smallest eigenpairs are needed: ~10x faster than the full decomposition
        # on groups of a few hundred articles.
        _, vectors = scipy.linalg.eigh(laplacian, subset_by_index=[0, 1], driver="evr")
        order = np.argsort(vectors[:, 1] * inv_sqrt, kind="stable")
        # Moving item k to side A adds its degree to the cut, minus twice its links into A.
        into_a = np.tril(weights[np.ix_(order, order)], k=-1).sum(axis=1)
    cut = np.cumsum(degree[order] - 2.0 * into_a)[:-1]
    vol_a = np.cumsum(degree[order])[:-1]
    vol_b = degree.sum() - vol_a
    ncut = cut / vol_a + cut / vol_b
    k = int(np.argmin(ncut))
    mask = np.zeros(len(order), dtype=bool)
    mask[order[: k + 1]] = True
    return float(ncut[k]), mask


def _implicit_ordering(rows: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(degree, spectral order, links of each item into the items before it) of RowCosines.

    The Laplacian's second smallest eigenvector is the second largest of the scaled adjacency
    D^-1/2 W D^-1/2, which ARPACK finds from products with W alone; a fixed start vector keeps
    the result reproducible. Cosines are non-negative, so W needs no clipping.
    """
    n = rows.shape[0]
    rows_t = rows.T.tocsr()
    own = (np.diff(rows.indptr) > 0).astype(np.float64)  # a row's cosine with itself

    def product(v: np.ndarray) -> np.ndarray:
        return rows @ (rows_t @ v) - own * v

    degree = np.maximum(product(np.ones(n)), 1e-12)
    inv_sqrt = 1.0 / np.sqrt(degree)
    scaled = LinearOperator(
        (n, n), matvec=lambda v: inv_sqrt * product(inv_sqrt * np.ravel(v)), dtype=np.float64
    )
    start = np.random.default_rng(0).uniform(0.5, 1.5, n)
    try:
        values, vectors = eigsh(scaled, k=2, which="LA", v0=start)
        order = np.argsort(vectors[:, int(np.argmin(values))] * inv_sqrt, kind="stable")
    except ArpackNoConvergence:
        order = np.arange(n)  # no spectral ordering: cut along the rows, which rarely cuts well
    # Links into earlier items: each term's running sum over the items before, times the weight.
    ordered = rows[order].tocoo()
    by_term = np.lexsort((ordered.row, ordered.col))
    col, weight = ordered.col[by_term], ordered.data[by_term]
    running = np.cumsum(weight) - weight
    starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
    before = running - np.repeat(running[starts], np.diff(np.r_[starts, len(col)]))
    into_a = np.bincount(ordered.row[by_term], weights=weight * before, minlength=n)
    return degree, order, into_a


def bisect(
    sim: np.ndarray | RowCosines,
    items: list[int],
    threshold: float,
    published: Sequence[date | None] | None = None,
    same_story_gap: timedelta = SAME_STORY_GAP,
    participants: Sequence[Counter] | None = None,
    weekdays: Sequence[Counter] | None = None,
) -> list[list[int]]:
    """Split ``items`` recursively while a two-way normalized cut below ``threshold`` exists.

    ``weekdays`` (per item, from :func:`lead_weekdays`) moves the threshold to
    ``SAME_WEEKDAYS_NCUT`` or ``OTHER_WEEKDAYS_NCUT`` when both halves name weekdays.

    A split is refused when most members of both halves are dated, their median publication
    dates lie within ``same_story_gap`` and the halves name the same participants: wording alone
    cuts one story into its phases about as readily as it separates two look-alikes, while the
    calendar and the cast tell them apart when they can be read. It is also refused when one half is
    nothing but copies of one report.

    ``sim`` is the matrix of the items' cosines, or :class:`RowCosines` for a large group. Parts
    come out depth first, the first half's before the second's; a stack rather than recursion,
    as a large group of look-alike briefs can be cut many times over.
    """
    parts: list[list[int]] = []
    pending = [items]
    while pending:
        part = pending.pop()
        halves = _split(sim, part, threshold, published, same_story_gap, participants, weekdays)
        if halves is None:
            parts.append(part)
        else:
            pending.extend(reversed(halves))
    return parts


def _split(
    sim: np.ndarray | RowCosines,
    items: list[int],
    threshold: float,
    published: Sequence[date | None] | None,
    same_story_gap: timedelta,
    participants: Sequence[Counter] | None,
    weekdays: Sequence[Counter] | None,
) -> tuple[list[int], list[int]] | None:
    """The two halves of the best normalized cut of ``items``, or None when they stay one."""
    if len(items) < 3:
        return None
    value, mask = normalized_cut(_block(sim, items))
    left = [m for m, side in zip(items, mask, strict=True) if side]
    right = [m for m, side in zip(items, mask, strict=True) if not side]
    # The weekdays only matter between the lowest and the highest threshold they can give.
    if value >= max(threshold, OTHER_WEEKDAYS_NCUT):
        return None
    if value >= min(threshold, SAME_WEEKDAYS_NCUT):
        if value >= _weekday_threshold(weekdays, left, right, threshold):
            return None
    if _copies(sim, left) or _copies(sim, right):
        return None
    if published is not None:
        when_left, when_right = _median_day(published, left), _median_day(published, right)
        if (
            when_left is not None
            and when_right is not None
            and abs(when_left - when_right) <= same_story_gap.days
            and _same_participants(participants, left, right)
        ):
            return None
    return left, right


def _block(sim: np.ndarray | RowCosines, items: list[int]) -> np.ndarray | RowCosines:
    if isinstance(sim, RowCosines):
        return RowCosines(_compact(sim.rows[items]))
    return sim[np.ix_(items, items)]


def _weekday_threshold(
    weekdays: Sequence[Counter] | None, left: list[int], right: list[int], threshold: float
) -> float:
    if weekdays is None:
        return threshold
    a, b = _summed(weekdays, left), _summed(weekdays, right)
    if not a or not b:
        return threshold
    agreement = counter_cosine(a, b)
    if agreement >= SAME_WEEKDAYS:
        return min(threshold, SAME_WEEKDAYS_NCUT)
    if agreement <= OTHER_WEEKDAYS:
        return max(threshold, OTHER_WEEKDAYS_NCUT)
    return threshold


def _summed(counters: Sequence[Counter], items: list[int]) -> Counter:
    """The counters of ``items`` added up (in place: summing with + copies at every step)."""
    total: Counter = Counter()
    for i in items:
        total.update(counters[i])
    return total


def _same_participants(
    participants: Sequence[Counter] | None, left: list[int], right: list[int]
) -> bool:
    """Whether two halves name the same entities, by cosine of their summed entity counts."""
    if participants is None:
        return True
    a, b = _summed(participants, left), _summed(participants, right)
    return counter_cosine(a, b) >= SAME_PARTICIPANTS


def _copies(sim: np.ndarray | RowCosines, items: list[int]) -> bool:
    if len(items) < 2:
        return False
    block = _block(sim, items)
    if isinstance(block, RowCosines):
        return _all_copies(block.rows)
    return bool(block[np.triu_indices(len(items), k=1)].min() >= COPY_SIMILARITY)


def _all_copies(rows: sp.csr_matrix) -> bool:
    """Whether every pair of the unit rows is at least COPY_SIMILARITY similar.

    Their mean cosine comes from the rows' sum; only when it is high enough are the pairs
    checked, a block of rows at a time.
    """
    n = rows.shape[0]
    total = np.asarray(rows.sum(axis=0)).ravel()
    own = float((np.diff(rows.indptr) > 0).sum())
    if (total @ total - own) / (n * (n - 1)) < COPY_SIMILARITY:
        return False
    for start in range(0, n, PAIR_BLOCK):
        block = (rows[start : start + PAIR_BLOCK] @ rows.T).toarray()
        block[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf
        if block.min() < COPY_SIMILARITY:
            return False
    return True


def _median_day(published: Sequence[date | None], items: list[int]) -> float | None:
    """Typical publication day of ``items``; None unless most of them are dated.

    A half of undated reports with one dated stray says nothing about when the half came out.
    """
    days = [published[i].toordinal() for i in items if published[i] is not None]
    return float(np.median(days)) if 2 * len(days) >= len(items) else None


def story_clusters(
    articles: pd.DataFrame,
    entity_mentions: pd.DataFrame | None = None,
    event_windows: dict[str, tuple[date, date]] | None = None,
    gather_threshold: float = GATHER_THRESHOLD,
    split_ncut: float = SPLIT_NCUT,
    same_story_gap: timedelta = SAME_STORY_GAP,
    log: Callable[[str], None] | None = None,
    weekdays: dict[str, Counter] | None = None,
    gathering: GatheringMemory | None = None,
) -> dict[str, int]:
    """Story number per article_id.

    ``articles``: article_id, text, published_date; ``entity_mentions``: article_id, entity_id,
    label (canonical), one row per mention; ``event_windows``: per article, the dates between
    which its main happening lies when the article states them (articles stating incompatible
    dates are never one story). ``log`` receives progress lines (articles done, rate, time
    left) for each stage of a big corpus. ``weekdays``: the :func:`lead_weekdays` already known
    per article_id (``pipeline.story_features`` keeps them between runs); those read here are
    added to it. ``gathering``: the gathering's checkpoints from the last run
    (``pipeline.gathering``), which it resumes from and replaces.
    """
    if articles.empty:
        return {}
    report = log or (lambda _: None)
    arts = articles.sort_values("article_id", kind="stable").reset_index(drop=True)
    ids = arts["article_id"].tolist()
    texts = [text if isinstance(text, str) else "" for text in arts["text"]]
    by_article: dict[str, list[tuple[str, str]]] = {}
    if entity_mentions is not None and not entity_mentions.empty:
        for a, e, lab in zip(
            entity_mentions["article_id"],
            entity_mentions["entity_id"],
            entity_mentions["label"],
            strict=True,
        ):
            by_article.setdefault(a, []).append((e, lab))
    coarse_terms, fine_terms = TermTable(), TermTable(hashed=True)  # fine: never looked up
    capitals, heads = [], []
    reading = Progress("story features", len(ids), report)
    for a, text in zip(ids, texts, strict=True):
        coarse_bag, pair_bag = article_terms(text, by_article.get(a, ()))
        coarse_terms.add(coarse_bag)
        fine_terms.add(coarse_bag, pair_bag)  # the fine bag: coarse terms, then pairs
        in_capitals, words = capitals_headline(text)
        capitals.append(in_capitals)
        heads.append([c for t in words if (c := coarse_terms.vocabulary.get(t)) is not None])
        reading.advance(1)
    published = [as_date(v) for v in arts["published_date"]]
    order = canonical_order(published)  # the story gathering's: by day, then article_id
    rows = canonical_rows(coarse_terms.tf_counts(), coarse_terms.terms(), order)
    coarse = coarse_terms.matrix()
    del coarse_terms
    principals = principals_of(coarse, heads, capitals)
    fine = fine_terms.matrix()  # idf over the whole corpus, as before
    del fine_terms
    windows = [(event_windows or {}).get(a) for a in ids]
    gathered = gather_resuming(
        rows,
        order,
        ids,
        gather_threshold,
        published,
        windows,
        gathering,
        Progress("story gathering", len(ids), report),
    )
    del rows
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(gathered):
        groups.setdefault(label, []).append(i)
    participants = [Counter(e for e, _ in by_article.get(a, ())) for a in ids]
    known = weekdays if weekdays is not None else {}

    def weekdays_of(i: int) -> Counter:
        if ids[i] not in known:
            known[ids[i]] = lead_weekdays(texts[i])
        return known[ids[i]]

    stories = []
    splitting = Progress("story splitting", len(ids), report)
    for items in groups.values():
        splitting.advance(len(items))  # before the work: the last group reports the end
        if len(items) < 3:  # too small to split: spare the weekday scan
            stories.append(items)
            continue
        sim = _fine_similarity(fine, items)
        parts = bisect(
            sim,
            list(range(len(items))),
            split_ncut,
            [published[i] for i in items],
            same_story_gap,
            [participants[i] for i in items],
            _Lazy(lambda k, items=items: weekdays_of(items[k]), len(items)),
        )
        stories.extend([items[k] for k in part] for part in parts)
    stories = [part for items in stories for part in principals.split(items)]
    named_df = Counter(
        e for a in ids for e in {e for e, lab in by_article.get(a, ()) if lab == "PERSON"}
    )
    cap = max(3, CAST_SHARE * len(ids))
    people = [
        {e for e, lab in by_article.get(a, ()) if lab == "PERSON" and named_df[e] <= cap}
        for a in ids
    ]
    stories = [part for items in stories for part in _late_strays(items, published, people)]
    stories.sort(key=min)
    return {ids[i]: s for s, items in enumerate(stories) for i in items}


class _Lazy(Sequence):
    """A sequence whose items are made when first read: most groups never need their weekdays,
    and reading them is the costliest step per article."""

    def __init__(self, make: Callable[[int], Counter], length: int) -> None:
        self._make = make
        self._made: dict[int, Counter] = {}
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, i: int) -> Counter:  # type: ignore[override]
        if i not in self._made:
            self._made[i] = self._make(i)
        return self._made[i]


def _compact(rows: sp.csr_matrix) -> sp.csr_matrix:
    """The rows with only the columns they use: a product with the transpose allocates per
    column, and the fine vocabulary of a whole corpus is large."""
    used, indices = np.unique(rows.indices, return_inverse=True)
    return sp.csr_matrix((rows.data, indices, rows.indptr), shape=(rows.shape[0], len(used)))


def _fine_similarity(fine: sp.csr_matrix, items: list[int]) -> np.ndarray | RowCosines:
    """Fine cosines of all pairs of one gathered group: a matrix, or implicit for a large one."""
    rows = _compact(fine[items])
    if len(items) > DENSE_GROUP:
        return RowCosines(rows)
    sim = (rows @ rows.T).toarray()
    np.fill_diagonal(sim, (np.diff(rows.indptr) > 0).astype(np.float64))
    return sim
