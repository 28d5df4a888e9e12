"""An article's publication date, read from its header lines.

Scraped articles carry the date in a header line whose format varies wildly between sites
("12 / 16 / 08 1: 30 AM EST", "Posted : Tuesday, October 21, 2008 10:43 PM", ...), and the
tokenizer that produced the corpus re-joined tokens with spaces. A line that is mostly a date
is a header; a date inside a running sentence is not (the words around it tell). Rule based and
conservative: a line that cannot be read with confidence gives no date.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from pipeline.calendar_words import (
    MON,
    MON_FULL,
    MONTHS,
    ORD,
    WD,
    WEEKDAYS,
    YEAR4,
    expand_year,
    month_num,
    numeric_mdy,
    safe_date,
)
from pipeline.tense import FUTURE_WORDS, PAST_WORDS
from pipeline.url_line import URL_LINE

_S = r"\s?"  # the corpus often has "12 / 16 / 08" or "2012. 08. 08"

# Each pattern yields a (year|None, month, day) triple via _line_triple.
_LINE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "iso",
        re.compile(rf"(?<!\d){YEAR4}{_S}-{_S}(?P<m>\d{{1,2}}){_S}-{_S}(?P<d>\d{{1,2}})(?!\d)"),
    ),
    (
        "ymd_dot",
        re.compile(rf"(?<!\d){YEAR4}{_S}\.{_S}(?P<m>\d{{1,2}}){_S}\.{_S}(?P<d>\d{{1,2}})(?!\d)"),
    ),
    (
        "dmy_dot",
        re.compile(
            rf"(?<![\d.]){_S}(?P<d>\d{{1,2}}){_S}\.{_S}(?P<m>\d{{1,2}}){_S}\.{_S}{YEAR4}(?!\d)"
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
        re.compile(rf"\b(?P<mon>{MON_FULL})-(?P<d>\d{{1,2}})-(?P<y>\d{{4}}|\d{{2}})(?!\d)", re.I),
    ),
    (
        "mdy",
        re.compile(
            rf"\b(?P<mon>{MON})\s*(?P<d>[0-3]?\d){ORD}(?:\s*,\s*|\s*-\s*|\s+)(?P<y>(?:1[89]|20)\d\d)"
            r"(?!\d)",
            re.I,
        ),
    ),
    (
        "dmy",
        re.compile(
            rf"(?<!\d)(?P<d>[0-3]?\d){ORD}\s+(?:of\s+)?(?P<mon>{MON})(?:\s*,\s*|\s+)"
            r"(?P<y>(?:1[89]|20)\d\d)(?!\d)",
            re.I,
        ),
    ),
    ("md", re.compile(rf"\b(?P<mon>{MON})\s*(?P<d>[0-3]?\d){ORD}(?![\d/])", re.I)),
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
        y = expand_year(int(g["y"]))
        dt = numeric_mdy(int(g["a"]), int(g["b"]), y)
        return (dt.year, dt.month, dt.day) if dt else None
    if kind in ("iso", "ymd_dot", "dmy_dot"):
        dt = safe_date(int(g["y"]), int(g["m"]), int(g["d"]))
        return (dt.year, dt.month, dt.day) if dt else None
    month = month_num(g["mon"])
    day = int(g["d"])
    if kind == "md":
        return (None, month, day) if safe_date(2000, month, day) else None
    y = expand_year(int(g["y"]))
    dt = safe_date(y, month, day)
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
        if w in WEEKDAYS or w in _HEADER_WORDS or len(w) == 1 or w in allowed:
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
        (len(w) > 4 and w.endswith("ed")) or w in PAST_WORDS or w in FUTURE_WORDS or w == "died"
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


def _url_date(url: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) from a URL path such as /2013/08/02/ or /2013/aug/02/."""
    path = re.sub(r"(?i)^\s*https?://[^/]+", "", url)
    for m in _URL_DATE.finditer(path):
        mon_tok = m.group("m")
        if mon_tok.isalpha():
            if mon_tok.lower() not in MONTHS:
                continue
            month = MONTHS[mon_tok.lower()]
        else:
            month = int(mon_tok)
        year = int(m.group("y"))
        day = int(m.group("d")) if m.group("d") else None
        if day is not None and safe_date(year, month, day) is None:
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
    rf"^\s*(?:[A-Z][A-Za-z.' ]{{0,30}},\s*)?(?:{WD}\s*,?\s*)?"
    rf"(?P<date>{MON}\s*[0-3]?\d{ORD}\s*,?\s*(?:1[89]|20)\d\d)"
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
        if URL_LINE.match(line):
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
            dt = safe_date(year, year_less[1], year_less[2])
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
            years[expand_year(int(m.group("y")))] += 1
    if not years:
        return None
    best = max(years.items(), key=lambda kv: (kv[1], kv[0]))
    return best[0]
