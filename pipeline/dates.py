"""Date parsing and resolution for news articles.

Two jobs live here.  First, find an article's publication date, because scraped
articles carry it in a header line whose format varies wildly between sites
("12 / 16 / 08 1: 30 AM EST", "Posted : Tuesday, October 21, 2008 10:43 PM", ...),
and the tokenizer that produced the corpus re-joined tokens with spaces.  Second,
resolve the temporal expressions inside sentences ("on Wednesday", "last
November", "in February") against that publication date, so that mentions of
the same event in different articles can be compared on a calendar.

Everything is rule based and stdlib only; the rules are deliberately
conservative: an expression that cannot be placed on the calendar with
reasonable confidence is left out rather than guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import pandas as pd

Precision = Literal["day", "month", "year"]
Tense = Literal["past", "future", "neutral"]


@dataclass(frozen=True)
class ResolvedDate:
    """A temporal expression found in a sentence and placed on the calendar."""

    start: int  # char offset of the expression in the sentence/text passed in
    end: int
    text: str  # the matched expression
    value: date  # first day of the month/year when precision is coarser than day
    precision: Precision


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

_MONTHS: dict[str, int] = {
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
_WEEKDAYS: dict[str, int] = {
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
_NUMBER_WORDS: dict[str, int] = {
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
_MON = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_MON_FULL = (
    r"(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_WD = r"(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\.?"
_WD_FULL = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_ORD = r"(?:st|nd|rd|th)?"
_DAY = r"(?P<d>[0-3]?\d)" + _ORD
_YEAR4 = r"(?P<y>(?:1[89]|20)\d\d)"

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _expand_year(y: int) -> int:
    """Two-digit years in headers: 00-69 -> 20xx, 70-99 -> 19xx (news-era pivot)."""
    if y >= 100:
        return y
    return 2000 + y if y < 70 else 1900 + y


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month_num(tok: str) -> int:
    return _MONTHS[tok.rstrip(".").lower()]


def _shift_month(y: int, m: int, delta: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + delta
    return idx // 12, idx % 12 + 1


def _numeric_mdy(a: int, b: int, y: int) -> date | None:
    """US order first because most of the corpus is US press; fall back to
    day-first only when the first field cannot be a month (e.g. 14 / 09 / 2013)."""
    if a > 12:
        return _safe_date(y, b, a)
    return _safe_date(y, a, b)


# ---------------------------------------------------------------------------
# Date-line parsing (headers)
# ---------------------------------------------------------------------------

_S = r"\s?"  # the corpus often has "12 / 16 / 08" or "2012. 08. 08"

# Each pattern yields a (year|None, month, day) triple via _line_triple.
_LINE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "iso",
        re.compile(rf"(?<!\d){_YEAR4}{_S}-{_S}(?P<m>\d{{1,2}}){_S}-{_S}(?P<d>\d{{1,2}})(?!\d)"),
    ),
    (
        "ymd_dot",
        re.compile(rf"(?<!\d){_YEAR4}{_S}\.{_S}(?P<m>\d{{1,2}}){_S}\.{_S}(?P<d>\d{{1,2}})(?!\d)"),
    ),
    (
        "dmy_dot",
        re.compile(
            rf"(?<![\d.]){_S}(?P<d>\d{{1,2}}){_S}\.{_S}(?P<m>\d{{1,2}}){_S}\.{_S}{_YEAR4}(?!\d)"
        ),
    ),
    (
        "slash",
        re.compile(
            r"(?<![\d/])(?P<a>\d{1,2})\s?/\s?(?P<b>\d{1,2})\s?/\s?(?P<y>\d{4}|\d{2})(?![\d/])"
        ),
    ),
    (
        "mon_dash",
        re.compile(rf"\b(?P<mon>{_MON_FULL})-(?P<d>\d{{1,2}})-(?P<y>\d{{4}}|\d{{2}})(?!\d)", re.I),
    ),
    (
        "mdy",
        re.compile(
            rf"\b(?P<mon>{_MON})\s*(?P<d>[0-3]?\d){_ORD}(?:\s*,\s*|\s*-\s*|\s+)(?P<y>(?:1[89]|20)\d\d)"
            r"(?!\d)",
            re.I,
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"(?<!\d)(?P<d>[0-3]?\d){_ORD}\s+(?:of\s+)?(?P<mon>{_MON})(?:\s*,\s*|\s+)"
            r"(?P<y>(?:1[89]|20)\d\d)(?!\d)",
            re.I,
        ),
    ),
    ("md", re.compile(rf"\b(?P<mon>{_MON})\s*(?P<d>[0-3]?\d){_ORD}(?![\d/])", re.I)),
]

# Words that may surround a date in a header without making it a sentence.
_HEADER_WORDS = {
    "posted",
    "published",
    "updated",
    "update",
    "last",
    "first",
    "on",
    "at",
    "by",
    "originally",
    "edited",
    "time",
    "release",
    "released",
    "found",
    "story",
    "created",
    "for",
    "immediate",
    "am",
    "pm",
    "hrs",
    "hours",
    "and",
    "of",
    "date",
    "modified",
    "uk",
    "et",
    "pt",
    "ct",
    "mt",
    "gmt",
    "utc",
    "bst",
    "cet",
    "cest",
    "ist",
    "est",
    "edt",
    "pst",
    "pdt",
    "cst",
    "cdt",
    "mst",
    "mdt",
    "akdt",
    "akst",
    "hst",
    "aest",
    "aedt",
    "hkt",
    "sgt",
    "jst",
    "wib",
    "msk",
    "z",
    "local",
    "news",
    "filed",
    "dated",
    "issued",
    "online",
    "print",
    "edition",
    "am.",
    "pm.",
}
# Words that betray a running sentence (a date mentioned inside prose).
_SENTENCE_WORDS = {
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "his",
    "her",
    "their",
    "its",
    "was",
    "were",
    "is",
    "are",
    "be",
    "been",
    "will",
    "would",
    "has",
    "have",
    "had",
    "did",
    "do",
    "does",
    "said",
    "says",
    "who",
    "which",
    "that",
    "this",
    "there",
    "when",
    "after",
    "before",
    "in",
    "to",
    "with",
    "from",
    "not",
    "must",
    "can",
    "could",
    "should",
    "may",
    "might",
}
_MAX_RESIDUE_WORDS = 3
_MAX_BYLINE_WORDS = 8
_MAX_LINE_WORDS = 24  # long double "Posted ... Updated ..." lines stay well under this


def _line_triple(kind: str, m: re.Match[str]) -> tuple[int | None, int, int] | None:
    """Turn a header-pattern match into (year, month, day); None if invalid."""
    g = m.groupdict()
    if kind == "slash":
        y = _expand_year(int(g["y"]))
        dt = _numeric_mdy(int(g["a"]), int(g["b"]), y)
        return (dt.year, dt.month, dt.day) if dt else None
    if kind in ("iso", "ymd_dot", "dmy_dot"):
        dt = _safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
        return (dt.year, dt.month, dt.day) if dt else None
    month = _month_num(g["mon"])
    day = int(g["d"])
    if kind == "md":
        return (None, month, day) if _safe_date(2000, month, day) else None
    y = _expand_year(int(g["y"]))
    dt = _safe_date(y, month, day)
    return (dt.year, dt.month, dt.day) if dt else None


def _line_matches(line: str) -> list[tuple[int, int, tuple[int | None, int, int]]]:
    """All non-overlapping date matches in a header line, in pattern priority order."""
    taken: list[tuple[int, int, tuple[int | None, int, int]]] = []
    for kind, pat in _LINE_PATTERNS:
        for m in pat.finditer(line):
            if any(m.start() < e and s < m.end() for s, e, _ in taken):
                continue
            triple = _line_triple(kind, m)
            if triple is not None:
                taken.append((m.start(), m.end(), triple))
    taken.sort()
    return taken


def _parse_line_parts(line: str) -> tuple[int | None, int, int] | None:
    """Header-line parsing that tolerates a missing year (filled in by the caller)."""
    text = line.strip()
    if not text or re.match(r"(?i)^(?:https?:|www\.)", text):
        return None
    if len(text.split()) > _MAX_LINE_WORDS:
        return None
    found = _line_matches(text)
    if not found:
        return None
    residue = text
    for s, e, _ in reversed(found):
        residue = residue[:s] + " " + residue[e:]
    raw_words = re.findall(r"[A-Za-z]+(?:'[a-z]+)?", residue)
    words = [w.lower() for w in raw_words]
    lower_case = {w for w in raw_words if w.islower()}
    # Blog bylines ("On behalf of X posted in Category on <date>.") carry a name and a
    # category but are still headers; the posting verb plus a trailing date marks them.
    byline = bool(re.search(r"(?i)\b(?:posted|published)\b", text)) and not text[
        found[-1][1] :
    ].strip(" .|")
    allowed = {"in", "the"} if byline else set()
    content: list[str] = []
    for w in words:
        if w in _WEEKDAYS or w in _HEADER_WORDS or len(w) == 1 or w in allowed:
            continue
        if w in _SENTENCE_WORDS:
            return None
        content.append(w)
    if len(content) > (_MAX_BYLINE_WORDS if byline else _MAX_RESIDUE_WORDS):
        return None
    # A verb among the leftovers ("restored", "died", "rose") reads as prose.
    # Capitalised leftovers are names or categories ("Hit and Run Accidents"), so only
    # lower-case words count as verbs.
    if any(
        (len(w) > 4 and w.endswith("ed")) or w in _PAST_WORDS or w in _FUTURE_WORDS or w == "died"
        for w in content
        if w in lower_case
    ):
        return None
    # "Nov 3, 2008 (Reuters) - Stocks ..." opens a body paragraph, not a header.
    dl = _BODY_DATELINE.match(text)
    if dl and len(re.findall(r"[A-Za-z]+", text[dl.end() :])) >= 2:
        return None
    year_less = found[0][2][0] is None
    if year_less and len(content) > 1:
        return None  # "Watergate figure Fred LaRue, July 24" is a headline, not a date line
    # Prefer the first dated match (the "Published" one on Posted/Updated lines).
    for _, _, triple in found:
        if triple[0] is not None:
            return triple
    return found[0][2]


def parse_date_line(line: str) -> date | None:
    """Parse a standalone header/date line such as 'May 03, 2013' or 'Wed Jun 14 2023'.

    Header lines are recognised by what is left after removing the date, times,
    time zones, weekdays and boilerplate ("Posted", "Updated", ...): at most a few
    non-sentence words (a place name, an agency).  This is what lets us accept
    "WASHINGTON, DC, April 28, 2009" yet reject "He will be sentenced May 3, 2007."
    Lines without a year return None because the year cannot be known here.
    """
    parts = _parse_line_parts(line)
    if parts is None or parts[0] is None:
        return None
    return date(parts[0], parts[1], parts[2])


_URL_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<sep>[/_-]?)(?P<m>0[1-9]|1[0-2]|[a-z]{3})"
    r"(?:(?P=sep)(?P<d>[0-3]\d))?(?!\d)",
    re.I,
)
_URL_LINE = re.compile(r"(?i)^\s*(?:https?://|www\.)\S+\s*$")


def _url_date(url: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) from a URL path such as /2013/08/02/ or /2013/aug/02/."""
    path = re.sub(r"(?i)^\s*https?://[^/]+", "", url)
    for m in _URL_DATE.finditer(path):
        mon_tok = m.group("m")
        if mon_tok.isalpha():
            if mon_tok.lower() not in _MONTHS:
                continue
            month = _MONTHS[mon_tok.lower()]
        else:
            month = int(mon_tok)
        year = int(m.group("y"))
        day = int(m.group("d")) if m.group("d") else None
        if day is not None and _safe_date(year, month, day) is None:
            day = None
        # A bare "2013-08" run of digits could be an id; require a separator.
        if not m.group("sep") and day is None:
            continue
        return year, month, day
    m = re.search(r"/((?:19|20)\d\d)/", path)
    if m:
        return int(m.group(1)), None, None
    return None


_BODY_DATELINE = re.compile(
    rf"^\s*(?:[A-Z][A-Za-z.' ]{{0,30}},\s*)?(?:{_WD}\s*,?\s*)?"
    rf"(?P<date>{_MON}\s*[0-3]?\d{_ORD}\s*,?\s*(?:1[89]|20)\d\d)"
    r"\s*(?:\([A-Za-z ]+\)\s*)?(?:-|--|\u2013|\u2014|:)",
    re.I,
)


def find_publication_date(text: str, max_lines: int = 8) -> tuple[date | None, int | None]:
    """Find an article's publication date.

    Returns (date, line_index) where line_index indexes ``text.splitlines()`` and
    points at the header line the date came from; line_index is None when the
    date came from elsewhere: a wire-style dateline opening the body ("Nov. 3,
    2008 (Reuters) -") or, as a last resort, a /yyyy/mm/dd/ URL path.  Only the
    first ``max_lines`` non-blank lines are searched for a header, since later
    lines are body text whose dates are usually event dates, not publication.
    """
    lines = text.splitlines()
    url_hint: tuple[int, int | None, int | None] | None = None
    year_less: tuple[int, int, int] | None = None  # (line index, month, day)
    seen = 0
    body_candidates: list[str] = []
    for idx, line in enumerate(lines):
        if not line.strip():
            continue
        seen += 1
        if seen > max_lines:
            break
        if _URL_LINE.match(line):
            url_hint = url_hint or _url_date(line)
            continue
        parts = _parse_line_parts(line)
        if parts is not None:
            if parts[0] is not None:
                return date(parts[0], parts[1], parts[2]), idx
            if year_less is None:
                year_less = (idx, parts[1], parts[2])
            continue
        if len(body_candidates) < 3:
            body_candidates.append(line)
    if year_less is not None:
        year = _infer_year(text, url_hint, year_less[1], year_less[2])
        if year is not None:
            dt = _safe_date(year, year_less[1], year_less[2])
            if dt is not None:
                return dt, year_less[0]
    for line in body_candidates:
        m = _BODY_DATELINE.match(line)
        if m:
            parts = _parse_line_parts(m.group("date"))
            if parts is not None and parts[0] is not None:
                return date(*parts), None  # type: ignore[arg-type]
    if url_hint is not None and url_hint[1] is not None and url_hint[2] is not None:
        return date(url_hint[0], url_hint[1], url_hint[2]), None
    return None, None


def _infer_year(
    text: str, url_hint: tuple[int, int | None, int | None] | None, month: int, day: int
) -> int | None:
    """Year for a year-less header ('Jul. 7 5: 59 PM EDT').

    The URL's year is trusted first; otherwise the most common year among fully
    specified dates in the article (ties: latest), because wire copy that drops
    the year in its header usually repeats a full date in the body.
    """
    if url_hint is not None:
        return url_hint[0]
    years: Counter[int] = Counter()
    for kind in ("mdy", "dmy"):
        pat = dict(_LINE_PATTERNS)[kind]
        for m in pat.finditer(text):
            years[_expand_year(int(m.group("y")))] += 1
    if not years:
        return None
    best = max(years.items(), key=lambda kv: (kv[1], kv[0]))
    return best[0]


# ---------------------------------------------------------------------------
# Tense
# ---------------------------------------------------------------------------

_FUTURE_WORDS = {
    "will",
    "shall",
    "upcoming",
    "next",
    "tomorrow",
    "coming",
    "forthcoming",
    "later",
}
_FUTURE_BIGRAMS = {
    ("going", "to"),
    ("plans", "to"),
    ("plan", "to"),
    ("planning", "to"),
    ("expected", "to"),
    ("expects", "to"),
    ("set", "to"),
    ("intends", "to"),
    ("aims", "to"),
    ("hopes", "to"),
    ("is", "to"),
    ("are", "to"),
}
_PAST_WORDS = {
    "was",
    "were",
    "had",
    "did",
    "ago",
    "yesterday",
    "earlier",
    "went",
    "came",
    "met",
    "took",
    "made",
    "gave",
    "left",
    "held",
    "began",
    "fell",
    "rose",
    "won",
    "lost",
    "saw",
    "spoke",
    "got",
    "ran",
    "found",
    "brought",
    "sent",
    "struck",
    "shot",
    "wrote",
    "flew",
    "led",
    "kept",
    "sold",
    "paid",
    "broke",
    "chose",
    "fled",
    "stole",
    "drove",
    "threw",
    "became",
    "grew",
    "knew",
    "stood",
    "heard",
    "thought",
    "caught",
    "fought",
    "built",
    "spent",
    "hit",
    "last",
    "since",
    "been",
}
# Reporting verbs describe the article, not the event, so they carry no tense cue.
_NEUTRAL_WORDS = {
    "said",
    "told",
    "added",
    "noted",
    "stated",
    "reported",
    "according",
    "planned",
    "expected",
    "scheduled",
    "united",
    "need",
    "needed",
    "indeed",
    "speed",
    "proceed",
    "succeed",
    "exceed",
    "hundred",
    "based",
    "related",
    "aged",
    "sacred",
    "wicked",
    "beloved",
    "naked",
    "limited",
    "red",
    "bed",
    "shed",
    "feed",
    "seed",
    "breed",
    "creed",
    "weed",
    "greed",
    "wed",
}
_TOKEN = re.compile(r"[A-Za-z]+(?:['\u2019][A-Za-z]+)?")


_REPORTING = {"said", "told", "added", "noted", "stated", "reported"}
_PRESENT_AUX = {"is", "are", "am", "be", "will", "'s"}


def _cues(sentence: str, reporting_is_past: bool = False) -> list[tuple[int, int, Tense]]:
    """(char start, token index, tense) for every tense cue in the sentence.

    Reporting verbs ("said") are neutral for a whole sentence but are the best
    cue for a time adverbial attached to them ("said on Friday"), hence the flag.
    """
    toks = [(m.start(), m.group(0)) for m in _TOKEN.finditer(sentence)]
    low = [t.lower().replace("\u2019", "'") for _, t in toks]
    out: list[tuple[int, int, Tense]] = []
    for i, (pos, raw) in enumerate(toks):
        w = low[i]
        nxt = low[i + 1] if i + 1 < len(low) else ""
        if w.endswith("'ll") or w in _FUTURE_WORDS or (w, nxt) in _FUTURE_BIGRAMS:
            out.append((pos, i, "future"))
        elif w == "due" and nxt == "to" and i + 2 < len(low) and low[i + 2] == "be":
            out.append((pos, i, "future"))  # "due to be held"; "due to the balloon" is causal
        elif w == "scheduled":
            # Only "is/will be scheduled" looks ahead; "was scheduled" is carried by "was".
            if _PRESENT_AUX & set(low[max(0, i - 2) : i]):
                out.append((pos, i, "future"))
        elif w in _REPORTING and reporting_is_past:
            out.append((pos, i, "past"))
        elif w in _NEUTRAL_WORDS:
            continue
        elif w in _PAST_WORDS:
            out.append((pos, i, "past"))
        elif w.endswith("ed") and len(w) > 4 and raw[0].islower() and not w.endswith("eed"):
            out.append((pos, i, "past"))
    return out


def tense_of(sentence: str) -> Tense:
    """Rough tense of a sentence from cue words.

    Future cues (will, 'll, going to, plans to, expected to, scheduled, set to,
    upcoming, next) are counted against past cues (was/were/had/did, -ed verbs,
    common irregular past forms).  Reporting verbs ("said", "told") are ignored
    because in news they describe the article, not the event.  The larger count
    wins; a tie (including none) is "neutral".
    """
    cues = _cues(sentence)
    fut = sum(1 for c in cues if c[2] == "future")
    past = sum(1 for c in cues if c[2] == "past")
    if fut > past:
        return "future"
    if past > fut:
        return "past"
    return "neutral"


def _local_tense(sentence: str, start: int, end: int, window: int = 10) -> Tense:
    """Tense nearest to an expression; mixed-tense sentences are common in news
    ("had been postponed in February ... will travel this weekend").

    Distance is counted in tokens; cues after the expression count 1.5x and a
    comma in between adds 5, so "on Sunday, officials said" keeps the tense of
    the clause that owns "Sunday".
    """
    cues = _cues(sentence, reporting_is_past=True)
    if not cues:
        return "neutral"
    tok_starts = [m.start() for m in _TOKEN.finditer(sentence)]
    first = sum(1 for p in tok_starts if p < start)
    last = sum(1 for p in tok_starts if p < end) - 1
    best: tuple[float, Tense] | None = None
    for pos, ti, tense in cues:
        if start <= pos < end:
            continue  # the expression's own words ("last", "next") are handled by rules
        if ti < first:
            dist = float(first - ti)
            between = sentence[pos:start]
        else:
            dist = (ti - last) * 1.5
            between = sentence[end:pos]
        if "," in between or ";" in between:
            dist += 5
        if dist > window:
            continue
        if best is None or dist < best[0]:
            best = (dist, tense)
    return best[1] if best else "neutral"


# ---------------------------------------------------------------------------
# Sentence-level resolution
# ---------------------------------------------------------------------------

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
            rf"(?:\b{_CAP_WD},?\s+)?\b{_CAP_MON}\s*(?P<d>[0-3]?\d){_ORD}\b(?:\s*,\s*|\s+){_SENT_YEAR}"
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"(?:\b{_CAP_WD},?\s+)?(?:the\s+)?(?<![\d$.,])(?P<d>[0-3]?\d){_ORD}\s+(?:of\s+)?"
            rf"{_CAP_MON},?\s+{_SENT_YEAR}"
        ),
    ),
    ("my", re.compile(rf"\b{_MOD}?{_CAP_MON}\s*,?\s+(?:of\s+)?{_SENT_YEAR}")),
    (
        "md",
        re.compile(rf"(?:\b{_CAP_WD},?\s+)?\b{_CAP_MON}\s*(?P<d>[0-3]?\d){_ORD}\b{_NOT_QUANTITY}"),
    ),
    (
        "dm",
        re.compile(
            rf"(?:\b{_CAP_WD},?\s+)?(?:the\s+)?(?<![\d$.,])\b(?P<d>[0-3]?\d){_ORD}\s+(?:of\s+)?"
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
    cands = [d for d in (_safe_date(anchor.year + k, month, day) for k in (-1, 0, 1)) if d]
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
        return date(*_shift_month(anchor.year, anchor.month, -back), 1)
    if which == "next":
        fwd = fwd or 12
        return date(*_shift_month(anchor.year, anchor.month, fwd), 1)
    if which == "this":
        return date(anchor.year, month, 1)
    if tense == "past" or (tense == "neutral" and back <= fwd):
        return date(*_shift_month(anchor.year, anchor.month, -back), 1)
    return date(*_shift_month(anchor.year, anchor.month, fwd), 1)


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
        return date(*_shift_month(anchor.year, anchor.month, delta), 1), "month"
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
        dt = _safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
        return (dt, "day") if dt else None
    if kind == "slash":
        y_raw = g["y"]
        dt = _numeric_mdy(int(g["a"]), int(g["b"]), _expand_year(int(y_raw)))
        return (dt, "day") if dt else None
    if kind in ("mdy", "dmy"):
        dt = _safe_date(int(g["y"]), _month_num(g["mon"]), int(g["d"]))
        return (dt, "day") if dt else None
    if kind == "my":
        return date(int(g["y"]), _month_num(g["mon"]), 1), "month"
    if kind == "bare_year":
        year = int(g["y"])
        if year % 10 == 0 and re.match(r"['\u2019]?s\b", sentence[m.end("y") :]):
            return None  # "the late 1960's" is a decade, not a year
        return date(year, 1, 1), "year"
    if anchor is None:
        return None
    tense = _local_tense(sentence, m.start(), m.end())
    if kind in ("md", "dm"):
        day = int(g["d"])
        if day == 0:
            return None
        dt = _nearest_year_for(anchor, _month_num(g["mon"]), day, tense)
        return (dt, "day") if dt else None
    if kind == "bare_month":
        cue = (g.get("cue") or "").split()
        which = cue[0].lower() if cue else ""
        return _bare_month(anchor, _month_num(g["mon"]), which, tense), "month"
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
        n = int(n_raw) if n_raw.isdigit() else _NUMBER_WORDS[n_raw]
        unit = g["unit"].lower()
        if unit == "day":
            return anchor - timedelta(days=n), "day"
        return _period(anchor, unit, -n)
    if kind == "weekday":
        which = (g.get("which") or "").lower()
        return _weekday(anchor, _WEEKDAYS[g["wd"].lower()], which, tense), "day"
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
