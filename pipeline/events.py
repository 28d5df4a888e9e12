"""Event mentions: sentences that report a happening, with who, where and when.

A mention is a (sentence, event word) pair, enriched with the canonical entities named in that
sentence and the dates it states, resolved against the article's publication date.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.dates import as_date, resolve_dates
from pipeline.event_types import find_triggers
from pipeline.gc_pause import without_cycle_collection
from pipeline.sentences import split_sentences
from pipeline.tense import tense_of

ACTOR_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
CANDIDATE_COLUMNS = [
    "article_id",
    "sentence_index",
    "start_char",
    "end_char",
    "sentence",
    "event_type",
    "mode",
    "trigger",
    "trigger_start",
    "actor_ids",
    "place_ids",
    "date_value",
    "date_precision",
    "date_text",
    "tense",
    "published_date",
]
MAX_SENTENCE_CHARS = 1500
# A place is where something happens when it follows a locative preposition ("talks in Vienna");
# a bare country name is more often an actor ("China urged ...").
_PLACE_PREPOSITION = re.compile(
    r"\b(?:in|at|to|near|outside|inside|from|across)\s+(?:the\s+)?$", re.IGNORECASE
)


# What sentence-level detection yields: everything but the participants, so it depends only on
# the article's text and publication date and can be cached by them.
SENTENCE_EVENT_COLUMNS = [
    "article_id",
    "sentence_index",
    "start_char",
    "end_char",
    "event_type",
    "mode",
    "trigger",
    "trigger_start",
    "date_value",
    "date_precision",
    "date_text",
    "tense",
]


def detect_event_mentions(articles: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per (sentence, event type/mode) found in the articles.

    ``articles`` needs article_id, text, published_date; ``mentions`` the canonical entity
    mentions (article_id, sentence_index, start_char, entity_id, label).
    """
    return attach_participants(detect_sentence_events(articles), articles, mentions)


def detect_sentence_events(articles: pd.DataFrame) -> pd.DataFrame:
    """Event words, stated dates and tense per sentence: the costly, entity-free part.

    ``articles`` needs article_id, text, published_date. The result depends on nothing else,
    which is what lets the pipeline cache it by text and date.
    """
    rows: list[tuple] = []
    for art in articles.itertuples(index=False):
        anchor = as_date(art.published_date)
        for index, (start, end) in enumerate(split_sentences(art.text)):
            sentence = art.text[start:end]
            if len(sentence) > MAX_SENTENCE_CHARS:
                continue
            triggers = find_triggers(sentence)
            if not triggers:
                continue
            dates = resolve_dates(sentence, anchor)
            tense = tense_of(sentence)
            for trig in triggers:
                when = _nearest_date(dates, trig.start)
                rows.append(
                    (
                        art.article_id,
                        index,
                        start,
                        end,
                        trig.event_type,
                        trig.mode,
                        trig.text,
                        trig.start,
                        when.value if when else None,
                        when.precision if when else None,
                        when.text if when else None,
                        tense,
                    )
                )
    return pd.DataFrame(rows, columns=SENTENCE_EVENT_COLUMNS)


@without_cycle_collection
def attach_participants(
    sentence_events: pd.DataFrame, articles: pd.DataFrame, mentions: pd.DataFrame
) -> pd.DataFrame:
    """Add the sentence text, canonical actors and places, and the publication date.

    Actors are the sentence's people, organisations, groups and countries; places the places
    named after a locative preposition.
    """
    if sentence_events.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    wanted = set(zip(sentence_events["article_id"], sentence_events["sentence_index"], strict=True))
    by_sentence: dict[tuple[str, int], list[tuple[int, str, str]]] = {}
    # Plain lists, not pandas columns, in the loops: a million mentions at 100,000 articles.
    columns = ("article_id", "sentence_index", "start_char", "entity_id", "label")
    for a, i, pos, e, lab in zip(*(mentions[c].tolist() for c in columns), strict=True):
        key = (a, int(i))
        if key in wanted:
            by_sentence.setdefault(key, []).append((int(pos), e, lab))
    texts = dict(zip(articles["article_id"], articles["text"], strict=True))
    published = {  # one date per article, not one per event mention
        a: as_date(d)
        for a, d in zip(articles["article_id"], articles["published_date"], strict=True)
    }
    sentences, actor_ids, place_ids, anchors = [], [], [], []
    cache: dict[tuple[str, int], tuple[list[str], list[str]]] = {}
    columns = ("article_id", "sentence_index", "start_char", "end_char")
    for a, i, start, end in zip(*(sentence_events[c].tolist() for c in columns), strict=True):
        text = texts[a]
        key = (a, int(i))
        if key not in cache:
            ents = sorted(by_sentence.get(key, []))
            actors = list(dict.fromkeys(e for _, e, lab in ents if lab in ACTOR_LABELS))
            places = list(
                dict.fromkeys(
                    e
                    for pos, e, lab in ents
                    if lab in PLACE_LABELS
                    and _PLACE_PREPOSITION.search(text[max(0, pos - 12) : pos])
                )
            )
            cache[key] = (actors, places)
        actors, places = cache[key]
        sentences.append(text[int(start) : int(end)])
        actor_ids.append(list(actors))
        place_ids.append(list(places))
        anchors.append(published[a])
    out = sentence_events.assign(
        sentence=sentences, actor_ids=actor_ids, place_ids=place_ids, published_date=anchors
    )
    out["sentence_index"] = out["sentence_index"].astype(int)
    for col in ("start_char", "end_char", "trigger_start"):
        out[col] = out[col].astype(int)
    out["date_value"] = out["date_value"].map(as_date)
    return out[CANDIDATE_COLUMNS]


def _nearest_date(dates: list, position: int):
    """The stated date closest to the event word; precise dates win ties."""
    if not dates:
        return None
    rank = {"day": 0, "month": 1, "year": 2}
    return min(dates, key=lambda d: (abs(d.start - position) // 40, rank[d.precision], d.start))
