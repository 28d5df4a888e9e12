"""Event mentions: sentences that report a happening, with who, where and when.

A mention is a (sentence, event word) pair, enriched with the canonical entities named in that
sentence and the dates it states, resolved against the article's publication date.
"""

from __future__ import annotations

import re

import pandas as pd

from pipeline.dates import as_date, resolve_dates, tense_of
from pipeline.event_types import find_triggers
from pipeline.sentences import split_sentences

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


def detect_event_mentions(articles: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """One row per (sentence, event type/mode) found in the articles.

    ``articles`` needs article_id, text, published_date; ``mentions`` the canonical entity
    mentions (article_id, sentence_index, start_char, entity_id, label).
    """
    by_sentence: dict[tuple[str, int], list[tuple[int, str, str]]] = {}
    for row in mentions.itertuples(index=False):
        by_sentence.setdefault((row.article_id, int(row.sentence_index)), []).append(
            (int(row.start_char), row.entity_id, row.label)
        )
    rows: list[dict] = []
    for art in articles.itertuples(index=False):
        anchor = as_date(art.published_date)
        for index, (start, end) in enumerate(split_sentences(art.text)):
            sentence = art.text[start:end]
            if len(sentence) > MAX_SENTENCE_CHARS:
                continue
            triggers = find_triggers(sentence)
            if not triggers:
                continue
            ents = sorted(by_sentence.get((art.article_id, index), []))
            actors = list(dict.fromkeys(e for _, e, lab in ents if lab in ACTOR_LABELS))
            places = list(
                dict.fromkeys(
                    e
                    for pos, e, lab in ents
                    if lab in PLACE_LABELS
                    and _PLACE_PREPOSITION.search(art.text[max(0, pos - 12) : pos])
                )
            )
            dates = resolve_dates(sentence, anchor)
            tense = tense_of(sentence)
            for trig in triggers:
                when = _nearest_date(dates, trig.start)
                rows.append(
                    {
                        "article_id": art.article_id,
                        "sentence_index": index,
                        "start_char": start,
                        "end_char": end,
                        "sentence": sentence,
                        "event_type": trig.event_type,
                        "mode": trig.mode,
                        "trigger": trig.text,
                        "trigger_start": trig.start,
                        "actor_ids": actors,
                        "place_ids": places,
                        "date_value": when.value if when else None,
                        "date_precision": when.precision if when else None,
                        "date_text": when.text if when else None,
                        "tense": tense,
                        "published_date": anchor,
                    }
                )
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


def _nearest_date(dates: list, position: int):
    """The stated date closest to the event word; precise dates win ties."""
    if not dates:
        return None
    rank = {"day": 0, "month": 1, "year": 2}
    return min(dates, key=lambda d: (abs(d.start - position) // 40, rank[d.precision], d.start))
