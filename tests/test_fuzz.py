"""Property-based tests: arbitrary bytes and text never raise out of a step, offsets stay exact.

Hypothesis generates inputs nobody would write by hand (lone surrogates are excluded: they cannot
come out of a decoder), so each step's "never raises, always accounts for the input" promise is
checked far beyond the fixtures.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.articles import clean_one
from pipeline.cleaning import clean_article, furniture_line_keys, normalize_text
from pipeline.date_lines import parse_date_line
from pipeline.dates import resolve_dates
from pipeline.decoding import decode_bytes
from pipeline.event_types import find_triggers
from pipeline.events import detect_sentence_events
from pipeline.ingest import read_articles
from pipeline.ner import clean_span
from pipeline.sentences import split_sentences
from pipeline.tense import tense_of

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)
NEWSY = st.lists(
    st.sampled_from(
        [
            "On Wednesday the minister met officials in Paris.",
            "Posted: May 03, 2013",
            "Share this article",
            "He will visit Beijing next month, officials said.",
            "12 / 16 / 08 1: 30 AM EST",
            "https://www.example.com/news/story",
            "“Quoted” — text… with odd spacing\u00a0and\u200bzero width.",
            "",
            "The earthquake killed 12 people last November.",
        ]
    )
    | TEXT,
    max_size=12,
).map("\n".join)
DATES = st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_get_a_reason(data):
    decoded = decode_bytes(data)
    assert (decoded.text is None) == (decoded.reason is not None)


@FAST
@given(NEWSY, DATES)
def test_cleaning_never_raises_and_keeps_lines_whole(text, published):
    cleaned = clean_article(text, furniture_line_keys(text), published_at=published)
    assert "\n\n" not in cleaned.text
    normalized = set(normalize_text(text).split("\n"))
    body = cleaned.text.split("\n")[1:] if cleaned.title else cleaned.text.split("\n")
    assert all(line in normalized for line in body if line)
    outcome = clean_one(text, furniture_line_keys(text), published)
    assert (outcome.reason is None) == (outcome.text is not None)


@FAST
@given(NEWSY)
def test_sentences_are_exact_ordered_slices(text):
    spans = split_sentences(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start:end].strip() == text[start:end]
        previous_end = end


@FAST
@given(NEWSY, DATES)
def test_date_rules_never_raise_and_stay_in_range(text, anchor):
    for line in text.split("\n"):
        parse_date_line(line)
        tense_of(line)
        find_triggers(line)
        for found in resolve_dates(line, anchor):
            assert found.precision in ("day", "month", "year")
            assert date(1, 1, 1) <= found.value <= date(9999, 12, 31)


@FAST
@given(NEWSY, DATES)
def test_event_rows_point_at_their_sentence(text, published):
    rows = detect_sentence_events(
        pd.DataFrame({"article_id": ["a"], "text": [text], "published_date": [published]})
    )
    for r in rows.itertuples(index=False):
        sentence = text[r.start_char : r.end_char]
        assert sentence[r.trigger_start :].lower().startswith(r.trigger.lower())


@FAST
@given(NEWSY, st.integers(0, 500), st.integers(0, 500))
def test_entity_spans_stay_inside_the_text(text, a, b):
    start, end = min(a, b, len(text)), min(max(a, b), len(text))
    span = clean_span(text, start, end)
    if span is not None:
        s, e = span
        assert start <= s < e <= end and "\n" not in text[s:e]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(JSON_VALUES | st.fixed_dictionaries({"text": NEWSY}), max_size=5), st.binary())
def test_every_file_ends_as_articles_or_rejects(tmp_path_factory, records, junk):
    folder = Path(tmp_path_factory.mktemp("feed"))
    (folder / "records.jsonl").write_text(
        "\n".join(json.dumps(r) for r in records) + "\n{broken", encoding="utf-8"
    )
    (folder / "one.json").write_text(json.dumps(records), encoding="utf-8")
    (folder / "junk.txt").write_bytes(junk)
    result = read_articles(folder)
    seen = set(result.articles["source_path"]) | set(result.rejects["source_path"])
    files = {p.split("#")[0] for p in seen}
    assert files == {"records.jsonl", "one.json", "junk.txt"}
    assert result.articles["article_id"].is_unique
