"""Article-level story clustering: which articles report the same happening.

Event words alone are a poor key for this: reports of one robbery call it a heist, a theft or a
raid, and sentences naming a kind of event are shared by look-alike happenings years apart. What
tells reports of one happening from a look-alike is the whole article: the same names, numbers
and phrases recur across reports of one happening, and differ between two happenings of a kind.

Two stages, each driven by one global threshold:

1. Average-linkage agglomeration on TF-IDF cosine (content words, numbers and canonical entities;
   headline and lead weighted up) with a low threshold gathers everything about one *kind* of
   story. Clusters whose dated articles were published far apart never merge.
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
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipeline.dates import as_date, parse_date_line
from pipeline.sentences import split_sentences
from pipeline.similarity import counter_cosine, tfidf_cosine
from pipeline.stopwords import ENGLISH_STOPWORDS

GATHER_THRESHOLD = 0.1  # average cosine that puts two articles in one kind of story
SPLIT_NCUT = 0.8  # normalized cut below which a gathered cluster is two stories
# The same threshold when the halves' leads name the same weekdays (cosine of their weekday
# profiles at least SAME_WEEKDAYS) or different ones (at most OTHER_WEEKDAYS).
SAME_WEEKDAYS, SAME_WEEKDAYS_NCUT = 0.9, 0.7
OTHER_WEEKDAYS, OTHER_WEEKDAYS_NCUT = 0.4, 0.95
WEEKDAY_LEAD_SENTENCES = 6  # where a report says when its happening happened
LEAD_LINES = 3  # headline and first sentences: where a report names its happening
LEAD_WEIGHT = 2.0
ENTITY_WEIGHT = 2.0  # one canonical-entity mention against one word
NAME_WEIGHT = 2.0  # people and organisations tell look-alikes apart more than places do
NAME_LABELS = frozenset({"PERSON", "ORG"})
MAX_PUBLISHED_GAP = timedelta(days=730)  # follow-up reports of one story can come a year later
# Between the typical dates two stories state for their happening. Stated dates are resolved
# by rules and some belong to a follow-up or background happening, hence a generous gap. Wider
# gaps join a trial to its crime (one story to readers) but also a June visit to a February one.
MAX_STATED_GAP = timedelta(days=90)
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
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'-]*")
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")
_URL_LINE = re.compile(r"^\s*(?:https?://|www\.)\S*\s*$")


def article_bags(text: str, entities: Iterable[tuple[str, str]] = ()) -> tuple[Counter, Counter]:
    """(coarse, fine) weighted term bags of one article; fine adds adjacent word pairs.

    ``entities`` holds (entity_id, label) per entity mention in the article. Stopwords are
    dropped before pairing, so "pirates in the Gulf" yields the pair "pirates gulf".
    """
    coarse: Counter = Counter()
    pairs: Counter = Counter()
    lines = [line for line in text.split("\n") if line.strip() and not _URL_LINE.match(line)]
    for i, line in enumerate(lines):
        weight = LEAD_WEIGHT if i < LEAD_LINES else 1.0
        tokens = [
            t
            for t in _TOKEN.findall(line.lower())
            if t not in ENGLISH_STOPWORDS and (len(t) > 2 or t.isdigit())
        ]
        for t in tokens:
            coarse["w:" + t] += weight
        for a, b in zip(tokens, tokens[1:], strict=False):
            pairs[f"p:{a} {b}"] += weight
    for entity_id, label in entities:
        coarse["e:" + entity_id] += ENTITY_WEIGHT * (NAME_WEIGHT if label in NAME_LABELS else 1.0)
    return coarse, coarse + pairs


def lead_weekdays(text: str) -> Counter:
    """Weekday names in the lead sentences, as shares summing to 1 (empty when none are named).

    Header lines (the URL, a date line) are skipped: their weekday is the day of publication.
    """
    found: Counter = Counter()
    seen = 0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        if _URL_LINE.match(sentence) or parse_date_line(sentence) is not None:
            continue
        found.update(_WEEKDAY.findall(sentence.lower()))
        seen += 1
        if seen >= WEEKDAY_LEAD_SENTENCES:
            break
    total = sum(found.values())
    return Counter({day: n / total for day, n in found.items()})


def gather(
    sim: np.ndarray,
    threshold: float,
    published: Sequence[date | None],
    windows: Sequence[tuple[date, date] | None] | None = None,
) -> list[int]:
    """Average-linkage clusters that respect what the calendar says.

    Two clusters never merge when their dated members were typically (median) published far
    apart, or when the dates their members state for their main happening typically (median)
    lie far apart (``windows``: the span each article says its happening lies in, or None).
    Medians, because a story's follow-ups (the trial after the shooting) and a misdated article
    are a minority that should neither block a merge nor let a cluster straddle two happenings.
    """
    n = sim.shape[0]
    if n == 0:
        return []
    avg = np.array(sim, dtype=np.float64, copy=True)
    np.fill_diagonal(avg, -np.inf)
    size = np.ones(n)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    windows = windows if windows is not None else [None] * n
    clocks = [
        (
            MAX_PUBLISHED_GAP.days,
            {i: [published[i].toordinal()] if published[i] else [] for i in range(n)},
        ),
        (
            MAX_STATED_GAP.days,
            {
                i: [(w[0].toordinal() + w[1].toordinal()) / 2] if w else []
                for i, w in enumerate(windows)
            },
        ),
    ]
    medians = [
        np.array([float(d[0]) if d else np.nan for d in days.values()]) for _, days in clocks
    ]
    for (gap, _), when in zip(clocks, medians, strict=True):
        avg[np.abs(when[:, None] - when[None, :]) > gap] = -np.inf
    while len(members) > 1:
        i, j = divmod(int(np.argmax(avg)), n)
        if not avg[i, j] >= threshold:
            break
        if j < i:
            i, j = j, i
        merged = (size[i] * avg[i] + size[j] * avg[j]) / (size[i] + size[j])
        size[i] += size[j]
        members[i].extend(members.pop(j))
        avg[i, :] = merged
        avg[:, i] = merged
        avg[j, :] = -np.inf
        avg[:, j] = -np.inf
        avg[i, i] = -np.inf
        for (gap, days), when in zip(clocks, medians, strict=True):
            days[i] = days[i] + days.pop(j)
            when[j] = np.nan
            when[i] = float(np.median(days[i])) if days[i] else np.nan
            far = np.abs(when - when[i]) > gap  # NaN (undated) compares False
            avg[i, far] = -np.inf
            avg[far, i] = -np.inf
    labels = [0] * n
    for label, items in enumerate(sorted(members.values())):
        for m in items:
            labels[m] = label
    return labels


def normalized_cut(sim: np.ndarray) -> tuple[float, np.ndarray]:
    """Best two-way normalized cut along the spectral (Fiedler) ordering: (value, side mask)."""
    n = sim.shape[0]
    weights = np.clip(sim, 0.0, None)
    np.fill_diagonal(weights, 0.0)
    degree = np.maximum(weights.sum(axis=1), 1e-12)
    inv_sqrt = 1.0 / np.sqrt(degree)
    laplacian = np.eye(n) - inv_sqrt[:, None] * weights * inv_sqrt[None, :]
    _, vectors = np.linalg.eigh(laplacian)
    order = np.argsort(vectors[:, 1] * inv_sqrt, kind="stable")
    ordered = weights[np.ix_(order, order)]
    # Moving item k to side A adds its degree to the cut, minus twice its links into A.
    into_a = np.tril(ordered, k=-1).sum(axis=1)
    cut = np.cumsum(degree[order] - 2.0 * into_a)[:-1]
    vol_a = np.cumsum(degree[order])[:-1]
    vol_b = degree.sum() - vol_a
    ncut = cut / vol_a + cut / vol_b
    k = int(np.argmin(ncut))
    mask = np.zeros(n, dtype=bool)
    mask[order[: k + 1]] = True
    return float(ncut[k]), mask


def bisect(
    sim: np.ndarray,
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
    """
    if len(items) < 3:
        return [items]
    value, mask = normalized_cut(sim[np.ix_(items, items)])
    left = [m for m, side in zip(items, mask, strict=True) if side]
    right = [m for m, side in zip(items, mask, strict=True) if not side]
    if value >= _weekday_threshold(weekdays, left, right, threshold):
        return [items]
    if _copies(sim, left) or _copies(sim, right):
        return [items]
    if published is not None:
        when_left, when_right = _median_day(published, left), _median_day(published, right)
        if (
            when_left is not None
            and when_right is not None
            and abs(when_left - when_right) <= same_story_gap.days
            and _same_participants(participants, left, right)
        ):
            return [items]
    return [
        part
        for half in (left, right)
        for part in bisect(sim, half, threshold, published, same_story_gap, participants, weekdays)
    ]


def _weekday_threshold(
    weekdays: Sequence[Counter] | None, left: list[int], right: list[int], threshold: float
) -> float:
    if weekdays is None:
        return threshold
    a = sum((weekdays[i] for i in left), Counter())
    b = sum((weekdays[i] for i in right), Counter())
    if not a or not b:
        return threshold
    agreement = counter_cosine(a, b)
    if agreement >= SAME_WEEKDAYS:
        return min(threshold, SAME_WEEKDAYS_NCUT)
    if agreement <= OTHER_WEEKDAYS:
        return max(threshold, OTHER_WEEKDAYS_NCUT)
    return threshold


def _same_participants(
    participants: Sequence[Counter] | None, left: list[int], right: list[int]
) -> bool:
    """Whether two halves name the same entities, by cosine of their summed entity counts."""
    if participants is None:
        return True
    a = sum((participants[i] for i in left), Counter())
    b = sum((participants[i] for i in right), Counter())
    return counter_cosine(a, b) >= SAME_PARTICIPANTS


def _copies(sim: np.ndarray, items: list[int]) -> bool:
    if len(items) < 2:
        return False
    block = sim[np.ix_(items, items)]
    return bool(block[np.triu_indices(len(items), k=1)].min() >= COPY_SIMILARITY)


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
) -> dict[str, int]:
    """Story number per article_id.

    ``articles``: article_id, text, published_date; ``entity_mentions``: article_id, entity_id,
    label (canonical), one row per mention; ``event_windows``: per article, the dates between
    which its main happening lies when the article states them (articles stating incompatible
    dates are never one story).
    """
    if articles.empty:
        return {}
    arts = articles.sort_values("article_id", kind="stable").reset_index(drop=True)
    by_article: dict[str, list[tuple[str, str]]] = {}
    if entity_mentions is not None and not entity_mentions.empty:
        for a, e, lab in zip(
            entity_mentions["article_id"],
            entity_mentions["entity_id"],
            entity_mentions["label"],
            strict=True,
        ):
            by_article.setdefault(a, []).append((e, lab))
    bags = [
        article_bags(text if isinstance(text, str) else "", by_article.get(a, ()))
        for a, text in zip(arts["article_id"], arts["text"], strict=True)
    ]
    coarse = tfidf_cosine([c for c, _ in bags])
    fine = tfidf_cosine([f for _, f in bags])
    published = [as_date(v) for v in arts["published_date"]]
    windows = [(event_windows or {}).get(a) for a in arts["article_id"]]
    gathered = gather(coarse, gather_threshold, published, windows)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(gathered):
        groups.setdefault(label, []).append(i)
    participants = [Counter(e for e, _ in by_article.get(a, ())) for a in arts["article_id"]]
    weekdays = [lead_weekdays(text if isinstance(text, str) else "") for text in arts["text"]]
    stories = [
        part
        for items in groups.values()
        for part in bisect(
            fine, items, split_ncut, published, same_story_gap, participants, weekdays
        )
    ]
    stories.sort(key=min)
    return {arts.at[i, "article_id"]: s for s, items in enumerate(stories) for i in items}
