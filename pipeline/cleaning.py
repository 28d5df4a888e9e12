"""Strip page furniture from scraped news and pull out the metadata header.

Scraped articles come wrapped in whatever the site put around them: share buttons, comment
prompts, photo credits, "Also read" teasers, ad markers and section labels.  Event extraction
treats every remaining line as reportage, so furniture left in becomes fake events; but an
article sentence dropped here is lost for good.  The rules below are therefore *general*
shapes of furniture (never site- or story-specific strings) and lean towards keeping any line
that reads like a sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from pipeline.date_lines import parse_date_line
from pipeline.url_line import URL_LINE

__all__ = [
    "RULES_VERSION",
    "CleanedArticle",
    "clean_article",
    "find_repeated_lines",
    "furniture_line_keys",
    "normalize_text",
    "repeated_line_threshold",
]


@dataclass(frozen=True)
class CleanedArticle:
    """A cleaned article plus the metadata recovered while cleaning it."""

    text: str
    title: str | None
    url: str | None
    source: str | None
    published_date: date | None
    published_date_origin: str | None
    removed_lines: tuple[str, ...]


# --- normalisation ------------------------------------------------------------------------

_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_SPACES_RE = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2212": "-",
        "\u2043": "-",
    }
)
# Dashes between digits are ranges/scores ("2010-2012", "20-13"); elsewhere they are
# parenthetical and get spaced so that glued words ("trade—and") separate.
_RANGE_DASH_RE = re.compile(r"(?<=\d)\s*[\u2012\u2013\u2014\u2015]\s*(?=\d)")
_DASH_RE = re.compile(r"\s*[\u2012\u2013\u2014\u2015]\s*")
_MULTISPACE_RE = re.compile(r" {2,}")
_LINEBREAK_RE = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def normalize_text(text: str) -> str:
    """Canonical character forms, so rules and dedup compare like with like.

    Output has one paragraph per line and no blank lines: the line is the paragraph unit for
    every later step.
    """
    text = unicodedata.normalize("NFC", text)
    text = _LINEBREAK_RE.sub("\n", text)
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _SPACES_RE.sub(" ", text).translate(_QUOTES)
    text = _RANGE_DASH_RE.sub("-", text)
    text = _DASH_RE.sub(" - ", text)
    lines = (_MULTISPACE_RE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _normalized_line_key(line: str) -> str:
    """``_line_key`` of a line that already went through ``normalize_text`` (idempotent)."""
    return " ".join(line.casefold().split())


def _line_key(line: str) -> str:
    return " ".join(normalize_text(line).casefold().split())


# Part of every cleaning cache key: raise it when a rule changes what clean_article returns, so
# a working database made by an older version cleans its articles again instead of reusing them.
RULES_VERSION = "2"

# --- corpus-level furniture ------------------------------------------------------------------

_MAX_FURNITURE_WORDS = 25


def find_repeated_lines(
    texts: Sequence[str], min_articles: int = 3, min_share: float = 0.2
) -> frozenset[str]:
    """Lines shared by many articles of a corpus: site chrome no per-line rule could know.

    Both thresholds must hold so that a small batch cannot turn one coincidence into a rule,
    and long lines are exempt because a sentence shared across articles is syndicated copy,
    not furniture.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(furniture_line_keys(text))
    needed = repeated_line_threshold(len(texts), min_articles, min_share)
    return frozenset(key for key, n in counts.items() if n >= needed)


def furniture_line_keys(text: str) -> frozenset[str]:
    """The lines of one article that could be corpus-level furniture, as comparison keys."""
    return frozenset(
        key
        for line in normalize_text(text).split("\n")
        if (key := _normalized_line_key(line)) and len(key.split()) <= _MAX_FURNITURE_WORDS
    )


def repeated_line_threshold(n_texts: int, min_articles: int = 3, min_share: float = 0.2) -> float:
    """In how many articles a line must occur to count as furniture of a corpus this size."""
    return max(min_articles, min_share * n_texts)


# --- line rules ----------------------------------------------------------------------------

_SHARE_STRONG = frozenset(
    """facebook twitter whatsapp linkedin pinterest reddit telegram messenger tumblr
    flipboard email e-mail mail share shares sharing tweet print x vk sms copy""".split()
)
_SHARE_WEAK = frozenset(
    """this article story page post link on via to in new window tab click opens the
    url comments comment save and or more""".split()
)
# Furniture whatever its punctuation: these phrasings do not occur in reportage.
_FURNITURE_RES = tuple(
    re.compile(p, re.I)
    for p in (
        r"^leave a (?:reply|comment|response)\b",
        r"^(?:post|add|write|show|view|load) (?:a |your |all |more )?comments?\b",
        r"^\d+ (?:comments?|responses?|replies)$",
        r"^comments?(?: \(\d+\))?$",
        r"your email address will not be published",
        r"required fields are marked",
        r"^you must be logged in to (?:post|comment)",
        r"^cancel reply$",
        r"^back to top\b",
        r"^(?:skip to (?:main )?content|jump to)\b",
        r"^(?:advertisement|advertising|sponsored(?: content)?|ad|ads|promoted)$",
        r"^(?:story|article) continues (?:below|after)\b",
        r"^(?:continue reading|scroll (?:down )?to continue)\b",
        r"^(?:tags?|filed under|topics?|categories|category|keywords)\s*:",
        r"^(?:©|\(c\)|copyright\b)",
        r"\ball rights reserved\b",
        r"^(?:home|news)\s*[>»›|/]",
    )
)
# Teasers and calls to action; they could open a real sentence, so only unpunctuated lines.
_TEASER_RES = tuple(
    re.compile(p, re.I)
    for p in (
        r"^(?:related|more|latest|top|recommended|trending|popular)"
        r" (?:news|articles?|stories|posts?|content|coverage|videos?|topics|reads?)\b",
        r"^(?:also read|read also|read more|see also|you may also like|you might also like"
        r"|most (?:read|popular|viewed)|don'?t miss|recommended for you|more from)\b",
        r"^(?:subscribe|sign up|log ?in|register) (?:to|for|now|here|today)\b",
        r"^(?:click here|follow us|follow @|download (?:our|the) app)\b",
    )
)
_AGENCY = (
    r"(?:getty images|getty|ap photo|ap|associated press|reuters|afp|epa|efe|xinhua|ansa|dpa"
    r"|anadolu(?: agency)?|shutterstock|alamy|pa wire|pa images|pa|bloomberg|nurphoto|sipa"
    r"|imago|istock|tass|ria novosti|aap|cp|upi)"
)
_CREDIT_TAIL_RE = re.compile(
    rf"(?:/|\||\bvia\b|\bphoto\b|©|\(|:|,|-)\s*{_AGENCY}(?:\s*(?:photo|images?|/.*))?\)?$", re.I
)
_CREDIT_HEAD_RE = re.compile(
    r"^\(?(?:photo|photograph|image|picture|pic|file photo|credit|photo credit|caption)s?"
    r"(?: by)?\s*[:|/]",
    re.I,
)
_STAMP_RE = re.compile(r"^source\b\s*[:\-]?\s*(?P<name>.{1,40})$", re.I)
_SITE_ID_RE = re.compile(r"^site[-\s_]?\d+$", re.I)
_BYLINE_RE = re.compile(
    r"^(?:(?:posted|written|reported|reporting|story|words|text|edited|editing)\s+)?by[:\s]+"
    r"(?P<rest>.+)$",
    re.I,
)
_BYLINE_WORDS = frozenset(
    """admin administrator staff editor editors desk team reporter correspondent writer
    and de del da van von der den al el bin le la""".split()
)
_META_PREFIX_RE = re.compile(
    r"^(?:last )?(?:updated|published|posted|created|modified|first published)\b", re.I
)
_ENDS_SENTENCE_RE = re.compile(r"[.!?:;…](?:\s*[\"')\]])*$")
_WORD_RE = re.compile(r"\S+")
_SYMBOLS_ONLY_RE = re.compile(r"^[\W_]+$")


def _words(line: str) -> list[str]:
    return _WORD_RE.findall(line)


def _ends_sentence(line: str) -> bool:
    return bool(_ENDS_SENTENCE_RE.search(line))


def _is_share_line(line: str) -> bool:
    tokens = [t for t in re.split(r"[\s|•·,/]+", line.casefold().strip(" :-")) if t]
    if not tokens or len(tokens) > 12:
        return False
    strong = False
    for token in tokens:
        token = token.strip("()[]:!.")
        if token.startswith("icon-") or token in _SHARE_STRONG:
            strong = True
        elif token not in _SHARE_WEAK:
            return False
    return strong


def _is_photo_credit(line: str) -> bool:
    if len(_words(line)) > 15 or line.endswith("."):
        return False
    return bool(_CREDIT_HEAD_RE.match(line) or _CREDIT_TAIL_RE.search(line))


def _stamp_name(line: str) -> str | None:
    """Site stamp such as 'Source: Example Times'; returns the name ('' if not a real name)."""
    match = _STAMP_RE.match(line)
    if match is None or _ends_sentence(line) or len(_words(line)) > 5:
        return None
    name = match.group("name").strip()
    return "" if _SITE_ID_RE.match(name) else name


def _is_byline(line: str) -> bool:
    match = _BYLINE_RE.match(line)
    if match is None or len(_words(line)) > 12:
        return False
    name = re.split(r"\s*(?:[,;|•·(]| - | on | in )\s*", match.group("rest"), maxsplit=1)[0]
    names = name.split()
    if not 1 <= len(names) <= 5:
        return False
    for word in names:
        bare = word.strip(".'\"")
        if not bare:
            continue
        if bare.casefold() in _BYLINE_WORDS or bare[0].isupper():
            continue
        return False
    rest = match.group("rest")[len(name) :]
    return not _ends_sentence(rest) or _date_of(line) is not None


def _is_label(line: str) -> bool:
    """Subheadings, section names and captions: short, no sentence punctuation."""
    if _ends_sentence(line) or line.endswith((",", "-")):
        return False
    words = _words(line)
    if len(words) <= 6:
        return True
    if ": " in line and len(words) <= 10:
        return True
    long_words = [w for w in words if len(w.strip("\"'(),")) > 3]
    capitalised = [w for w in long_words if w.strip("\"'(")[:1].isupper()]
    return len(words) <= 14 and bool(long_words) and len(capitalised) >= 0.8 * len(long_words)


def _furniture_reason(line: str) -> str | None:
    """Why a line is page furniture, or None for a line that may be article text."""
    if _SYMBOLS_ONLY_RE.match(line):
        return "symbols"
    if URL_LINE.match(line):
        return "url"
    if _is_share_line(line):
        return "share"
    if len(_words(line)) <= _MAX_FURNITURE_WORDS:
        if any(pattern.search(line) for pattern in _FURNITURE_RES):
            return "furniture"
        if not _ends_sentence(line) and any(p.search(line) for p in _TEASER_RES):
            return "teaser"
    if _is_photo_credit(line):
        return "credit"
    if _stamp_name(line) is not None:
        return "stamp"
    if _is_byline(line):
        return "byline"
    return None


# --- dates and sources -------------------------------------------------------------------------


def _date_of(line: str) -> date | None:
    if len(_words(line)) > 24:
        return None
    return parse_date_line(line)


_DATELINE_RE = re.compile(r"^(?P<head>[A-Z][^.!?\"]{1,60}?)\s*(?:-{1,2}|:)\s+\S")


def _dateline_date(sentence: str) -> date | None:
    """Date carried by a wire dateline ('WASHINGTON, April 28, 2009 - ...'), if any."""
    match = _DATELINE_RE.match(sentence)
    if match is None:
        return None
    head = match.group("head")
    if not re.search(r"\d", head) or not head.split()[0].isupper():
        return None
    return parse_date_line(head)


_SECOND_LEVEL = frozenset(
    "co com org net gov ac edu ne or go gv nic ltd plc mil sch nhs police gob gouv".split()
)
_HOST_PREFIXES = ("www.", "www2.", "www3.", "m.", "mobile.", "amp.")


def _registrable_domain(url: str) -> str | None:
    """'https://www.bbc.co.uk/news/x' -> 'bbc.co.uk' without a public-suffix list.

    Covers the common ccTLD second levels (co.uk, com.au, ...); rarer suffixes degrade to the
    last two labels, which is still a stable grouping key for a source.
    """
    try:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix):
            host = host[len(prefix) :]
    labels = host.split(".")
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        return host or None
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


# --- the article ---------------------------------------------------------------------------

_HEADER_LINES = 6
_MAX_TITLE_WORDS = 40
_MAX_DOTTED_TITLE_WORDS = 20
_MAX_LABEL_WORDS_BEFORE_TITLE = 2
_MAX_REPEAT_WORDS = 8
_MIN_REPEATS = 3


def _is_title_like(line: str, has_header: bool) -> bool:
    words = _words(line)
    if not words or len(words) > _MAX_TITLE_WORDS:
        return False
    if not _ends_sentence(line) or line.endswith("?"):
        return True
    # A metadata header (URL / date line) says a headline follows even if it ends in a period.
    return has_header and len(words) <= _MAX_DOTTED_TITLE_WORDS


def clean_article(
    raw_text: str,
    repeated_lines: frozenset[str] = frozenset(),
    published_at: date | None = None,
    url: str | None = None,
    title: str | None = None,
) -> CleanedArticle:
    """Clean one article; explicit metadata arguments win over what the text header says."""
    lines = normalize_text(raw_text).split("\n") if raw_text.strip() else []
    repeated = {_line_key(line) for line in repeated_lines}
    keep = [True] * len(lines)

    def drop(index: int) -> None:
        keep[index] = False

    keys = [_normalized_line_key(line) for line in lines]
    repeats = Counter(k for k in keys if len(k.split()) <= _MAX_REPEAT_WORDS)
    found_url = url
    source: str | None = None
    line_date: date | None = None
    stamp_source: str | None = None

    # Corpus/article-level repetition and per-line furniture rules.
    for i, line in enumerate(lines):
        if keys[i] in repeated or repeats[keys[i]] >= _MIN_REPEATS:
            # A date line every item of a one-day wire batch shares is furniture of the batch
            # but still says when this item was published: read it before dropping it.
            if line_date is None and i < _HEADER_LINES:
                line_date = _date_of(line)
            drop(i)
            continue
        reason = _furniture_reason(line)
        if reason is None:
            continue
        if reason == "url" and found_url is None and i < _HEADER_LINES:
            found_url = line
        if reason == "stamp" and stamp_source is None:
            stamp_source = _stamp_name(line) or None
        if reason == "byline" and line_date is None and i < _HEADER_LINES:
            line_date = _date_of(line)
        drop(i)

    # Header: date lines anywhere in the first few lines (they may follow a headline and a
    # deck), then breadcrumbs, section labels and the headline itself.
    has_header = any(URL_LINE.match(line) for line in lines[:_HEADER_LINES])
    for i in [i for i in range(len(lines)) if keep[i]][:_HEADER_LINES]:
        parsed = _date_of(lines[i])
        if parsed is not None or (_META_PREFIX_RE.match(lines[i]) and len(_words(lines[i])) <= 8):
            line_date = line_date or parsed
            has_header = True
            drop(i)

    head_title: str | None = None
    title_index: int | None = None
    live = [i for i in range(len(lines)) if keep[i]]
    position = 0
    while head_title is None and position < min(len(live), _HEADER_LINES):
        i = live[position]
        line = lines[i]
        nxt = lines[live[position + 1]] if position + 1 < len(live) else None
        position += 1
        nxt_key = _normalized_line_key(nxt) if nxt is not None else None
        if nxt_key is not None and keys[i] != nxt_key and keys[i].endswith(nxt_key):
            if len(_words(line)) - len(_words(nxt)) <= 5:
                drop(i)  # breadcrumb trail ending in the headline
                continue
        if (
            nxt is not None
            and len(_words(line)) <= _MAX_LABEL_WORDS_BEFORE_TITLE
            and not _ends_sentence(line)
            and _is_title_like(nxt, has_header=False)
            and len(_words(nxt)) > len(_words(line))
        ):
            drop(i)  # section label above the headline
            continue
        if _is_title_like(line, has_header):
            head_title, title_index = line, i
        break

    # Deck lines between the headline and the first body sentence are content (they often
    # state the event), so the subheading rule below must not touch them.
    deck: set[int] = set()
    if title_index is not None:
        for i in live[position : position + _HEADER_LINES]:
            if keys[i] == keys[title_index]:
                drop(i)  # headline printed twice
                continue
            if _ends_sentence(lines[i]) and len(_words(lines[i])) > 6:
                break
            deck.add(i)

    # Body: subheadings and labels, never sentences.
    for i in range(len(lines)):
        if keep[i] and i != title_index and i not in deck and _is_label(lines[i]):
            drop(i)

    final_title = " ".join(normalize_text(title).split()) if title else head_title
    if title:
        given = _line_key(title)
        if title_index is not None and keys[title_index] != given:
            title_index = None  # the given title wins, but the text's own first line stays
        first = next((i for i in range(len(lines)) if keep[i]), None)
        if title_index is None and first is not None and keys[first] == given:
            title_index = first  # the text repeats the given title: do not print it twice
    body = [lines[i] for i in range(len(lines)) if keep[i] and i != title_index]
    out_lines = ([final_title] if final_title else []) + body

    date_origin: str | None = None
    published = published_at
    if published is not None:
        date_origin = "metadata"
    elif line_date is not None:
        published, date_origin = line_date, "date_line"
    elif body:
        dated = _dateline_date(body[0])
        if dated is not None:
            published, date_origin = dated, "dateline"

    if found_url is not None:
        source = _registrable_domain(found_url)
    if source is None:
        source = stamp_source

    return CleanedArticle(
        text="\n".join(out_lines),
        title=final_title,
        url=found_url,
        source=source,
        published_date=published,
        published_date_origin=date_origin,
        removed_lines=tuple(line for line, kept in zip(lines, keep, strict=True) if not kept),
    )
