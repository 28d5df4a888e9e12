"""Temporal expressions inside sentences, placed on the calendar, and their combination.

"on Wednesday", "last November", "in February" are resolved against the article's publication
date (found by ``pipeline.date_lines``), with the tense around them (``pipeline.tense``) saying
which side of it they lie, so that mentions of the same happening in different articles can be
compared on a calendar. Everything is rule based and stdlib only; the rules are deliberately
conservative: an expression that cannot be placed with reasonable confidence is left out rather
than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from pipeline.calendar_words import (
    NUMBER_WORDS,
    ORD,
    WEEKDAYS,
    Precision,
    Tense,
    expand_year,
    month_num,
    numeric_mdy,
    safe_date,
    shift_month,
)
from pipeline.tense import local_tense


@dataclass(frozen=True)
class ResolvedDate:
    """A temporal expression found in a sentence and placed on the calendar."""

    start: int  # char offset of the expression in the sentence/text passed in
    end: int
    text: str  # the matched expression
    value: date  # first day of the month/year when precision is coarser than day
    precision: Precision


_CAP_MON = (
    r"(?P<mon>(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December|JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|"
    r"OCTOBER|NOVEMBER|DECEMBER)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
    r"\b\.?)"
)
_CAP_WD = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|MONDAY|TUESDAY|"
    r"WEDNESDAY|THURSDAY|FRIDAY|SATURDAY|SUNDAY)"
)
_NOT_QUANTITY = r"(?!\s*(?:%|percent|per\s?cent|million|billion|[.,]\s?\d))"
_MOD = r"(?:(?P<mod>early|mid|late|Early|Mid|Late)\s?-?\s?)"
_SENT_YEAR = r"(?P<y>(?:1[89]|20)\d\d)(?!\s?[,.]?\s?\d)"
# "between 1800 and 2100 local time", "at 1530 GMT": four digits that are a clock time.
_NOT_CLOCK = (
    r"(?!(?:\s+(?:and|to|-)\s+\d{4})?\s*"
    r"(?i:local\s+time|gmt|utc|[ecmp][sd]t|bst|cet|hrs|hours)\b)"
)

_SENT_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "iso",
        re.compile(
            r"(?<![\d$])(?P<y>(?:19|20)\d\d)\s?-\s?(?P<m>\d{1,2})\s?-\s?(?P<d>\d{1,2})(?!\d)"
        ),
    ),
    (
        "slash",
        re.compile(
            r"(?<![\d/$])(?P<a>\d{1,2})\s?/\s?(?P<b>\d{1,2})\s?/\s?(?P<y>\d{4}|\d{2})(?![\d/])"
        ),
    ),
    (
        "mdy",
        re.compile(
            rf"(?:\b{_CAP_WD},?\s+)?\b{_CAP_MON}\s*(?P<d>[0-3]?\d){ORD}\b(?:\s*,\s*|\s+){_SENT_YEAR}"
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"(?:\b{_CAP_WD},?\s+)?(?:the\s+)?(?<![\d$.,])(?P<d>[0-3]?\d){ORD}\s+(?:of\s+)?"
            rf"{_CAP_MON},?\s+{_SENT_YEAR}"
        ),
    ),
    ("my", re.compile(rf"\b{_MOD}?{_CAP_MON}\s*,?\s+(?:of\s+)?{_SENT_YEAR}")),
    (
        "md",
        re.compile(rf"(?:\b{_CAP_WD},?\s+)?\b{_CAP_MON}\s*(?P<d>[0-3]?\d){ORD}\b{_NOT_QUANTITY}"),
    ),
    (
        "dm",
        re.compile(
            rf"(?:\b{_CAP_WD},?\s+)?(?:the\s+)?(?<![\d$.,])\b(?P<d>[0-3]?\d){ORD}\s+(?:of\s+)?"
            rf"{_CAP_MON}"
        ),
    ),
    (
        "bare_month",
        re.compile(
            rf"(?:(?P<cue>\b(?:in|In|last|Last|next|Next|this|This|early|late|mid|since|Since|"
            r"until|till|by|By|from|From|during|During|for|of|before|Before|after|After|through|"
            r"between|and|or|to|each|every|past)\s+"
            rf"(?:the\s+)?(?:month\s+of\s+)?)|(?=(?:early|mid|late|Early|Mid|Late)\s?-))"
            rf"{_MOD}?{_CAP_MON}(?!\.?\s*\d)"
        ),
    ),
    (
        "bare_year",
        re.compile(
            r"(?:\b(?:in|In|since|Since|by|By|until|till|from|From|during|During|of|before|"
            r"Before|after|After|through|to|and|between|around|circa|early|late|mid|"
            r"year|the\s+year|In\s+the\s+year)\s+(?:(?:early|late|mid)\s?-?\s?)?)"
            rf"(?<![$\u20ac\u00a3])(?P<y>(?:1[89]|20)\d\d)\b{_NOT_QUANTITY}(?!\s?-\s?\d)"
            + _NOT_CLOCK
        ),
    ),
    (
        "rel_day",
        re.compile(
            r"(?i)\b(?P<rel>today|tonight|yesterday|tomorrow|this\s+morning|this\s+afternoon|"
            r"this\s+evening|last\s+night)\b"
        ),
    ),
    (
        "rel_period",
        re.compile(r"(?i)\b(?P<which>last|this|next|past|coming)\s+(?P<unit>week|month|year)\b"),
    ),
    ("weekend", re.compile(r"(?i)\b(?P<which>this|last|next|the|past|coming)\s+weekend\b")),
    (
        "ago",
        re.compile(
            r"(?i)\b(?P<n>\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
            r"twelve)\s+(?P<unit>day|week|month|year)s?\s+ago\b"
        ),
    ),
    (
        "weekday",
        re.compile(
            rf"(?:\b(?P<which>last|Last|next|Next|this|This|past|coming)\s+)?\b(?P<wd>{_CAP_WD})"
            r"(?:['\u2019]s)?\b(?:\s+(?:morning|afternoon|evening|night))?"
        ),
    ),
]

_MAY_CUES = {
    "in",
    "of",
    "last",
    "next",
    "this",
    "early",
    "late",
    "mid",
    "since",
    "until",
    "during",
    "from",
}


def _month_ok(sentence: str, m: re.Match[str]) -> bool:
    """'May' doubles as a modal verb and a surname, so it needs a date-like context."""
    tok = m.group("mon")
    if tok.rstrip(".").lower() != "may":
        return True
    if "d" in m.groupdict() and m.group("d"):
        return True
    if "y" in m.groupdict() and m.group("y"):
        return True
    before = sentence[: m.start("mon")].split()
    prev = before[-1].lower().rstrip("-") if before else ""
    return prev in _MAY_CUES or (m.groupdict().get("mod") or "") != ""


def _nearest_year_for(anchor: date, month: int, day: int, tense: Tense) -> date | None:
    """A year-less month/day placed in the year that fits the tense best."""
    cands = [d for d in (safe_date(anchor.year + k, month, day) for k in (-1, 0, 1)) if d]
    if not cands:
        return None
    if tense == "past":
        past = [d for d in cands if d <= anchor]
        return max(past) if past else min(cands)
    if tense == "future":
        fut = [d for d in cands if d >= anchor]
        return min(fut) if fut else max(cands)
    return min(cands, key=lambda d: (abs((d - anchor).days), d > anchor))


def _bare_month(anchor: date, month: int, which: str, tense: Tense) -> date:
    """Place a bare month name relative to the anchor month (see resolve_dates)."""
    back = (anchor.month - month) % 12
    fwd = (month - anchor.month) % 12
    if which == "last":
        back = back or 12
        return date(*shift_month(anchor.year, anchor.month, -back), 1)
    if which == "next":
        fwd = fwd or 12
        return date(*shift_month(anchor.year, anchor.month, fwd), 1)
    if which == "this":
        return date(anchor.year, month, 1)
    if tense == "past" or (tense == "neutral" and back <= fwd):
        return date(*shift_month(anchor.year, anchor.month, -back), 1)
    return date(*shift_month(anchor.year, anchor.month, fwd), 1)


def _weekday(anchor: date, wd: int, which: str, tense: Tense) -> date:
    back = (anchor.weekday() - wd) % 7
    fwd = (wd - anchor.weekday()) % 7
    if which == "last":
        return anchor - timedelta(days=back or 7)
    if which == "next":
        return anchor + timedelta(days=fwd or 7)
    if which == "this":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday + timedelta(days=wd)
    if which in ("past",):
        return anchor - timedelta(days=back)
    if which == "coming" or tense == "future":
        return anchor + timedelta(days=fwd)
    return anchor - timedelta(days=back)


def _weekend(anchor: date, which: str, tense: Tense) -> date:
    """The Saturday that names a weekend."""
    monday = anchor - timedelta(days=anchor.weekday())
    this_sat = monday + timedelta(days=5)
    if which == "this":
        return this_sat
    if which == "next":
        return this_sat + timedelta(days=7)
    if which in ("last", "past"):
        return this_sat - timedelta(days=7)
    if which == "coming" or tense == "future":
        return this_sat
    return this_sat if anchor >= this_sat else this_sat - timedelta(days=7)


def _period(anchor: date, unit: str, delta: int) -> tuple[date, Precision]:
    if unit == "year":
        return date(anchor.year + delta, 1, 1), "year"
    if unit == "month":
        return date(*shift_month(anchor.year, anchor.month, delta), 1), "month"
    # Weeks have no precision of their own; report the month the week falls in.
    d = anchor + timedelta(days=7 * delta)
    return date(d.year, d.month, 1), "month"


def _resolve_match(
    kind: str, m: re.Match[str], sentence: str, anchor: date | None
) -> tuple[date, Precision] | None:
    g = m.groupdict()
    if "mon" in g and g["mon"] is not None and not _month_ok(sentence, m):
        return None
    if kind == "iso":
        dt = safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
        return (dt, "day") if dt else None
    if kind == "slash":
        y_raw = g["y"]
        dt = numeric_mdy(int(g["a"]), int(g["b"]), expand_year(int(y_raw)))
        return (dt, "day") if dt else None
    if kind in ("mdy", "dmy"):
        dt = safe_date(int(g["y"]), month_num(g["mon"]), int(g["d"]))
        return (dt, "day") if dt else None
    if kind == "my":
        return date(int(g["y"]), month_num(g["mon"]), 1), "month"
    if kind == "bare_year":
        year = int(g["y"])
        if year % 10 == 0 and re.match(r"['\u2019]?s\b", sentence[m.end("y") :]):
            return None  # "the late 1960's" is a decade, not a year
        return date(year, 1, 1), "year"
    if anchor is None:
        return None
    tense = local_tense(sentence, m.start(), m.end())
    if kind in ("md", "dm"):
        day = int(g["d"])
        if day == 0:
            return None
        dt = _nearest_year_for(anchor, month_num(g["mon"]), day, tense)
        return (dt, "day") if dt else None
    if kind == "bare_month":
        cue = (g.get("cue") or "").split()
        which = cue[0].lower() if cue else ""
        return _bare_month(anchor, month_num(g["mon"]), which, tense), "month"
    if kind == "rel_day":
        rel = " ".join(g["rel"].lower().split())
        offset = {"yesterday": -1, "tomorrow": 1, "last night": -1}.get(rel, 0)
        return anchor + timedelta(days=offset), "day"
    if kind == "rel_period":
        which = g["which"].lower()
        delta = {"last": -1, "past": -1, "next": 1, "coming": 1}.get(which, 0)
        return _period(anchor, g["unit"].lower(), delta)
    if kind == "weekend":
        return _weekend(anchor, g["which"].lower(), tense), "day"
    if kind == "ago":
        n_raw = g["n"].lower()
        n = int(n_raw) if n_raw.isdigit() else NUMBER_WORDS[n_raw]
        unit = g["unit"].lower()
        if unit == "day":
            return anchor - timedelta(days=n), "day"
        return _period(anchor, unit, -n)
    if kind == "weekday":
        which = (g.get("which") or "").lower()
        return _weekday(anchor, WEEKDAYS[g["wd"].lower()], which, tense), "day"
    return None


def _span(kind: str, m: re.Match[str]) -> tuple[int, int]:
    """Span to report: leading cue prepositions ("in", "since") are not part of it,
    but modifiers that change the meaning ("last", "next", "mid-") are."""
    if kind == "bare_month":
        cue = m.group("cue")
        if cue and cue.split()[0].lower() in ("last", "next", "this", "past"):
            return m.start(), m.end()
        return (m.start("mod") if m.group("mod") else m.start("mon")), m.end()
    if kind == "bare_year":
        return m.start("y"), m.end("y")
    return m.start(), m.end()


_MONTH_STEMS = tuple(
    stem
    for m in "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    for stem in (m, m.upper())
)
_WEEKDAY_NAMES = tuple(
    name
    for d in "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
    for name in (d, d.upper())
)
_DIGIT = re.compile(r"\d")
# Words one of which every match of a pattern contains (lowercased for the (?i) patterns).
_REL_DAY_WORDS = tuple("today tonight yesterday tomorrow morning afternoon evening night".split())
_PERIOD_WORDS = ("week", "month", "year")


def _may_match(sentence: str) -> dict[str, bool]:
    """For each pattern kind, whether the sentence holds a word every match of it needs.

    A necessary condition only, so skipping a pattern when it fails changes nothing; it spares
    running fifteen patterns over the many sentences that name no date (most of a wire feed).
    """
    digit = _DIGIT.search(sentence) is not None
    month = any(stem in sentence for stem in _MONTH_STEMS)
    lower = sentence.lower()
    return {
        "iso": digit,
        "slash": digit,
        "mdy": digit and month,
        "dmy": digit and month,
        "my": digit and month,
        "md": digit and month,
        "dm": digit and month,
        "bare_month": month,
        "bare_year": digit,
        "rel_day": any(w in lower for w in _REL_DAY_WORDS),
        "rel_period": any(w in lower for w in _PERIOD_WORDS),
        "weekend": "weekend" in lower,
        "ago": "ago" in lower,
        "weekday": any(name in sentence for name in _WEEKDAY_NAMES),
    }


def _candidates(sentence: str) -> Iterator[tuple[int, str, re.Match[str]]]:
    possible = _may_match(sentence)
    for prio, (kind, pat) in enumerate(_SENT_PATTERNS):
        if not possible[kind]:
            continue
        for m in pat.finditer(sentence):
            yield prio, kind, m


# The end of an accounting period ("Qtr ended Jan 31", "nine months to Dec 31", "year ending
# June 30", "fiscal 1986") dates the figures a report gives, not a happening: results briefs
# name it in nearly every line, and taking it as the event date put March 1987 reports in 1986.
_REPORTING_PERIOD = re.compile(
    r"\b(?:(?:quarter|qtr|year|period|months?|mths|half|weeks?|wks|season)\s+"
    r"(?:ended|ending|ends|to|through|thru)|fiscal(?:\s+year)?)\s*$",
    re.IGNORECASE,
)


def resolve_dates(sentence: str, anchor: date | None) -> list[ResolvedDate]:
    """All temporal expressions in a sentence, resolved against the publication date.

    Rules, in brief: explicit dates keep their stated precision; year-less dates
    and bare month names are placed by the nearest tense cue around them (past:
    the most recent one not after the anchor; future: the next one not before
    it; none: the nearest, past on ties); "last X"/"next X" are strictly before /
    after the anchor's month or day; weekdays in past/neutral context are the
    most recent such day on or before the anchor.  Week-level expressions report
    the month they fall in.  Without an anchor only expressions carrying their
    own year resolve.  Overlaps are settled longest-first, then pattern order.
    """
    chosen: list[tuple[int, int, int, str, re.Match[str]]] = []
    cands = sorted(
        _candidates(sentence),
        key=lambda c: (-(c[2].end() - c[2].start()), c[0], c[2].start()),
    )
    for prio, kind, m in cands:
        if any(m.start() < e and s < m.end() for s, e, *_ in chosen):
            continue
        chosen.append((m.start(), m.end(), prio, kind, m))
    out: list[ResolvedDate] = []
    for _, _, _, kind, m in sorted(chosen, key=lambda c: c[0]):
        res = _resolve_match(kind, m, sentence, anchor)
        if res is None:
            continue
        s, e = _span(kind, m)
        if _REPORTING_PERIOD.search(sentence[max(0, s - 40) : s]):
            continue  # "quarter ended Nov 30", "fiscal 1986": the period a report covers
        out.append(ResolvedDate(s, e, sentence[s:e], res[0], res[1]))
    return out


# ---------------------------------------------------------------------------
# Combining mentions
# ---------------------------------------------------------------------------

_RANK: dict[str, int] = {"day": 0, "month": 1, "year": 2}


def _contains(outer: tuple[date, Precision], inner: tuple[date, Precision]) -> bool:
    od, op = outer
    idt = inner[0]
    if op == "year":
        return idt.year == od.year
    if op == "month":
        return (idt.year, idt.month) == (od.year, od.month)
    return idt == od


def most_precise_consistent(
    dates: Sequence[tuple[date, Precision]],
) -> tuple[date, Precision] | None:
    """An event's date from the dates of its mentions.

    Rule: try precisions from finest (day) to coarsest (year).  At a level, the
    candidates are the distinct dates mentioned at that precision; a candidate
    is *consistent* when it lies inside at least half of the coarser mentions
    (trivially so when there are none) -- "at least half" rather than a strict
    majority so one stray coarse mention cannot veto a well-attested day.  The
    first level with a consistent candidate wins, choosing the most frequently
    mentioned one (ties: earliest date).  Finer mentions are not used to vote
    at coarser levels, so a day that conflicts with most months/years is
    dropped in favour of the coarser consensus.  Empty input gives None.
    """
    norm: list[tuple[date, Precision]] = []
    for d, p in dates:
        if p == "month":
            d = date(d.year, d.month, 1)
        elif p == "year":
            d = date(d.year, 1, 1)
        norm.append((d, p))
    for level in ("day", "month", "year"):
        at_level = [x for x in norm if x[1] == level]
        if not at_level:
            continue
        coarser = [x for x in norm if _RANK[x[1]] > _RANK[level]]
        counts = Counter(at_level)
        consistent = [
            c
            for c in counts
            if not coarser or 2 * sum(_contains(o, c) for o in coarser) >= len(coarser)
        ]
        if consistent:
            best = min(consistent, key=lambda c: (-counts[c], c[0]))
            return best
    return None


def as_date(value: object) -> date | None:
    """A date from whatever pandas or DuckDB hands over: date, datetime, Timestamp, ISO text.

    Missing values arrive as None, NaN or NaT (the values unequal to themselves), or as pandas'
    NA when DuckDB typed an all-missing column as a nullable integer (DuckDB 1.5 does).
    """
    if value is None or value is pd.NA or value != value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None
