"""Tests for pipeline.date_lines, pipeline.tense and pipeline.dates, on examples modelled on
the corpora."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pipeline.date_lines import find_publication_date, parse_date_line
from pipeline.dates import ResolvedDate, most_precise_consistent, resolve_dates
from pipeline.tense import tense_of

ANCHOR = date(2023, 6, 14)  # a Wednesday


def _one(sentence: str, anchor: date | None = ANCHOR) -> ResolvedDate:
    found = resolve_dates(sentence, anchor)
    assert len(found) == 1, found
    return found[0]


# --------------------------------------------------------------------------- date lines


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12 / 16 / 08 1: 30 AM EST", date(2008, 12, 16)),
        ("Wed Jun 14 2023", date(2023, 6, 14)),
        ("May 03, 2013", date(2013, 5, 3)),
        ("Posted : Tuesday, October 21, 2008 10:43 PM", date(2008, 10, 21)),
        ("2011-09-24", date(2011, 9, 24)),
        ("Fri, 13 Jul 2012 09:34:00 GMT", date(2012, 7, 13)),
        ("Last Updated: 5:24 PM, March 3, 2011", date(2011, 3, 3)),
        ("Last updated 13: 26 14 / 09 / 2013", date(2013, 9, 14)),  # day-first fallback
        ("Published: 2012. 08. 08 09: 01 AM", date(2012, 8, 8)),
        ("Edited on Mon Dec-19-05 03: 49 PM", date(2005, 12, 19)),
        ("Sunday, November 27-2005 at 16: 12", date(2005, 11, 27)),
        (
            "PUBLISHED: 16: 05 GMT, 9 June 2013 | UPDATED: 06: 55 GMT, 10 June 2013",
            date(2013, 6, 9),
        ),
        ("WASHINGTON, DC, April 28, 2009", date(2009, 4, 28)),
        ("TNN Nov 12, 2011, 05. 51AM IST MUMBAI:", date(2011, 11, 12)),
        ("12: 52 p. m. EDT May 2, 2013", date(2013, 5, 2)),
        ("27 NOVEMBER, 2005", date(2005, 11, 27)),
        ("06 / 06 / 70", date(1970, 6, 6)),
    ],
)
def test_parse_date_line(line: str, expected: date) -> None:
    assert parse_date_line(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "He will be sentenced May 3, 2007.",
        "The fire broke out on December 19, 2005.",
        "Vincent Gigante died while in prison custody on December 19, 2005.",
        "Interior and Commerce Secretaries Must Act by May 9",
        "Colts beat Chiefs 20-13 to clinch playoff berth",
        "Seacom operations fully restored: 4 November 2011",
        "APR 28",  # no year: cannot be a date on its own
        "http://www.reuters.com/article/2013/08/02/us-oscars",
        "",
    ],
)
def test_parse_date_line_rejects(line: str) -> None:
    assert parse_date_line(line) is None


# --------------------------------------------------------------------------- publication date


def test_find_publication_date_header_line() -> None:
    text = (
        "http://www.example.com/news/story.html\n"
        "Comedian picked to host Oscars\n"
        "Fri Aug 2, 2013 6: 50pm EDT\n"
        "The comedian will host next year, organizers said on Friday.\n"
    )
    assert find_publication_date(text) == (date(2013, 8, 2), 2)


def test_find_publication_date_skips_blank_lines_and_counts_real_index() -> None:
    text = "US Confirms Blinken Trip\n\nWed Jun 14 2023\nicon-facebook\n\nWASHINGTON: ..."
    assert find_publication_date(text) == (date(2023, 6, 14), 2)


def test_find_publication_date_year_less_header_takes_url_year() -> None:
    text = "http://example.org/2009/04/27-1\nHeadline here\nWASHINGTON-April 27 -\nBody."
    assert find_publication_date(text) == (date(2009, 4, 27), 2)


def test_find_publication_date_body_dateline() -> None:
    text = "Headline\nMon Nov 3, 2008 (Reuters) - Stocks rose on Monday.\nMore text."
    assert find_publication_date(text) == (date(2008, 11, 3), None)


def test_find_publication_date_url_fallback() -> None:
    text = "http://gothamist.com/2013/03/11/dozens_riot.php\nHeadline\nYesterday, police said."
    assert find_publication_date(text) == (date(2013, 3, 11), None)


def test_find_publication_date_none() -> None:
    text = "Headline\nThe Angels made an offer on Tuesday.\nIt was worth $160 million."
    assert find_publication_date(text) == (None, None)


# --------------------------------------------------------------------------- resolve_dates


@pytest.mark.parametrize(
    ("sentence", "text", "value", "precision"),
    [
        ("Blinken spoke with Qin on Wednesday.", "Wednesday", date(2023, 6, 14), "day"),
        ("Blinken will be in Beijing on June 18", "June 18", date(2023, 6, 18), "day"),
        ("The talks were held last November.", "last November", date(2022, 11, 1), "month"),
        (
            "Blinken canceled a planned visit to Beijing in February",
            "February",
            date(2023, 2, 1),
            "month",
        ),
        (
            "This visit had been postponed in February after the balloon incident.",
            "February",
            date(2023, 2, 1),
            "month",
        ),
        (
            "The original trip planned for February was canceled.",
            "February",
            date(2023, 2, 1),
            "month",
        ),
        ("Blinken will travel to Beijing in February", "February", date(2024, 2, 1), "month"),
        ("Blinken is going to China this weekend.", "this weekend", date(2023, 6, 17), "day"),
        ("Relations soured in October 2018.", "October 2018", date(2018, 10, 1), "month"),
        ("It was built in October of 2018.", "October of 2018", date(2018, 10, 1), "month"),
        ("Tensions have risen since 2018.", "2018", date(2018, 1, 1), "year"),
        ("The People's Republic was founded in 1949.", "1949", date(1949, 1, 1), "year"),
        ("He will be in Beijing on Sunday.", "Sunday", date(2023, 6, 18), "day"),
        ("Washington on Sunday hailed the talks.", "Sunday", date(2023, 6, 11), "day"),
        ("They met last Friday.", "last Friday", date(2023, 6, 9), "day"),
        ("They meet next Wednesday.", "next Wednesday", date(2023, 6, 21), "day"),
        ("He arrived yesterday.", "yesterday", date(2023, 6, 13), "day"),
        ("He leaves tomorrow.", "tomorrow", date(2023, 6, 15), "day"),
        ("The call took place today.", "today", date(2023, 6, 14), "day"),
        ("Sales fell last month.", "last month", date(2023, 5, 1), "month"),
        ("Sales fell last year.", "last year", date(2022, 1, 1), "year"),
        ("Sales will rise next year.", "next year", date(2024, 1, 1), "year"),
        ("The summit is expected in mid-June.", "mid-June", date(2023, 6, 1), "month"),
        ("Elections are scheduled for next March.", "next March", date(2024, 3, 1), "month"),
        ("He took office in May.", "May", date(2023, 5, 1), "month"),
        ("The ship arrived on 18th June 2023.", "18th June 2023", date(2023, 6, 18), "day"),
        ("The ship arrives on 18th June.", "18th June", date(2023, 6, 18), "day"),
        ("Filed 2023-06-18.", "2023-06-18", date(2023, 6, 18), "day"),
        ("Filed 6/18/2023.", "6/18/2023", date(2023, 6, 18), "day"),
        ("The law passed five years ago.", "five years ago", date(2018, 1, 1), "year"),
        ("Players were arrested early Jan. 6 on charges.", "Jan. 6", date(2023, 1, 6), "day"),
    ],
)
def test_resolve_dates(sentence: str, text: str, value: date, precision: str) -> None:
    got = _one(sentence)
    assert (got.text, got.value, got.precision) == (text, value, precision)
    assert sentence[got.start : got.end] == got.text


def test_bare_month_without_cue_is_nearest() -> None:
    # No tense cue: nearest occurrence; December (6 back) ties with December (6 ahead)
    # -> past preferred; August is 2 months ahead.
    assert _one("The deadline falls in August.").value == date(2023, 8, 1)
    assert _one("The deadline falls in December.").value == date(2022, 12, 1)


def test_weekend_from_saturday_and_sunday_anchor() -> None:
    assert _one("Talks are set for this weekend.", date(2023, 6, 18)).value == date(2023, 6, 17)
    assert _one("Talks are set for this weekend.", date(2023, 6, 17)).value == date(2023, 6, 17)


def test_mixed_tense_sentence_uses_nearest_cue() -> None:
    found = resolve_dates(
        "The trip, which was postponed in February, will take place on Sunday.", ANCHOR
    )
    assert [(r.text, r.value) for r in found] == [
        ("February", date(2023, 2, 1)),
        ("Sunday", date(2023, 6, 18)),
    ]


def test_multiple_expressions_in_order() -> None:
    found = resolve_dates("Confirmed today, Wednesday, for June 18, 2023.", ANCHOR)
    assert [(r.text, r.value) for r in found] == [
        ("today", ANCHOR),
        ("Wednesday", ANCHOR),
        ("June 18, 2023", date(2023, 6, 18)),
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "The deal is worth $160 million.",
        "he may go",
        "May I ask a question?",
        "It was 39.4 degrees at 1: 30 in the afternoon.",
        "He signed for eight years and 2, 000 fans cheered.",
        "More than 2000 booths opened.",
        "Theresa May spoke in parliament.",
        "The rate rose to 12 percent in the 1990s.",
    ],
)
def test_resolve_dates_ignores_non_dates(sentence: str) -> None:
    assert resolve_dates(sentence, ANCHOR) == []


def test_without_anchor_only_absolute_dates_resolve() -> None:
    found = resolve_dates("On Wednesday he recalled June 18 and October 2018.", None)
    assert [(r.text, r.precision) for r in found] == [("October 2018", "month")]


# --------------------------------------------------------------------------- tense


@pytest.mark.parametrize(
    ("sentence", "tense"),
    [
        ("Blinken canceled a planned visit to Beijing in February.", "past"),
        ("Blinken will travel to Beijing in February.", "future"),
        ("He is going to China, officials said.", "future"),
        ("The talks were constructive.", "past"),
        ("The United States wants dialogue.", "neutral"),
    ],
)
def test_tense_of(sentence: str, tense: str) -> None:
    assert tense_of(sentence) == tense


# --------------------------------------------------------------------------- combining


def test_most_precise_consistent_prefers_day_inside_coarser_mentions() -> None:
    mentions = [
        (date(2023, 6, 1), "month"),
        (date(2023, 1, 1), "year"),
        (date(2023, 6, 18), "day"),
    ]
    assert most_precise_consistent(mentions) == (date(2023, 6, 18), "day")


def test_most_precise_consistent_conflicting_days_most_frequent_then_earliest() -> None:
    assert most_precise_consistent(
        [(date(2023, 6, 19), "day"), (date(2023, 6, 18), "day"), (date(2023, 6, 19), "day")]
    ) == (date(2023, 6, 19), "day")
    assert most_precise_consistent([(date(2023, 6, 19), "day"), (date(2023, 6, 18), "day")]) == (
        date(2023, 6, 18),
        "day",
    )


def test_most_precise_consistent_drops_day_contradicting_majority() -> None:
    mentions = [
        (date(2023, 2, 1), "month"),
        (date(2023, 2, 1), "month"),
        (date(2023, 6, 18), "day"),
    ]
    assert most_precise_consistent(mentions) == (date(2023, 2, 1), "month")


def test_most_precise_consistent_normalises_and_handles_empty() -> None:
    assert most_precise_consistent([(date(2019, 5, 7), "year")]) == (date(2019, 1, 1), "year")
    assert most_precise_consistent([]) is None


@pytest.mark.parametrize(
    ("sentence", "text", "value"),
    [
        # "due to" + noun is causal, not future.
        (
            "Blinken canceled a planned visit to Beijing in February due to suspicions.",
            "February",
            date(2023, 2, 1),
        ),
        # The reporting verb owns "Friday"; the later "will" belongs to another clause.
        (
            "A US official said on Friday that Blinken will be in Beijing soon.",
            "Friday",
            date(2023, 6, 9),
        ),
        # A comma separates "Sunday" from the trailing reporting verb.
        ("Blinken will land in Beijing on Sunday, officials said.", "Sunday", date(2023, 6, 18)),
        ("The visit was initially scheduled for February.", "February", date(2023, 2, 1)),
    ],
)
def test_local_tense_cues(sentence: str, text: str, value: date) -> None:
    got = _one(sentence)
    assert (got.text, got.value) == (text, value)


def test_as_date_accepts_what_pandas_and_duckdb_hand_over():
    import pandas as pd

    from pipeline.dates import as_date

    assert as_date(pd.Timestamp("2023-06-14 09:30")) == date(2023, 6, 14)
    assert as_date(datetime(2023, 6, 14, 9, 30)) == date(2023, 6, 14)
    assert as_date(date(2023, 6, 14)) == date(2023, 6, 14)
    assert as_date("2023-06-14T09:30:00Z") == date(2023, 6, 14)
    assert as_date(pd.NaT) is None
    assert as_date(float("nan")) is None
    assert as_date(None) is None
    assert as_date("not a date") is None


def test_clock_times_are_not_years() -> None:
    anchor = date(1987, 3, 1)
    session = "CBT proposed an evening session between 1800 and 2100 local time."
    assert resolve_dates(session, anchor) == []
    assert resolve_dates("Trading closes at 1530 GMT.", anchor) == []
    history = resolve_dates("Established in 1866, the plant was bought in 1928.", anchor)
    assert [(d.value, d.precision) for d in history] == [
        (date(1866, 1, 1), "year"),
        (date(1928, 1, 1), "year"),
    ]
