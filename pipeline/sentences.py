"""Regex-based sentence splitting that returns offsets instead of copies.

Downstream steps (event extraction, evidence quoting) need to point back into the cleaned
article, so spans are the primary output.  The rules are tuned for English news copy: they
prefer missing a boundary after an abbreviation over cutting "Gen. Smith" in two, because a
merged sentence still carries its facts while a broken one loses its subject.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["iter_sentences", "split_sentences"]

_ABBREVIATIONS = frozenset(
    """mr mrs ms mx dr prof gen sen rep gov lt col sgt cpl pvt capt cmdr adm maj brig supt
    insp det dist atty st jr sr rev hon fr messrs mme mlle
    inc corp co ltd llc plc bros dept univ assn
    vs etc al approx est fig cf viz ave blvd rd mt ft
    jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue tues wed thu thur thurs fri sat sun""".split()
)
# Only abbreviations when a number follows ("No. 5", "Vol. 2"); "said no." ends a sentence.
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "vol", "art", "p", "pp", "ch", "sec", "op"})
# After a dotted acronym ("U.S.") these words almost always open a new sentence.
_SENTENCE_STARTERS = frozenset(
    """the he she it they we i but in a an this that these those there his her their its
    our on at as after when while however meanwhile also and so if mr mrs ms""".split()
)

_LINE_RE = re.compile(r"[^\n]+")
# A terminator run, optional closing quotes/brackets, then the whitespace before the next one.
# Tokenised corpora detach closing quotes ('murder. " Then'), so one may follow after a space.
_BOUNDARY_RE = re.compile(
    r"[.!?]+[\"'”’)\]»]*(?:[ \t]+[\"'”’](?=[ \t]))?[ \t\f\v\u00a0\u2009\u202f]+"
)
_OPENERS = "\"'“‘([«"
_INITIALS_RE = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")  # "J", "U.S", "e.g"


def _token_before(text: str, start: int, pos: int) -> str:
    """The whitespace-delimited token ending at ``pos`` (without its terminator)."""
    space = max(text.rfind(" ", start, pos), text.rfind("\t", start, pos), start - 1)
    token = text[space + 1 : pos]
    return token.lstrip(_OPENERS + "—–-")


def _next_word(text: str, pos: int, end: int) -> str:
    match = re.match(r"[\"'“‘(\[«]*([^\W\d_]+)", text[pos : min(end, pos + 40)])
    return match.group(1) if match else ""


def _is_boundary(text: str, line_start: int, line_end: int, match: re.Match[str]) -> bool:
    after = match.end()
    if after >= line_end:
        return False  # the line end is a boundary anyway
    nxt = text[after]
    if not (nxt.isupper() or nxt.isdigit() or nxt in _OPENERS):
        return False
    if nxt in _OPENERS and (after + 1 >= line_end or text[after + 1].isspace()):
        return False  # a detached closing quote ('murder. "') belongs to this sentence
    terminators = match.group(0).rstrip()
    if "!" in terminators or "?" in terminators or terminators.startswith(".."):
        return True
    token = _token_before(text, line_start, match.start())
    if not token:
        return True
    if nxt.isdigit() and token[-1].isdigit() and terminators == ".":
        return False  # "35. 0 percent", "$2. 6 million": a decimal point in tokenised text
    lowered = token.lower()
    if lowered in _NUMBER_ABBREVIATIONS:
        return not nxt.isdigit()
    if lowered in _ABBREVIATIONS and "." not in lowered:
        return False
    if _INITIALS_RE.fullmatch(token):
        if len(token) == 1:
            return False  # "J. D. Drew", "a. m." in tokenised text
        # Dotted acronyms (U.S., U.K.) often end sentences; trust an obvious sentence opener.
        return _next_word(text, after, line_end).lower() in _SENTENCE_STARTERS
    return True


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of sentences; every non-empty line yields at least one."""
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[tuple[int, int]]:
    """:func:`split_sentences` one line at a time, for callers that need only the first few
    (a line's sentences never depend on the lines after it)."""
    for line in _LINE_RE.finditer(text):
        spans: list[tuple[int, int]] = []
        line_start, line_end = line.span()
        seg_start = line_start
        for match in _BOUNDARY_RE.finditer(text, line_start, line_end):
            if _is_boundary(text, line_start, line_end, match):
                _append(text, seg_start, match.end(), spans)
                seg_start = match.end()
        _append(text, seg_start, line_end, spans)
        yield from spans


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))
