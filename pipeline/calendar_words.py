"""Calendar words and the small date arithmetic shared by the date modules.

Month and weekday names with their abbreviations, number words, the regular-expression pieces
built from them, and the helpers that turn matched pieces into dates. Header parsing
(``pipeline.date_lines``), tense (``pipeline.tense``) and sentence-level resolution
(``pipeline.dates``) all read them; kept here so that each of those reads one definition.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

Precision = Literal["day", "month", "year"]
Tense = Literal["past", "future", "neutral"]


MONTHS: dict[str, int] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
WEEKDAYS: dict[str, int] = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sat": 5,
    "sunday": 6,
    "sun": 6,
}
NUMBER_WORDS: dict[str, int] = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

# Longest alternatives first so "September" is not cut to "Sep".
MON = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
MON_FULL = (
    r"(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
WD = r"(?:" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")\.?"
_WD_FULL = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
ORD = r"(?:st|nd|rd|th)?"
_DAY = r"(?P<d>[0-3]?\d)" + ORD
YEAR4 = r"(?P<y>(?:1[89]|20)\d\d)"

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def expand_year(y: int) -> int:
    """Two-digit years in headers: 00-69 -> 20xx, 70-99 -> 19xx (news-era pivot)."""
    if y >= 100:
        return y
    return 2000 + y if y < 70 else 1900 + y


def safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def month_num(tok: str) -> int:
    return MONTHS[tok.rstrip(".").lower()]


def shift_month(y: int, m: int, delta: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + delta
    return idx // 12, idx % 12 + 1


def numeric_mdy(a: int, b: int, y: int) -> date | None:
    """US order first because most of the corpus is US press; fall back to
    day-first only when the first field cannot be a month (e.g. 14 / 09 / 2013)."""
    if a > 12:
        return safe_date(y, b, a)
    return safe_date(y, a, b)
