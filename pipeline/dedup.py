"""Merging event mentions into deduplicated events.

Inside one article, mentions of the same type and mode whose dates agree are one local event;
the article's main (primary) local event is chosen from headline, lead and frequency. Main
events merge across articles by story (``pipeline.stories``: articles about one happening, told
apart from look-alikes by their names, numbers and dates). Background local events merge when
they share type and mode, their time windows overlap, and who/where/what agree (actors, places,
words). A cluster's time window is the intersection of its members' windows, so a chain of
merges can never join a February visit to a June one, however similar their wording.

Nothing here compares all pairs: background events are scored as candidate pairs of a sparse
index (``pipeline.similarity``), and the tables are read as column lists, not row by row, so
the cost grows with the archive rather than with its square.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import scipy.sparse as sp

from pipeline.dates import as_date, most_precise_consistent
from pipeline.gathering import GatheringMemory
from pipeline.gc_pause import without_cycle_collection
from pipeline.sentences import iter_sentences
from pipeline.similarity import similar_pairs, tfidf_matrix
from pipeline.stopwords import ENGLISH_STOPWORDS, NEWS_FILLER_WORDS
from pipeline.stories import story_clusters

UNDATED_LOOKBACK = timedelta(days=21)
UNDATED_LOOKAHEAD_PAST = timedelta(days=1)
UNDATED_LOOKAHEAD_FUTURE = timedelta(days=45)
DAY_TOLERANCE = timedelta(days=1)
MERGE_THRESHOLD = 0.3
ACTOR_WEIGHT, PLACE_WEIGHT, TEXT_WEIGHT = 0.45, 0.15, 0.40
# Candidate pairs of local events share an actor, place or word held by at most this many local
# events of their type/mode and stretch of time (see pipeline.similarity). Measured on 18,761
# Reuters-21578 wire articles (30,600 local events): the same 24,749 clusters as with no cap
# (every pair sharing a term, 2.3 s against 2.0 s); a cap of 200 gives 24,758 (B-cubed 0.9996
# against no cap), 100 gives 24,782 (0.998).
EVENT_MAX_DF = 400
# The stretch of time within which that rarity is counted: about the longest window of an
# undated happening (21 days back, 45 ahead), so most local events lie in one or two stretches.
EVENT_SLICE_DAYS = 60
_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_STOP = ENGLISH_STOPWORDS | NEWS_FILLER_WORDS

Interval = tuple[date | None, date | None]
ACTOR_RANK = {"PERSON": 0, "ORG": 1, "NORP": 2, "GPE": 2}


@dataclass
class LocalEvent:
    article_id: str
    event_type: str
    mode: str
    rows: list[int]
    interval: Interval
    actors: Counter = field(default_factory=Counter)
    places: Counter = field(default_factory=Counter)
    words: Counter = field(default_factory=Counter)
    first_sentence: int = 1 << 30


def mention_interval(
    value: date | None, precision: str | None, published: date | None, tense: str
) -> Interval:
    """The window in which the reported happening must lie."""
    if value is not None and precision:
        if precision == "day":
            return value - DAY_TOLERANCE, value + DAY_TOLERANCE
        if precision == "month":
            nxt = date(value.year + (value.month == 12), value.month % 12 + 1, 1)
            return value, nxt - timedelta(days=1)
        return date(value.year, 1, 1), date(value.year, 12, 31)
    if published is None:
        return None, None
    ahead = UNDATED_LOOKAHEAD_FUTURE if tense == "future" else UNDATED_LOOKAHEAD_PAST
    return published - UNDATED_LOOKBACK, published + ahead


def intersect(a: Interval, b: Interval) -> Interval | None:
    lo = max((x for x in (a[0], b[0]) if x is not None), default=None)
    hi = min((x for x in (a[1], b[1]) if x is not None), default=None)
    if lo is not None and hi is not None and lo > hi:
        return None
    return lo, hi


def build_local_events(candidates: pd.DataFrame) -> list[LocalEvent]:
    """Group one article's mentions of one type/mode into its distinct happenings.

    Undated mentions are about the article's current happening, whose window surrounds the
    publication date. A stated date inside that window narrows it; a stated date outside it is
    a different (earlier or later) happening. Without a publication date only day-precise
    dates join the current happening: coarse ones ("in 2018", "last November") are background.
    """
    locals_: list[LocalEvent] = []
    cand = candidates.reset_index(drop=True)
    col = _columns(cand)
    article, etype, mode = col["article_id"], col["event_type"], col["mode"]
    sentence_index, tense = col["sentence_index"], col["tense"]
    keyed = [
        i
        for i in range(len(cand))
        if not any(pd.isna(k) for k in (article[i], etype[i], mode[i]))  # as groupby drops them
    ]
    # By article, type and mode (groupby's sorted groups), then sentence, then row.
    keyed.sort(key=lambda i: (article[i], etype[i], mode[i], sentence_index[i], i))
    for key, rows in itertools.groupby(keyed, key=lambda i: (article[i], etype[i], mode[i])):
        group = list(rows)
        published = as_date(col["published_date"][group[0]])
        future = sum(tense[r] == "future" for r in group) / len(group) > 0.5
        current = LocalEvent(
            *key, [], mention_interval(None, None, published, "future" if future else "past")
        )
        others: list[LocalEvent] = []
        for r in group:
            value, precision = as_date(col["date_value"][r]), col["date_precision"][r]
            target = current
            if value is not None and precision:
                window = mention_interval(value, precision, published, tense[r])
                joint = intersect(current.interval, window)
                bounded = current.interval != (None, None)
                if joint is not None and (bounded or precision == "day"):
                    current.interval = joint
                else:
                    target = next((ev for ev in others if intersect(ev.interval, window)), None)
                    if target is None:
                        target = LocalEvent(*key, [], window)
                        others.append(target)
                    else:
                        target.interval = intersect(target.interval, window) or target.interval
            _add(target, r, col)
        locals_.extend(ev for ev in (current, *others) if ev.rows)
    return locals_


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    """Each column as a plain list: reading a list item is ~100x cheaper than ``.at``/``.loc``."""
    return {name: frame[name].tolist() for name in frame.columns}


def _add(event: LocalEvent, index: int, col: dict[str, list]) -> None:
    event.rows.append(index)
    event.first_sentence = min(event.first_sentence, int(col["sentence_index"][index]))
    event.actors.update(col["actor_ids"][index])
    event.places.update(col["place_ids"][index])
    sentence = col["sentence"][index].lower()
    event.words.update(w for w in _WORD.findall(sentence) if w not in _STOP)


def cluster_local_events(events: list[LocalEvent], threshold: float = MERGE_THRESHOLD) -> list[int]:
    """Cluster label per local event; never joins events of different type/mode or time.

    Within a type/mode, the pairs at least ``threshold`` similar are joined greedily, most
    similar first (ties: lowest indices), unless that puts two local events of one article in
    one cluster or leaves the cluster's time window empty. Only candidate pairs are scored
    (:func:`_similar_events`): pairs whose windows do not overlap could never join, and pairs
    sharing no term that is rare among their type/mode's events of the time (EVENT_MAX_DF)
    hardly ever reach the threshold.
    """
    parent = list(range(len(events)))
    window = [ev.interval for ev in events]
    articles = [{ev.article_id} for ev in events]

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    blocks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, ev in enumerate(events):
        blocks[(ev.event_type, ev.mode)].append(i)
    for members in blocks.values():
        if len(members) < 2:
            continue
        first, second, sims = _similar_events([events[i] for i in members], threshold)
        order = np.lexsort((second, first, -sims))
        for a, b in zip(first[order].tolist(), second[order].tolist(), strict=True):
            ia, ib = members[a], members[b]
            if events[ia].article_id == events[ib].article_id:
                continue
            ra, rb = find(ia), find(ib)
            if ra == rb or not articles[ra].isdisjoint(articles[rb]):
                continue  # one article's distinct local events stay distinct
            joint = intersect(window[ra], window[rb])
            if joint is None:
                continue
            root, child = min(ra, rb), max(ra, rb)
            parent[child] = root
            window[root] = joint
            if len(articles[child]) > len(articles[root]):  # grow the larger set in place
                articles[root], articles[child] = articles[child], articles[root]
            articles[root] |= articles[child]
            articles[child] = set()
    return [find(i) for i in range(len(events))]


def _similar_events(
    events: list[LocalEvent], threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a < b) of one type/mode's local events at least ``threshold`` similar.

    The similarity is ACTOR_WEIGHT x actor cosine + PLACE_WEIGHT x place cosine + TEXT_WEIGHT x
    word cosine; the three TF-IDF matrices side by side, scaled by the square roots of their
    weights, give exactly that sum as one dot product. Pairs must share a term (actor, place or
    word) held by at most EVENT_MAX_DF of the events of their stretch of time.
    """
    sharp = {"sharp_idf": True}
    parts = [
        (ACTOR_WEIGHT, tfidf_matrix([ev.actors for ev in events], binary=True, **sharp)),
        (PLACE_WEIGHT, tfidf_matrix([ev.places for ev in events], binary=True, **sharp)),
        (TEXT_WEIGHT, tfidf_matrix([ev.words for ev in events], **sharp)),
    ]
    rows = sp.hstack([math.sqrt(w) * m for w, m in parts], format="csr")
    lo = np.array([_day(ev.interval[0]) for ev in events], dtype=np.float64)
    hi = np.array([_day(ev.interval[1]) for ev in events], dtype=np.float64)
    return similar_pairs(rows, threshold, EVENT_MAX_DF, spans=(lo, hi), width=EVENT_SLICE_DAYS)


def _day(value: date | None) -> float:
    return float(value.toordinal()) if value is not None else np.nan


@without_cycle_collection
def deduplicate(
    candidates: pd.DataFrame,
    articles: pd.DataFrame,
    entities: pd.DataFrame,
    threshold: float = MERGE_THRESHOLD,
    entity_mentions: pd.DataFrame | None = None,
    log: Callable[[str], None] | None = None,
    weekdays: dict[str, Counter] | None = None,
    gathering: GatheringMemory | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events and event_mentions tables from the event-mention candidates.

    ``articles`` supplies article_id, published_date and source; ``entities`` (entity_id, name,
    label) names the actors and locations. When ``articles`` also has ``text``, articles are
    clustered into stories (see ``pipeline.stories``) and the main happenings of one story's
    articles become one event, whatever event word each report used; ``entity_mentions``
    (article_id, entity_id, label) sharpens that clustering with who is named. ``log``
    receives progress lines for the story clustering of a big corpus. ``weekdays``: lead
    weekdays known per article_id, completed by the story clustering (``story_clusters``).
    ``gathering``: the story gathering's checkpoints (``pipeline.gathering``), resumed from and
    replaced.
    """
    names = dict(zip(entities["entity_id"], entities["name"], strict=True))
    ranks = {
        e: ACTOR_RANK.get(lab, len(ACTOR_RANK))
        for e, lab in zip(entities["entity_id"], entities["label"], strict=True)
    }
    if candidates.empty:
        return _empty_events(), _empty_mentions()
    cand = candidates.reset_index(drop=True)
    local_events = build_local_events(cand)
    labels = cluster_local_events(local_events, threshold)
    for ev in local_events:  # its words served the clustering only: ~60 MB at 19k articles
        ev.words.clear()
    primary_local = _primary_local_events(local_events)
    if "text" in articles.columns:
        cand, local_events, labels = _merge_stories(
            cand,
            local_events,
            labels,
            primary_local,
            articles,
            entity_mentions,
            log,
            weekdays,
            gathering,
        )
    col = _columns(cand)
    published_on = dict(zip(articles["article_id"], articles["published_date"], strict=True))
    sources_column = articles["source"] if "source" in articles.columns else [None] * len(articles)
    source_of = dict(zip(articles["article_id"], sources_column, strict=True))
    clusters: dict[int, list[LocalEvent]] = defaultdict(list)
    for ev, label in zip(local_events, labels, strict=True):
        clusters[label].append(ev)

    event_rows, mention_rows = [], []
    for members in clusters.values():
        row_ids = sorted(r for ev in members for r in ev.rows)
        event_id = stable_event_id(row_ids, col, published_on)
        etype, mode = _majority_kind(members)
        actors = _top(_summed(ev.actors for ev in members), names, ranks, 5)
        places = _top(_summed(ev.places for ev in members), names, {}, 1)
        dated = [
            (as_date(col["date_value"][r]), col["date_precision"][r])
            for r in row_ids
            if as_date(col["date_value"][r]) is not None and col["date_precision"][r]
        ]
        when = most_precise_consistent(dated) if dated else None
        art_ids = sorted({ev.article_id for ev in members})
        published = [as_date(published_on[a]) for a in art_ids if a in published_on]
        published = [p for p in published if p is not None]
        sources = {
            source_of[a] if isinstance(source_of.get(a), str) else f"unknown:{a}" for a in art_ids
        }
        rep = _representative(row_ids, col)
        label = etype if not mode else f"{etype} ({mode})"
        title_bits = [label + ":", ", ".join(actors[:3]) or "unknown actors"]
        if places:
            title_bits.append(f"in {places[0]}")
        if when:
            title_bits.append(f"on {_format_date(*when)}")
        event_rows.append(
            {
                "event_id": event_id,
                "event_type": etype,
                "event_mode": mode or None,
                "title": " ".join(title_bits),
                "actors": actors,
                "location": places[0] if places else None,
                "event_date": when[0] if when else None,
                "date_precision": when[1] if when else None,
                "n_mentions": len(row_ids),
                "n_articles": len(art_ids),
                "n_sources": len(sources),
                "first_reported": min(published) if published else None,
                "representative_sentence": rep,
            }
        )
        for ev in members:
            ordered = sorted(ev.rows, key=lambda r: (int(col["sentence_index"][r]), r))
            primary_row = ordered[0] if primary_local.get(ev.article_id) is ev else None
            for r in ordered:
                mention_rows.append(
                    {
                        "event_id": event_id,
                        "article_id": col["article_id"][r],
                        "sentence_index": int(col["sentence_index"][r]),
                        "start_char": int(col["start_char"][r]),
                        "end_char": int(col["end_char"][r]),
                        "sentence": col["sentence"][r],
                        "trigger": col["trigger"][r],
                        "is_primary": r == primary_row,
                    }
                )
    events = pd.DataFrame(event_rows).sort_values("event_id").reset_index(drop=True)
    mentions = (
        pd.DataFrame(mention_rows)
        .sort_values(["article_id", "sentence_index", "event_id"])
        .reset_index(drop=True)
    )
    return events, mentions


def stable_event_id(row_ids: list[int], col: dict, published_on: dict) -> str:
    """The id of an event: a hash of its earliest report's first mention.

    Reports of a happening arrive after it, so the earliest one stays the earliest as follow-ups
    are added and the id survives every incremental run; a full rebuild computes the same id from
    the same content. Only a report *older* than all known ones (a backfill) or a merge with an
    older event moves the anchor; ``event_id_history`` then records the change. Undated articles
    sort after dated ones, and ties fall back to the content hash ``article_id``. Keyed on the
    anchor mention's own type and mode: a (sentence, type, mode) belongs to one event only.
    """

    def order(r: int) -> tuple:
        published = as_date(published_on.get(col["article_id"][r]))
        return (
            published is None,
            published.toordinal() if published is not None else 0,
            col["article_id"][r],
            col["sentence_index"][r],
            col["event_type"][r],
            col["mode"][r],
        )

    anchor = min(row_ids, key=order)
    key = (
        f"{col['event_type'][anchor]}|{col['mode'][anchor]}|{col['article_id'][anchor]}"
        f"|{col['sentence_index'][anchor]}"
    )
    return "evt_" + hashlib.sha1(key.encode()).hexdigest()[:12]


def _summed(counters: Iterable[Counter]) -> Counter:
    """The counters added up (in place: summing with + copies at every step)."""
    total: Counter = Counter()
    for counter in counters:
        total.update(counter)
    return total


def _majority_kind(members: list[LocalEvent]) -> tuple[str, str]:
    """The (type, mode) most of the cluster's articles report; ties go to the earliest one."""
    votes = Counter((ev.event_type, ev.mode) for ev in members)
    first = {}
    for ev in members:
        first.setdefault((ev.event_type, ev.mode), len(first))
    return max(votes, key=lambda k: (votes[k], -first[k]))


def _merge_stories(
    cand: pd.DataFrame,
    local_events: list[LocalEvent],
    labels: list[int],
    primary_local: dict[str, LocalEvent],
    articles: pd.DataFrame,
    entity_mentions: pd.DataFrame | None,
    log: Callable[[str], None] | None = None,
    weekdays: dict[str, Counter] | None = None,
    gathering: GatheringMemory | None = None,
) -> tuple[pd.DataFrame, list[LocalEvent], list[int]]:
    """Make the main happenings of one story's articles a single event.

    Each article's primary local event leaves whatever cluster the type/mode rule gave it and
    joins its story's event; background happenings keep the stricter rule. An article of a story
    with no event word of its own (a one-line brief) reports the story through its headline.
    """
    arts = articles
    if "duplicate_of" in arts.columns:
        arts = arts[arts["duplicate_of"].isna()]
    col = {name: cand[name].tolist() for name in ("date_value", "date_precision")}
    stories = story_clusters(
        arts[["article_id", "text", "published_date"]],
        entity_mentions,
        {a: w for a, ev in primary_local.items() if (w := _window_of(ev.rows, col))},
        log=log,
        weekdays=weekdays,
        gathering=gathering,
    )
    members: dict[int, list[str]] = defaultdict(list)
    for article_id, story in stories.items():
        members[story].append(article_id)
    labels = list(labels)
    next_label = max(labels, default=-1) + 1
    position = {id(ev): i for i, ev in enumerate(local_events)}
    texts = dict(zip(arts["article_id"], arts["text"], strict=True))
    published = dict(zip(arts["article_id"], arts["published_date"], strict=True))
    extra_rows: list[dict] = []
    for story in sorted(members):
        primaries = [primary_local[a] for a in sorted(members[story]) if a in primary_local]
        if not primaries:
            continue
        label = next_label
        next_label += 1
        for ev in primaries:
            labels[position[id(ev)]] = label
        etype, mode = _majority_kind(primaries)
        for article_id in sorted(members[story]):
            if article_id in primary_local or not isinstance(texts.get(article_id), str):
                continue
            first = next(iter_sentences(texts[article_id]), None)
            if first is None:
                continue
            start, end = first
            extra_rows.append(
                {
                    "article_id": article_id,
                    "sentence_index": 0,
                    "start_char": start,
                    "end_char": end,
                    "sentence": texts[article_id][start:end],
                    "event_type": etype,
                    "mode": mode,
                    "trigger": "",
                    "trigger_start": 0,
                    "actor_ids": [],
                    "place_ids": [],
                    "date_value": None,
                    "date_precision": None,
                    "date_text": None,
                    "tense": "past",
                    "published_date": published.get(article_id),
                }
            )
            ev = LocalEvent(article_id, etype, mode, [], (None, None))
            ev.rows.append(len(cand) + len(extra_rows) - 1)
            ev.first_sentence = 0
            local_events.append(ev)
            labels.append(label)
            primary_local[article_id] = ev
    if extra_rows:
        extra = pd.DataFrame(extra_rows, columns=cand.columns)
        cand = pd.concat([cand, extra], ignore_index=True)
    return cand, local_events, labels


def _stated_window(cand: pd.DataFrame, ev: LocalEvent) -> tuple[date, date] | None:
    """Where the dates an article states for its main happening put it, if it states any."""
    rows = cand.loc[ev.rows, ["date_value", "date_precision"]]
    return _window_of(range(len(rows)), {name: rows[name].tolist() for name in rows.columns})


def _window_of(rows: Iterable[int], col: dict[str, list]) -> tuple[date, date] | None:
    """:func:`_stated_window` of the candidate ``rows``, from the columns as lists."""
    dated = [
        (as_date(col["date_value"][r]), col["date_precision"][r])
        for r in rows
        if as_date(col["date_value"][r]) is not None and col["date_precision"][r]
    ]
    when = most_precise_consistent(dated) if dated else None
    if when is None or when[1] == "year":
        return None  # a bare year is as often background ("since 2005") as the happening's
    lo, hi = mention_interval(when[0], when[1], None, "past")
    return (lo, hi) if lo is not None and hi is not None else None


def _primary_local_events(local_events: list[LocalEvent]) -> dict[str, LocalEvent]:
    """The article's main happening: reported most, and earliest (headline and lead count more)."""
    best: dict[str, tuple[tuple, LocalEvent]] = {}
    for ev in local_events:
        lead_bonus = 2.0 if ev.first_sentence == 0 else 1.0 if ev.first_sentence <= 2 else 0.0
        score = (len(ev.rows) + lead_bonus, -ev.first_sentence, ev.event_type, ev.mode)
        current = best.get(ev.article_id)
        if current is None or score > current[0]:
            best[ev.article_id] = (score, ev)
    return {a: ev for a, (_, ev) in best.items()}


def _representative(rows: list[int], col: dict[str, list]) -> str:
    """The sentence naming most actors, dated, earliest; of 30-400 characters when possible."""
    sized = [r for r in rows if 30 <= _length(col["sentence"][r]) <= 400]
    if len(rows) > 1 and not sized:
        return col["sentence"][
            min(rows, key=lambda r: (col["sentence_index"][r], col["article_id"][r]))
        ]
    best = min(
        sized if len(rows) > 1 else rows,
        key=lambda r: (
            -len(col["actor_ids"][r]),
            not pd.notna(col["date_value"][r]),
            col["sentence_index"][r],
            col["article_id"][r],
        ),
    )
    return col["sentence"][best]


def _length(sentence: object) -> int:
    return len(sentence) if isinstance(sentence, str) else -1


def _top(counter: Counter, names: dict[str, str], ranks: dict[str, int], k: int) -> list[str]:
    """People first, then organisations, then groups and countries; most mentioned first."""
    ordered = sorted(
        counter.items(), key=lambda kv: (ranks.get(kv[0], 0), -kv[1], names.get(kv[0], kv[0]))
    )
    return [names.get(e, e) for e, _ in ordered[:k]]


def _format_date(value: date, precision: str) -> str:
    if precision == "day":
        return value.isoformat()
    if precision == "month":
        return value.strftime("%Y-%m")
    return str(value.year)


def _empty_events() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "event_id",
            "event_type",
            "event_mode",
            "title",
            "actors",
            "location",
            "event_date",
            "date_precision",
            "n_mentions",
            "n_articles",
            "n_sources",
            "first_reported",
            "representative_sentence",
        ]
    )


def _empty_mentions() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "event_id",
            "article_id",
            "sentence_index",
            "start_char",
            "end_char",
            "sentence",
            "trigger",
            "is_primary",
        ]
    )
