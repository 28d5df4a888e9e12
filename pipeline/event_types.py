"""The event vocabulary: which words signal which kind of happening.

Types follow PLOVER's top level (CONSULT, AGREE, ACCUSE, REQUEST, REJECT, SANCTION, THREATEN,
PROTEST, ASSAULT, COERCE, AID) plus a few non-political types news is full of (DISASTER, DEATH,
HEALTH, PERSONNEL, ELECTION, BUSINESS, CONTEST, LEGAL). A *mode* refines a type where one
story often holds several happenings of the same type: a phone call and a visit are both CONSULT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (type, mode, verbs, nouns). Verbs are inflected automatically; nouns get a plural.
_VOCABULARY: list[tuple[str, str, list[str], list[str]]] = [
    (
        "CONSULT",
        "phone",
        ["phone", "telephone"],
        ["phone call", "telephone call", "telephone conversation", "phone conversation"],
    ),
    ("CONSULT", "visit", ["visit", "travel", "tour"], ["visit", "trip", "journey", "tour"]),
    (
        "CONSULT",
        "meet",
        ["meet", "negotiate", "host"],
        ["meeting", "talks", "summit", "negotiation", "banquet"],
    ),
    (
        "AGREE",
        "",
        ["agree", "approve", "ratify", "accept"],
        ["agreement", "accord", "treaty", "deal", "ceasefire"],
    ),
    (
        "ACCUSE",
        "",
        ["accuse", "blame", "criticize", "criticise", "condemn", "allege"],
        ["accusation", "criticism", "condemnation"],
    ),
    (
        "REQUEST",
        "",
        ["urge", "demand", "appeal", "request", "invite"],
        ["appeal", "demand", "invitation"],
    ),
    (
        "REJECT",
        "",
        ["reject", "refuse", "deny", "veto", "cancel", "postpone", "suspend"],
        ["rejection", "refusal", "cancellation", "postponement"],
    ),
    (
        "SANCTION",
        "",
        ["sanction", "embargo", "boycott", "expel", "restrict"],
        ["sanction", "embargo", "boycott", "export control", "restriction"],
    ),
    ("THREATEN", "", ["threaten", "warn"], ["threat", "warning", "ultimatum"]),
    (
        "PROTEST",
        "",
        ["protest", "demonstrate", "riot", "rally"],
        ["protest", "demonstration", "riot", "unrest", "rally"],
    ),
    (
        "ASSAULT",
        "",
        [
            "attack",
            "kill",
            "shoot",
            "bomb",
            "stab",
            "murder",
            "assassinate",
            "wound",
            "massacre",
            "behead",
            "strangle",
        ],
        [
            "attack",
            "shooting",
            "bombing",
            "killing",
            "murder",
            "assassination",
            "massacre",
            "gunfire",
            "stabbing",
            "homicide",
            "slaying",
        ],
    ),
    (
        "COERCE",
        "",
        [
            "arrest",
            "detain",
            "jail",
            "imprison",
            "seize",
            "hijack",
            "kidnap",
            "capture",
            "deport",
            "raid",
            "escape",
        ],
        ["arrest", "detention", "hijacking", "kidnapping", "raid", "seizure", "escape", "manhunt"],
    ),
    ("AID", "", ["rescue", "evacuate", "donate"], ["rescue", "evacuation", "donation", "relief"]),
    (
        "DISASTER",
        "",
        ["erupt", "collapse", "crash", "derail", "capsize", "burn", "explode", "flood"],
        [
            "earthquake",
            "quake",
            "tsunami",
            "flood",
            "hurricane",
            "storm",
            "fire",
            "blaze",
            "wildfire",
            "eruption",
            "tornado",
            "landslide",
            "crash",
            "collision",
            "explosion",
            "blast",
            "outage",
            "accident",
            "aftershock",
        ],
    ),
    ("DEATH", "", ["die", "pass away"], ["death", "obituary", "funeral"]),
    (
        "HEALTH",
        "",
        ["hospitalize", "injure", "check into", "enter rehab"],
        ["rehab", "rehabilitation", "injury", "surgery", "treatment", "overdose"],
    ),
    (
        "PERSONNEL",
        "",
        [
            "appoint",
            "nominate",
            "hire",
            "fire",
            "sack",
            "dismiss",
            "resign",
            "retire",
            "step down",
            "name",
            "sign",
        ],
        ["appointment", "nomination", "resignation", "dismissal", "retirement", "contract"],
    ),
    (
        "ELECTION",
        "",
        ["elect", "re-elect", "vote"],
        ["election", "vote", "ballot", "referendum", "poll"],
    ),
    (
        "BUSINESS",
        "",
        [
            "acquire",
            "buy",
            "purchase",
            "merge",
            "launch",
            "release",
            "unveil",
            "announce",
            "sell",
            "patch",
        ],
        [
            "acquisition",
            "purchase",
            "merger",
            "takeover",
            "launch",
            "release",
            "patch",
            "update",
            "product",
            # Results and payouts: the happenings most company briefs report.
            "earnings",
            "profit",
            "dividend",
            "payout",
            "net income",
            "net loss",
            "net profit",
            "qtr",  # wire briefs' "4TH QTR NET": the quarter's results
        ],
    ),
    (
        "CONTEST",
        "",
        ["win", "beat", "defeat", "lose", "score", "knock out"],
        ["victory", "win", "defeat", "title", "championship", "playoff", "knockout"],
    ),
    (
        "LEGAL",
        "",
        ["sue", "convict", "sentence", "indict", "charge", "plead", "acquit", "rule"],
        ["lawsuit", "trial", "verdict", "conviction", "sentence", "indictment", "charges"],
    ),
]

_IRREGULAR = {
    "meet": ["met"],
    "win": ["won"],
    "lose": ["lost"],
    "buy": ["bought"],
    "sell": ["sold"],
    "shoot": ["shot"],
    "die": ["died", "dies", "dying"],
    "beat": ["beaten"],
    "seize": ["seized"],
    "fly": ["flew", "flown"],
    "take": ["took"],
    "deny": ["denied"],
    "rally": ["rallied"],
    "apply": ["applied"],
    "hire": ["hired"],
    "lead": ["led"],
    "leave": ["left"],
    "stab": ["stabbed", "stabbing"],
    "plan": ["planned"],
    "sue": ["sued", "suing"],
    "rule": ["ruled", "ruling"],
    "travel": ["travelled"],
    "fire": ["fired", "firing"],
    "cancel": ["canceled", "cancelled"],
}


def _inflect(verb: str) -> set[str]:
    words = verb.split(" ")
    head, rest = words[0], " ".join(words[1:])
    forms = {head, head + "s", head + "ed", head + "ing"}
    if head.endswith("e"):
        forms |= {head + "d", head[:-1] + "ing"}
    if head.endswith("y") and head[-2:-1] not in "aeiou":
        forms |= {head[:-1] + "ies", head[:-1] + "ied"}
    if head.endswith(("sh", "ch", "s", "x")):
        forms.add(head + "es")
    if re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", head):
        forms |= {head + head[-1] + "ed", head + head[-1] + "ing"}
    forms |= set(_IRREGULAR.get(head, []))
    return {f"{f} {rest}".strip() for f in forms}


def _plural(noun: str) -> set[str]:
    if noun.endswith(("s", "x", "ch", "sh")):
        return {noun, noun + "es"}
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return {noun, noun[:-1] + "ies"}
    return {noun, noun + "s"}


@dataclass(frozen=True)
class Trigger:
    event_type: str
    mode: str
    start: int
    end: int
    text: str


def _build() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    lookup: dict[str, tuple[str, str]] = {}
    for event_type, mode, verbs, nouns in _VOCABULARY:
        for form in {f for v in verbs for f in _inflect(v)} | {
            f for n in nouns for f in _plural(n)
        }:
            lookup.setdefault(form, (event_type, mode))
    pattern = re.compile(r"\b(" + _trie_pattern(sorted(lookup)) + r")\b", re.IGNORECASE)
    return pattern, lookup


def _trie_pattern(words: list[str]) -> str:
    """One regex for many words, shaped as a prefix tree.

    A flat alternation of ~1,000 words makes the regex engine try every word at every word
    boundary (most of the event step's time); the tree tries one branch per character. Greedy
    optional tails try the longer word first, as the flat alternation sorted longest-first did,
    so the matches are the same.
    """
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a word

    def render(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return render(trie)


_PATTERN, _LOOKUP = _build()
# Uses of a trigger word that report nothing: "so-called", "fire" as in "under fire".
_FALSE_CONTEXT = re.compile(
    r"\b(?:so[- ]called|under fire|open fire|title of|name of|named after|my name|"
    r"in the name|first name|last name)\b",
    re.IGNORECASE,
)


def find_triggers(sentence: str) -> list[Trigger]:
    """Every event word in a sentence, at most one per (type, mode), in order of appearance."""
    found: list[Trigger] = []
    seen: set[tuple[str, str]] = set()
    # In a line set in capitals (a wire headline) case says nothing about names.
    shouting = _in_capitals(sentence)
    for match in _PATTERN.finditer(sentence):
        word = match.group(1)
        if (
            not shouting
            and word[0].isupper()
            and match.start() > 0
            and not _sentence_start(sentence, match.start())
        ):
            continue  # a capitalised trigger mid-sentence is a name ("Fire Department", "Win")
        event_type, mode = _LOOKUP[word.lower()]
        if event_type == "LEGAL" and word.lower().startswith("charge") and _accounting(sentence):
            continue  # "a 2.6 mln dlr charge for restructuring": a cost, not an accusation
        if (event_type, mode) in seen:
            continue
        window = sentence[max(0, match.start() - 12) : match.end() + 12]
        if _FALSE_CONTEXT.search(window):
            continue
        seen.add((event_type, mode))
        found.append(Trigger(event_type, mode, match.start(), match.end(), word))
    return found


_LETTERS = re.compile(r"[A-Za-z]")
# A charge that is a cost: an amount next to it, or the words company accounts use.
_ACCOUNTING_CHARGE = re.compile(
    r"(?:\b(?:dlrs?|mln|million|billion|bln|cts)\b|\$\s?\d)[^;]{0,40}\bcharges?\b"
    r"|\bcharges?\b[^;]{0,40}(?:\b(?:dlrs?|mln|million|billion|bln)\b|\$\s?\d)"
    r"|\b(?:extraordinary|one-time|special|pre-?tax|after-?tax|non-?recurring|restructuring|"
    r"write-?down|tax)\s+charges?\b",
    re.IGNORECASE,
)


def _in_capitals(sentence: str) -> bool:
    letters = _LETTERS.findall(sentence)
    return len(letters) >= 8 and sum(c.isupper() for c in letters) >= 0.9 * len(letters)


def _accounting(sentence: str) -> bool:
    return _ACCOUNTING_CHARGE.search(sentence) is not None


def _sentence_start(sentence: str, pos: int) -> bool:
    return not sentence[:pos].strip(" \"'“‘(")


VOCABULARY = tuple((t, m) for t, m, _, _ in _VOCABULARY)
EVENT_TYPES = tuple(dict.fromkeys(t for t, _, _, _ in _VOCABULARY))
