"""Whether a sentence speaks of the past or the future, from its words alone.

An undated mention takes its window from the tense around it ("will visit" looks ahead of the
publication date, "visited" back), and a bare weekday or month is placed before or after the
publication date by the same cue (``pipeline.dates``). Reporting verbs ("said", "told")
describe the article, not the happening, so they carry no tense.
"""

from __future__ import annotations

import re

from pipeline.calendar_words import Tense

FUTURE_WORDS = {
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
PAST_WORDS = {
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
        if w.endswith("'ll") or w in FUTURE_WORDS or (w, nxt) in _FUTURE_BIGRAMS:
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
        elif w in PAST_WORDS:
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


def local_tense(sentence: str, start: int, end: int, window: int = 10) -> Tense:
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
