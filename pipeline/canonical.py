"""Corpus-level entity canonicalization: many surface forms, one entity.

The rules are about how news text names people and places, never about particular names:
full names absorb surname-only and honorific forms, spelling variants of the same full name
merge, a name garbled by machine translation merges with the majority form that holds the same
role, acronyms join their expansion, and every entity's label is a vote over all its mentions.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import pandas as pd

from pipeline.dates import as_date
from pipeline.gc_pause import without_cycle_collection
from pipeline.ner import (
    LEGAL_SUFFIXES,
    SOURCE_COLUMNS,
    WordCase,
    has_figure,
    inflections,
    refine_spans,
    word_case,
)

HONORIFICS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "dame",
        "lord",
        "lady",
        "sen",
        "rep",
        "gov",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "rev",
        "fr",
        "hon",
        "mme",
        "mlle",
        "messrs",
    }
)
ROLE_WORDS = frozenset(
    {
        "minister",
        "secretary",
        "president",
        "premier",
        "chancellor",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "ambassador",
        "governor",
        "senator",
        "mayor",
        "chief",
        "director",
        "chairman",
        "chairwoman",
        "commissioner",
        "general",
        "prime",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "coach",
        "manager",
        "ceo",
        "judge",
        "attorney",
        "envoy",
        "adviser",
        "advisor",
        "leader",
        "representative",
        "congressman",
        "congresswoman",
    }
)
GENERATIONAL_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
NAME_PARTICLES = frozenset({"of", "the", "and", "for", "de", "la", "del", "van", "von", "da"})
GROUP_LABELS = frozenset({"GPE", "ORG", "LOC", "NORP", "FAC"})
_NON_WORD = re.compile(r"[^\w\s-]")
_SPACES = re.compile(r"\s+")
# A nickname in quotes or brackets between given names and surname: Vincent "The Chin"
# Gigante, Kimani (Kiki) Gray.
_NICKNAME = re.compile(r"(?<=\w)\s+[\"“'‘(]([^\"“”'‘’()]{1,30})[\"”'’)]\s+(?=\w)")
_TITLE_WORDS = re.compile(r"((?:[A-Z][\w.-]*\s+){1,4})$")
_POSSESSIVE_S = re.compile(r"['’]s\b")
_LEADING_DROPS = HONORIFICS | {"the"}  # words a key never starts with ("the Fed", "Mr Qin")


# Descriptors that precede a name inside a span ("Head Coach Tony Smith", "Deputy Ortiz").
DESCRIPTOR_WORDS = (
    ROLE_WORDS
    | HONORIFICS
    | frozenset(
        "head deputy vice assistant acting former interim associate executive senior coach "
        "constable officer sheriff detective sergeant inspector captain lieutenant qb".split()
    )
)


# Abbreviated words of place names, a closed class like the legal forms: "Mt Cook" is
# "Mount Cook". Not "St", which is both "Saint" and "Street".
ABBREVIATED_FEATURES = {"mt": "mount", "mtn": "mountain", "ft": "fort"}


@lru_cache(maxsize=1 << 16)
def normalize_name(surface: str) -> str:
    """Comparison key of a surface form: no accents, dots, possessives, honorifics, or case;
    abbreviated feature words spelt out ("Mt" → "mount").

    A generational suffix goes too: reports drop the "III" of "Anthony LaCalamita III" at will.
    Runs of single letters join, so "U. S.", "U.S." and "US" are one key ("u s" → "us").
    Cached: a corpus names the same few thousand entities over and over.
    """
    text = unicodedata.normalize("NFKD", surface)
    if not text.isascii():  # an ASCII name has no accents to drop (most names)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NICKNAME.sub(" ", text)  # Vincent "The Chin" Gigante
    text = _POSSESSIVE_S.sub("", text).replace(".", " ")
    text = _NON_WORD.sub(" ", text).replace("-", " ")
    raw = _SPACES.sub(" ", text).strip().casefold().split(" ")
    tokens: list[str] = []
    letters = False  # the last token is a run of single letters
    for tok in raw:
        single = len(tok) == 1 and tok.isalpha()
        if single and letters:
            tokens[-1] += tok
        else:
            tokens.append(tok)
            letters = single
    tokens = [ABBREVIATED_FEATURES.get(t, t) for t in tokens]
    while len(tokens) > 1 and tokens[0] in _LEADING_DROPS:
        tokens = tokens[1:]
    if len(tokens) > 2 and tokens[-1] in GENERATIONAL_SUFFIXES:
        tokens = tokens[:-1]
    return " ".join(t for t in tokens if t)


@lru_cache(maxsize=1 << 16)
def org_key(key: str) -> str:
    """An organisation's key without its legal form: "apple inc" → "apple".

    Cached like ``normalize_name``: it runs per mention and per name form.
    """
    tokens = key.split()
    while len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES:
        tokens = tokens[:-1]
    return " ".join(tokens)


@lru_cache(maxsize=1 << 16)
def generation(surface: str) -> str:
    """The generational marker of a name ("jr", "iii"), or "" when it has none."""
    tokens = re.sub(r"[^\w\s]", " ", surface.replace(".", "")).casefold().split()
    return tokens[-1] if len(tokens) > 2 and tokens[-1] in GENERATIONAL_SUFFIXES else ""


def entity_id_for(article_id: str, source_start: int, source_end: int) -> str:
    """The id of an entity: a hash of its earliest mention, as the tagger found it.

    Anchored like an event on its earliest report (``dedup.stable_event_id``): news names a
    person or company after it exists, so the earliest mention stays the earliest as later
    articles join and the id survives every incremental run, while a full rebuild computes the
    same id from the same content. A hash of the name would move whenever a fuller name wins the
    vote ("Blinken" meets "Antony Blinken") or the label vote flips. The offsets are the
    tagger's (``ner.SOURCE_COLUMNS``): the refined span can change as the corpus grows, the
    tagger's span of a text cannot. A mention belongs to one entity, so ids never collide.
    """
    return (
        "ent_" + hashlib.sha1(f"{article_id}|{source_start}|{source_end}".encode()).hexdigest()[:12]
    )


def _report_order(dates: dict[str, object] | None):
    """Article → sort key of the earliest report: dated articles by date, undated ones after
    them, ties by the content hash ``article_id`` (as ``dedup.stable_event_id``)."""
    cache: dict[str, tuple] = {}

    def order(article_id: str) -> tuple:
        key = cache.get(article_id)
        if key is None:
            day = as_date((dates or {}).get(article_id))
            key = (day is None, day.toordinal() if day is not None else 0, article_id)
            cache[article_id] = key
        return key

    return order


# A longer given name that ends like a feminine form of the shorter one is another person:
# "Chris" may be "Christopher" but not "Christine"/"Christina", "Dan" not "Danielle".
_FEMININE_ENDINGS = ("a", "ine", "ina", "ette", "elle", "ie", "een", "anne")


def names_are_variants(a: str, b: str) -> bool:
    """True for spellings of one given name: Anthony/Antony, Matt/Matthew, Jon/John.

    Transliterations can differ in the first letter too (Kurbanguly/Gurbanguli), but only long
    names are similar enough for that to be safe: Jon/Ron are two people. Initials are names
    too: "W" is not "H W", and a bare initial only matches a name starting with it.
    """
    if a == b:
        return True
    if len(a) <= 2 or len(b) <= 2:  # initials ("w", "hw") only match the same initials
        return False
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 3 and long_.startswith(short):
        return not long_.endswith(_FEMININE_ENDINGS) or short.endswith(_FEMININE_ENDINGS)
    return (a[0] == b[0] or min(len(a), len(b)) >= 6) and _similar(a, b)


def _similar(a: str, b: str) -> bool:
    """80 % alike by ``SequenceMatcher.ratio``; its cheap upper bounds rule most pairs out first."""
    matcher = SequenceMatcher(None, a, b)
    return (
        matcher.real_quick_ratio() >= 0.8
        and matcher.quick_ratio() >= 0.8
        and matcher.ratio() >= 0.8
    )


def _name_tokens(key: str) -> list[str]:
    """A person key's tokens without a trailing generational marker (kept only to tell a
    "Jr" from a "Sr", see ``canonicalize``)."""
    tokens = key.split()
    return tokens[:-1] if len(tokens) > 2 and tokens[-1] in GENERATIONAL_SUFFIXES else tokens


def _given_parts_compatible(ta: list[str], tb: list[str]) -> bool:
    """Same person by the given names and initials before a shared surname.

    The first given names must be variants; middle names or initials, when both have them,
    must agree ("George H W Bush" ≠ "George W Bush"); one side may omit them.
    """
    if not names_are_variants(ta[0], tb[0]):
        return False
    ma, mb = ta[1:-1], tb[1:-1]
    if ma and mb:
        return "".join(w[0] for w in ma) == "".join(w[0] for w in mb) and len(ma) == len(mb)
    return True


@dataclass(slots=True)
class _Mention:
    index: int
    article_id: str
    key: str
    display: str
    ner_label: str
    has_honorific: bool
    all_caps: bool = False
    descriptor: bool = False  # the span carries a title before the name ("Colts QB Andrew Luck")


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def role_before(text: str, start: int) -> str | None:
    """The capitalised title right before a name ("Foreign Minister"), lower-cased, if any."""
    window = text[max(0, start - 60) : start]
    # A title ends in a role word right before the name: most names have none, and checking
    # the last word first spares them the regular expression's search (19k wire articles: 0.6 s
    # of canonicalization), with the same answers (tests/test_canonical.py).
    if not window[-1:].isspace():
        return None
    last_word = window.rsplit(None, 1)  # [] when the window is all blank
    if not last_word or last_word[-1].strip(".").casefold() not in ROLE_WORDS:
        return None
    match = _TITLE_WORDS.search(window)
    if not match:
        return None
    words = [w.strip(".").casefold() for w in match.group(1).split()]
    while words and words[0] not in ROLE_WORDS and len(words) > 1 and words[-1] in ROLE_WORDS:
        if len(words) <= 2:
            break
        words = words[1:]
    if not words or words[-1] not in ROLE_WORDS:
        return None
    return " ".join(words[-2:]) if len(words) >= 2 else None


@without_cycle_collection
def canonicalize(
    mentions: pd.DataFrame, texts: dict[str, str], dates: dict[str, object] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`_canonicalize`, then its per-surface caches emptied.

    The caches (up to 65,536 surfaces each) speed up one pass over a corpus, where a name
    recurs in many articles; kept afterwards they are dead weight in the run's process, about
    80 MB at 19,000 wire articles, and the event step that follows is where its memory peaks.
    """
    try:
        return _canonicalize(mentions, texts, dates)
    finally:
        for cached in (normalize_name, org_key, generation, _all_caps, _display, inflections):
            cached.cache_clear()


def _canonicalize(
    mentions: pd.DataFrame, texts: dict[str, str], dates: dict[str, object] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign every mention an ``entity_id`` and a voted ``label``; build the entities table.

    ``mentions`` has article_id, start_char, end_char, text, ner_label; ``texts`` maps article_id
    to the cleaned text the offsets point into (used to read the title before a name). Headline
    and table junk is cut off the spans first (``refine_spans``), so the output can hold fewer
    or shorter spans than the input.
    """
    case = word_case(mentions, texts) if not mentions.empty else None
    out = refine_spans(mentions, texts, case).reset_index(drop=True)
    if out.empty:
        out = out.drop(columns=SOURCE_COLUMNS)
        out["entity_id"] = pd.Series(dtype="object")
        out["label"] = pd.Series(dtype="object")
        return out, pd.DataFrame(columns=_ENTITY_COLUMNS)
    items: list[_Mention] = []
    # Surface → key, display form, capitals: a name recurs, one look-up instead of three.
    forms: dict[str, tuple[str, str, bool]] = {}
    columns = (out[c].tolist() for c in ("article_id", "start_char", "text", "ner_label"))
    for i, (article_id, start, surface, ner_label) in enumerate(zip(*columns, strict=True)):
        form = forms.get(surface)
        if form is None:
            key = normalize_name(surface) or surface.casefold()
            form = forms[surface] = (key, _display(surface), _all_caps(surface))
        key, display, all_caps = form
        text = texts.get(article_id, "")
        prefix = text[max(0, start - 6) : start].casefold()
        # Few names follow an honorific: a substring test spares the rest the regex.
        honorific = ("mr" in prefix or "ms" in prefix or "dr" in prefix) and bool(
            _HONORIFIC_BEFORE.search(prefix)
        )
        items.append(_Mention(i, article_id, key, display, ner_label, honorific, all_caps))
    # One key, two generational markers ("Ken Griffey Jr." / "Ken Griffey Sr."): father and
    # son, so the marker stays in their keys; a single marker is dropped ("LaCalamita III").
    markers: dict[str, set[str]] = defaultdict(set)
    marked: list[_Mention] = []  # the few mentions with a marker
    for m in items:
        g = generation(m.display)
        if g:
            markers[m.key].add(g)
            marked.append(m)
    for m in marked:
        if len(markers[m.key]) >= 2:
            m.key = f"{m.key} {generation(m.display)}"
    votes: dict[str, Counter] = defaultdict(Counter)
    for m in items:
        votes[m.key][m.ner_label] += 1

    def person_share(key: str) -> float:
        total = sum(votes[key].values())
        return votes[key]["PERSON"] / total if total else 0.0

    person_full = sorted(k for k in votes if " " in k and person_share(k) >= 0.5)
    # A title inside the span is not part of the name: "Colts QB Andrew Luck" is Andrew Luck
    # when the corpus names him so, and "Head Coach Tony Smith" is Tony Smith.
    core = _person_cores(person_full)
    # The same with a word before the name that the tagger took for part of another label
    # ("Interior Ken Salazar" as ORG, "American Hasim Rahman" as NORP).
    known = set(person_full)
    for k in votes:
        tokens = k.split()
        if k in known or len(tokens) < 3 or set(tokens[:2]) & NAME_PARTICLES:
            continue
        for cut in (1, 2):
            tail = " ".join(tokens[cut:])
            if len(tokens) - cut >= 2 and tail in known:
                core[k] = tail
                break
    for m in items:
        c = core.get(m.key)
        if c is not None and c != m.key:
            m.key, m.descriptor = c, True
            votes[c][m.ner_label] += 1
    person_full = sorted({core.get(k, k) for k in person_full} - {""})
    person_full = [k for k in person_full if " " in k]
    uf = _UnionFind()
    for k in person_full:
        uf.find(k)
    _merge_spelling_variants(person_full, items, uf)
    _merge_misspelt_full_names(person_full, items, uf, votes)
    starts = out["start_char"].tolist()

    def role_of(m: _Mention) -> str | None:
        return role_before(texts.get(m.article_id, ""), starts[m.index])

    _merge_same_role(items, person_full, uf, role_of)
    _merge_nicknames(items, uf)

    cluster_of: dict[int, str] = {}
    for m in items:
        if m.key in uf.parent:
            cluster_of[m.index] = uf.find(m.key)

    def place(key: str) -> bool:
        # Places are where surnames have homonyms (Jordan, Georgia, a city the tagger calls a
        # person in "Stockton police said"): a word tagged as a place in a quarter of its uses
        # is a place name too, and never joins a person of another article.
        v = votes[key]
        return v["GPE"] + v["LOC"] + v["FAC"] >= sum(v.values()) / 4

    # A news period is a calendar quarter: "Reagan" of 1987 is judged by the full names of
    # 1987, not of another decade. Undated articles are judged by the whole corpus.
    quarters: dict[str, tuple[int, int] | None] = {}
    for article_id in {m.article_id for m in items}:
        day = (dates or {}).get(article_id)
        if day is None or pd.isna(day):
            quarters[article_id] = None
        else:
            day = pd.Timestamp(day)
            quarters[article_id] = (day.year, (day.month - 1) // 3)
    period = quarters.get

    _resolve_short_person_forms(items, person_full, uf, cluster_of, person_share, place, period)

    # Everything else groups by its key without a legal form ("Apple Inc" / "Apple");
    # acronyms join their expansion ("US" / "United States", "USGS" / "U.S. Geological Survey").
    rest = [m for m in items if m.index not in cluster_of]
    org_votes: dict[str, Counter] = defaultdict(Counter)
    for m in rest:
        m.key = org_key(m.key)
        org_votes[m.key][m.ner_label] += 1
    articles_of: dict[str, set[str]] = defaultdict(set)
    for m in rest:
        articles_of[m.key].add(m.article_id)
    names_in: dict[str, set[str]] = defaultdict(set)  # article → the names it holds
    for m in items:
        names_in[m.article_id].add(cluster_of.get(m.index, m.key))
    story = _StoryNames(names_in, articles_of)
    # Names that keep a capitalised "The" inside a sentence ("said The Hollywood Reporter"):
    # the article is part of the name and of its acronym ("THR").
    with_the = {m.key for m in rest if _the_before(texts.get(m.article_id, ""), starts[m.index])}
    targets = _acronym_targets(sorted(org_votes), org_votes, articles_of, story, with_the)
    targets.update(_place_prefixed_targets(rest, org_votes, case))
    for k, t in _spelling_variant_targets(org_votes).items():
        targets.setdefault(k, t)
    for k, t in _feature_word_targets(org_votes).items():
        targets.setdefault(k, t)
    for m in rest:
        t = m.key
        for _ in range(3):  # an acronym of a place-prefixed name: follow at most a short chain
            t = targets.get(t, t)
        cluster_of[m.index] = t

    members: dict[str, list[_Mention]] = defaultdict(list)
    for m in items:
        members[cluster_of[m.index]].append(m)
    # Clusters whose best names normalise alike under one label are one entity ("Apple Inc"
    # reached by two routes).
    groups: dict[tuple[str, str], list[_Mention]] = defaultdict(list)
    # A group's name while it holds one cluster (most do): no second vote over the same forms.
    names: dict[tuple[str, str], str | None] = {}
    for cluster, ms in members.items():
        name = _canonical_name(ms)
        voters = ms
        if cluster in uf.parent:
            # A person's full names vote, not the bare surnames that joined them: the tagger
            # calls a bare "Thompson" of boxing reports an ORG more often than a person, and
            # the cluster exists because its full names are tagged PERSON.
            voters = [m for m in ms if " " in m.key] or ms
        label = _vote_label(voters, person_allowed=not has_figure(name) and not _legal(name))
        id_key = normalize_name(name) or cluster
        marker = generation(name)
        if marker and cluster.endswith(f" {marker}"):  # "Jr" and "Sr" kept apart above
            id_key = f"{id_key} {marker}"
        group = (label, id_key)
        names[group] = None if group in names else name
        groups[group].extend(ms)
    sources = list(zip(out["source_start"].tolist(), out["source_end"].tolist(), strict=True))
    order = _report_order(dates)
    entity_rows = []
    ids = [""] * len(items)
    labels = [""] * len(items)
    for group, ms in groups.items():
        label, name = group[0], names[group]
        # The earliest report first, then its earliest span: an article's mentions share its
        # place in the order, so it is looked up once per article, not once per mention.
        articles = {m.article_id for m in ms}
        first = min(articles, key=order)
        eid = entity_id_for(first, *min(sources[m.index] for m in ms if m.article_id == first))
        for m in ms:
            ids[m.index] = eid
            labels[m.index] = label
        entity_rows.append(
            {
                "entity_id": eid,
                "name": name if name is not None else _canonical_name(ms),
                "label": label,
                "aliases": sorted({m.display for m in ms}),
                "n_mentions": len(ms),
                "n_articles": len(articles),
            }
        )
    out = out.drop(columns=SOURCE_COLUMNS)
    out["entity_id"] = ids
    out["label"] = labels
    # Counted per group, not by grouping the mentions again: an entity is one group.
    entities = pd.DataFrame(entity_rows, columns=_ENTITY_COLUMNS)
    return out, entities.sort_values("entity_id").reset_index(drop=True)


_ENTITY_COLUMNS = ["entity_id", "name", "label", "aliases", "n_mentions", "n_articles"]
_HONORIFIC_BEFORE = re.compile(r"\b(mr|mrs|ms|dr)\.?\s*$")
# A capitalised "The" right before a name, after a word and a space (not a sentence start).
_NAME_THE = re.compile(r"[\w,]\s[\"“'‘]*The\s+$")
_POSSESSIVE_END = re.compile(r"['’]s$")
_THE = re.compile(r"^(?:the|The)\s+")
_HONORIFIC_START = re.compile(r"^(?:Mr|Mrs|Ms|Dr)\.?\s+")


def _the_before(text: str, start: int) -> bool:
    """A capitalised "The" right before a name (``_NAME_THE``). Most names have none: a
    substring test spares them the regular expression."""
    before = text[max(0, start - 6) : start]
    return "The" in before and _NAME_THE.search(before) is not None


@lru_cache(maxsize=1 << 16)
def _all_caps(surface: str) -> bool:
    letters = list(filter(str.isalpha, surface))
    return len(letters) >= 2 and all(map(str.isupper, letters))


@lru_cache(maxsize=1 << 16)
def _display(surface: str) -> str:
    text = _POSSESSIVE_END.sub("", surface.strip())
    return _HONORIFIC_START.sub("", _THE.sub("", text))


def _person_cores(person_full: list[str]) -> dict[str, str]:
    """Key → the name inside it, for keys that carry titles or descriptors before a name.

    The name is the longest tail that the corpus also uses as a full name on its own; failing
    that, the tail after leading title words ("head coach tony smith" → "tony smith").
    """
    known = set(person_full)
    cores = {}
    for k in person_full:
        tokens = k.split()
        for cut in range(1, len(tokens) - 1):
            tail = " ".join(tokens[cut:])
            if tail in known:
                cores[k] = tail
                break
        else:
            cut = 0  # "deputy ortiz" → "ortiz", a surname to resolve like any other
            while len(tokens) - cut > 1 and tokens[cut] in DESCRIPTOR_WORDS:
                cut += 1
            if cut:
                cores[k] = " ".join(tokens[cut:])
    return cores


def _merge_spelling_variants(person_full: list[str], items: list[_Mention], uf: _UnionFind) -> None:
    """Union the keys that spell one full name differently.

    Given-name variants with the same surname; the same letters spaced differently ("Del
    Giudice"/"DelGiudice"). Different given names, initials or generational markers are
    different people; a form without middle initials or marker joins the fuller form only when
    that is the only one ("George Bush" stays apart when both "George H W Bush" and "George W
    Bush" occur).
    """
    by_compact: dict[str, list[str]] = defaultdict(list)
    for k in person_full:
        by_compact[k.replace(" ", "")].append(k)
    for keys in by_compact.values():
        for other in keys[1:]:
            uf.union(keys[0], other)

    def gen(key: str) -> str:
        tokens = key.split()
        return tokens[-1] if len(_name_tokens(key)) < len(tokens) else ""

    by_last: dict[str, list[str]] = defaultdict(list)
    for k in person_full:
        by_last[_name_tokens(k)[-1]].append(k)
    for keys in by_last.values():
        if len(keys) < 2:
            continue
        for i, a in enumerate(keys):
            partners = []
            for b in keys[i + 1 :]:
                ta, tb = _name_tokens(a), _name_tokens(b)
                if abs(len(ta) - len(tb)) > 1 or not _given_parts_compatible(ta, tb):
                    continue
                if gen(a) != gen(b) and (gen(a) and gen(b) or len(ta) != len(tb)):
                    continue  # "Jr" and "Sr": father and son
                partners.append(b)
            fuller = [b for b in partners if len(b.split()) != len(a.split())]
            same = [b for b in partners if len(b.split()) == len(a.split())]
            for b in same:
                uf.union(a, b)
            if len(fuller) == 1 or len({uf.find(b) for b in fuller}) == 1:
                for b in fuller:
                    uf.union(a, b)


def _one_edit(a: str, b: str) -> bool:
    """One letter added, dropped, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _merge_misspelt_full_names(
    person_full: list[str], items: list[_Mention], uf: _UnionFind, votes: dict[str, Counter]
) -> None:
    """Two full names with the same given names and surnames one letter apart are one person
    misspelt when one article writes both surnames: "Duncan Rait" and "Raite" in one report
    make "Duncan Raite" of other reports the same man.

    A reporter does not name two people whose names differ by a letter in one report; across
    articles the same two names could be relatives ("John Smith" / "John Smyth"), so only
    surnames that meet in an article join. Surnames of four letters or more with the same
    first letter ("Bush" / "Rush" stay apart however often they meet), of names the tagger
    never calls a place or a people ("Papua New Guinea" / "Papua New Guinean").
    """
    full = {k for k in person_full if not votes[k]["GPE"] + votes[k]["LOC"] + votes[k]["NORP"]}
    by_surname: dict[str, set[str]] = defaultdict(set)
    for k in full:
        by_surname[_name_tokens(k)[-1]].add(k)
    names_in: dict[str, set[str]] = defaultdict(set)  # article → full names
    surnames_in: dict[str, set[str]] = defaultdict(set)  # article → surnames, full or bare
    for m in items:
        if m.key in full:
            names_in[m.article_id].add(m.key)
            surnames_in[m.article_id].add(_name_tokens(m.key)[-1])
        elif " " not in m.key:
            surnames_in[m.article_id].add(m.key)
    for article, names in names_in.items():
        for a in names:
            ta = _name_tokens(a)
            for other in surnames_in[article]:
                if other == ta[-1] or other not in by_surname:
                    continue
                if min(len(other), len(ta[-1])) < 4 or other[0] != ta[-1][0]:
                    continue
                if not _one_edit(ta[-1], other):
                    continue
                for b in by_surname[other]:
                    tb = _name_tokens(b)
                    if ta[:-1] == tb[:-1] or (
                        len(ta) != len(tb) and _given_parts_compatible(ta, tb)
                    ):
                        uf.union(a, b)


def _merge_nicknames(items: list[_Mention], uf: _UnionFind) -> None:
    """A one-word nickname is a given name the person goes by: Luis Gerardo "Jerry" Ortiz is
    the Jerry Ortiz of other reports (a nickname of several words, "The Chin", is not)."""
    for m in items:
        if m.key not in uf.parent:
            continue
        nick = _NICKNAME.search(m.display)
        if nick is None or " " in nick.group(1).strip():
            continue
        alias = normalize_name(f"{nick.group(1)} {m.key.split()[-1]}")
        if alias != m.key and alias in uf.parent:
            uf.union(m.key, alias)


def _merge_same_role(
    items: list[_Mention],
    person_full: list[str],
    uf: _UnionFind,
    role_of: Callable[[_Mention], str | None],
) -> None:
    """Names that hold the same role and share a surname are one person spelled two ways.

    Machine translation garbles given names ("Foreign Minister Chen Gang" beside the majority
    "Foreign Minister Qin Gang"); the role title plus the shared family token is strong evidence
    when one form is the clear majority (at least twice the mentions: a garble is the exception;
    two people who hold one title, such as two prime ministers, are each named about as often).
    ``role_of`` reads the title before a mention (``role_before``), only for the two-word names
    this rule is about: most mentions are not.
    """
    full = set(person_full)
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    n_mentions: Counter = Counter()
    for m in items:
        if m.key in full:
            n_mentions[m.key] += 1
            tokens = m.key.split()
            if len(tokens) == 2 and len(tokens[0]) <= 5 and (role := role_of(m)):
                roles[(role, tokens[-1])].add(m.key)
    for keys in roles.values():
        if len(keys) < 2:
            continue
        major = max(sorted(keys), key=lambda k: n_mentions[k])
        for other in sorted(keys - {major}):
            if n_mentions[major] >= 2 * n_mentions[other]:
                uf.union(major, other)


def _resolve_short_person_forms(
    items: list[_Mention],
    person_full: list[str],
    uf: _UnionFind,
    cluster_of: dict[int, str],
    person_share,
    place,
    period,
) -> None:
    """Single-token person references ("Blinken", "Mr. Qin") join the full name they abbreviate.

    In order of evidence: a full name with that token in the same article; else the full name
    with that surname whose articles share the most other names with this one (the same story);
    else, corpus-wide, a full name that is the clear majority bearer of the surname. Otherwise
    the surname stays an entity of its own: a guess would glue a President onto his wife.
    """
    local_index: dict[str, set[str]] = defaultdict(set)  # any name token → clusters
    by_surname: dict[str, set[str]] = defaultdict(set)
    by_given: dict[str, set[str]] = defaultdict(set)
    for k in person_full:
        tokens = [t for t in _name_tokens(k) if t not in NAME_PARTICLES]
        for tok in tokens:
            local_index[tok].add(uf.find(k))
        if tokens:
            by_surname[tokens[-1]].add(uf.find(k))
            by_given[tokens[0]].add(uf.find(k))
    misspelt = _misspelt_surnames(items, by_surname)
    cluster_articles: dict[str, set[str]] = defaultdict(set)
    cluster_size: Counter = Counter()
    mentions_in: dict[str, Counter] = defaultdict(Counter)  # cluster → article → mentions
    keys_of_article: dict[str, set[str]] = defaultdict(set)
    for m in items:
        c = cluster_of.get(m.index)
        keys_of_article[m.article_id].add(m.key if c is None else c)
        if c is not None:
            cluster_articles[c].add(m.article_id)
            cluster_size[c] += 1
            mentions_in[c][m.article_id] += 1
    # Names around each full name, over its articles: the story it belongs to.
    # Only names of few articles tell a story: at most the square root of the number of
    # articles (27 of 772, 138 of 19,000; at least 5, in a small archive every name is rare).
    # A country or "the White House" is everywhere, and two White House stories are not one.
    df: Counter = Counter(k for keys in keys_of_article.values() for k in keys)
    rare = max(5.0, len(keys_of_article) ** 0.5)
    rare_keys_of = {a: [k for k in keys if df[k] <= rare] for a, keys in keys_of_article.items()}
    context: dict[str, Counter] = defaultdict(Counter)
    for c, arts in cluster_articles.items():
        for a in arts:
            context[c].update(k for k in rare_keys_of[a] if k != c)
    pending: dict[str, list[_Mention]] = defaultdict(list)
    for m in items:
        if m.index in cluster_of or " " in m.key:
            continue
        candidates = local_index.get(m.key)
        if candidates and m.ner_label in PLACE_LABELS:
            # A word tagged as a place here is no one's given name: "Palmer" (the town) is not
            # the first word of "Palmer Fire" that the tagger took for a person. Tagged a place
            # it can still be a surname: the tagger often calls "Blinken" a GPE.
            candidates = candidates & by_surname.get(m.key, set())
        if not candidates and m.key in misspelt:  # "Klistchko" for "Klitschko"
            candidates = by_surname[misspelt[m.key]]
        if not candidates:
            continue
        local = [c for c in candidates if m.article_id in cluster_articles[c]]
        personish = m.has_honorific or m.descriptor or person_share(m.key) >= 0.3
        if len(local) == 1:
            cluster_of[m.index] = local[0]
        elif len(local) > 1 and personish:
            cluster_of[m.index] = max(local, key=lambda c: (cluster_size[c], c))
        elif not local and not place(m.key):
            pending[m.key].append(m)
    for key, ms in pending.items():
        surname = misspelt.get(key, key)
        # A bare given name ("Kimani") joins a full name only by its story, never by majority.
        bearers = sorted(by_surname.get(surname) or by_given.get(key, ()))
        if not bearers:
            continue
        unresolved = []
        for m in ms:
            around = keys_of_article[m.article_id] - {m.key}
            shared = {c: sum(1 for k in around if context[c][k]) for c in bearers}
            best = max(bearers, key=lambda c: (shared[c], c))
            # Two names in common with the full name's articles: one story (one shared name,
            # such as a country, is common to unrelated stories).
            if shared[best] >= 2 and all(shared[c] < shared[best] for c in bearers if c != best):
                cluster_of[m.index] = best
            else:
                unresolved.append(m)
        # Only for a word the tagger mostly calls a person: a city tagged PERSON now and then
        # ("Stockton police said") must not become the only person of the corpus with that name.
        if not unresolved or person_share(key) < 0.5 or surname not in by_surname:
            continue
        by_period: dict[object, list[_Mention]] = defaultdict(list)
        for m in unresolved:
            by_period[period(m.article_id)].append(m)
        for when, group in by_period.items():
            size: Counter = Counter()
            arts: dict[str, set[str]] = defaultdict(set)
            for c in bearers:
                for a in cluster_articles[c]:
                    if when is None or period(a) == when:
                        arts[c].add(a)
                size[c] = (
                    cluster_size[c] if when is None else sum(mentions_in[c][a] for a in arts[c])
                )
            total = sum(size.values())
            top = max(bearers, key=lambda c: (size[c], c))
            bare_articles = {m.article_id for m in group}
            # Clear majority in the period: two thirds of the full-name mentions of this
            # surname, and named in full in at least a quarter as many articles as use the
            # bare surname (a full name seen far less often than the surname is more likely a
            # namesake or a relative).
            if total and size[top] >= 2 * total / 3 and 4 * len(arts[top]) >= len(bare_articles):
                for m in group:
                    cluster_of[m.index] = top


# Words that name the kind of a geographic feature after its name: "the Mediterranean Sea" is
# the Mediterranean, "Qeshm Island" is Qeshm. A closed class, like the legal forms of companies.
FEATURE_WORDS = frozenset(
    "sea ocean island islands isle river lake mountain mountains peninsula bay valley desert "
    "strait straits canyon glacier volcano".split()
)
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


def _feature_word_targets(votes: dict[str, Counter]) -> dict[str, str]:
    """A place named with its feature word joins the bare name when both occur as places."""

    def place(k: str) -> bool:
        v = votes.get(k)
        return bool(v) and sum(v[lab] for lab in PLACE_LABELS) > sum(v.values()) / 2

    targets = {}
    for k in votes:
        tokens = k.split()
        if len(tokens) >= 2 and tokens[-1] in FEATURE_WORDS:
            bare = " ".join(tokens[:-1])
            if bare not in NAME_PARTICLES and place(k) and place(bare):
                targets[k] = bare
    return targets


def _spelling_variant_targets(votes: dict[str, Counter]) -> dict[str, str]:
    """Multi-word names that differ in one spelling of one word join the most frequent form:
    "Betty Ford Centre" / "Betty Ford Center", "Gulf of Eden" / "Gulf of Aden" is too far.

    Candidates share every other word (grouped by the name with that word blanked, so nothing
    is compared all-pairs); the differing words must start alike, be five letters or more and
    be 80 % similar ("center"/"centre"), which "eastern"/"western" or "north"/"south" are not.
    """
    slots: dict[tuple[str, int], list[str]] = defaultdict(list)
    for k in votes:
        tokens = k.split()
        if len(tokens) < 2:
            continue
        for i, tok in enumerate(tokens):
            if len(tok) >= 5:
                slots[(" ".join(tokens[:i] + ["_"] + tokens[i + 1 :]), i)].append(k)
    total = {k: sum(v.values()) for k, v in votes.items()}
    label = {k: max(sorted(v), key=lambda lab: v[lab]) for k, v in votes.items() if v}
    targets = {}
    for (_, i), keys in slots.items():
        if len(keys) < 2:
            continue
        keys.sort(key=lambda k: (-total[k], k))
        head = keys[0]
        for k in keys[1:]:
            a, b = head.split()[i], k.split()[i]
            if label[k] != label[head]:  # "South Korean" (NORP) is not "South Korea" (GPE)
                continue
            if a[0] == b[0] and _similar(a, b):
                targets.setdefault(k, head)
    return targets


def _misspelt_surnames(items: list[_Mention], by_surname: dict[str, set[str]]) -> dict[str, str]:
    """Bare word → the surname it misspells ("klistchko" → "klitschko").

    One letter dropped, swapped or changed (found through one-deletion keys, no pairwise
    comparison), in words of six letters or more (shorter ones are other names: "Bush" /
    "Rush"), and only when the surname is named at least three times as often: a misspelling
    is the rare form.
    """
    counts = Counter(m.key for m in items if " " not in m.key)
    deletions: dict[str, set[str]] = defaultdict(set)
    for s in by_surname:
        if len(s) >= 6:
            for i in range(len(s)):
                deletions[s[:i] + s[i + 1 :]].add(s)
            deletions[s].add(s)
    out = {}
    for word, n in counts.items():
        if len(word) < 6 or word in by_surname:
            continue
        near = set(deletions.get(word, ()))
        for i in range(len(word)):
            near |= deletions.get(word[:i] + word[i + 1 :], set())
        near = {s for s in near if s[0] == word[0] and counts[s] >= 3 * n}
        if len(near) == 1:
            out[word] = near.pop()
    return out


def _place_prefixed_targets(
    rest: list[_Mention], votes: dict[str, Counter], case: WordCase | None
) -> dict[str, str]:
    """An organisation named without its home place joins the full name: "Saints" →
    "New Orleans Saints". Not a place after the name: "Ford Canada" is a subsidiary of Ford.

    Only when the corpus has exactly one place-prefixed form of it, the short form is a name
    (of anything but a place or a people) and not a common word ("Southern"), and articles
    name both forms often enough: outlets shorten a name they have just given in full.
    """
    articles: dict[str, set[str]] = defaultdict(set)
    for m in rest:
        articles[m.key].add(m.article_id)
    places = {k for k, v in votes.items() if v["GPE"] > sum(v.values()) / 2}
    longer: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for k, v in votes.items():
        # An organisation or a venue (the tagger calls "Jacksonville Jaguars" a FAC too).
        if v["ORG"] + v["FAC"] <= sum(v.values()) / 2:
            continue
        tokens = k.split()
        for cut in range(1, len(tokens)):
            if " ".join(tokens[:cut]) in places:
                longer[" ".join(tokens[cut:])].add((k, " ".join(tokens[:cut])))
    targets = {}
    for short, forms in longer.items():
        if len(forms) != 1 or short not in votes:
            continue
        # Any name but a place or a people: the tagger calls a bare team name a PRODUCT or a
        # PERSON as often as an ORG ("Chargers", "Jaguars"); "Orleans" or "Korean" are not it.
        v = votes[short]
        if v["GPE"] + v["LOC"] + v["NORP"] >= sum(v.values()) / 2:
            continue
        if case and all(case.common(w) for w in short.split()):
            continue
        full, _place = next(iter(forms))
        # Named in full beside the short form in at least one in six of its articles: the
        # teams of ECB+ are (a fifth to a half: "Red Sox" 4 of 18, "Saints" 12 of 24); "the
        # Fed" beside "the New York Fed" on the wire is not (2 of 23).
        if 6 * len(articles[short] & articles[full]) >= len(articles[short]):
            targets[short] = full
    return targets


class _StoryNames:
    """Which rare names surround a name: the story it is told in.

    Only names of at most √N of the N articles count (at least 5): a country or "the White
    House" is in every story, so sharing it says nothing (the threshold of the surname rule).
    """

    def __init__(self, names_in: dict[str, set[str]], articles_of: dict[str, set[str]]) -> None:
        self.names_in = names_in
        self.articles_of = articles_of
        self.df: Counter = Counter(k for keys in names_in.values() for k in keys)
        self.rare = max(5.0, len(names_in) ** 0.5)
        self._around: dict[str, set[str]] = {}

    def around(self, name: str) -> set[str]:
        """The rare names of the articles that name ``name`` (once per name: linear overall)."""
        found = self._around.get(name)
        if found is None:
            found = {
                k
                for a in self.articles_of.get(name, ())
                for k in self.names_in[a]
                if self.df[k] <= self.rare
            }
            self._around[name] = found
        return found

    def shared(self, a: str, b: str) -> int:
        """How many rare names (other than themselves) the articles of ``a`` and ``b`` share."""
        return len((self.around(a) & self.around(b)) - {a, b})


def _acronym_targets(
    keys: list[str],
    votes: dict[str, Counter],
    articles_of: dict[str, set[str]],
    story: _StoryNames | None = None,
    with_the: set[str] = frozenset(),
) -> dict[str, str]:
    """Acronym → its expansion, when the corpus has exactly one expansion with those initials
    and the two are named in one article or in one story (two rare names in common, as for
    surnames): outlets spell an acronym out where they first use it or in the reports around
    it, so an expansion of another story is someone else's ("CU" of Creighton University
    sports reports is not the Cardiff University of a science story, "BBC" is not a
    "Banstead Baptist Church", "FMC" not "Ford Motor Credit").

    Short words of the expansion may count whole ("us geological survey" → "usgs" as well as
    "ugs"), for expansions that embed an acronym; a name that embeds an acronym the corpus spells
    out elsewhere joins the same name spelt out ("US Geological Survey" / "United States
    Geological Survey" when "US" is "United States"), so the two count as one expansion. A name
    written with a capitalised "The" inside a sentence (``with_the``) has that initial too:
    "THR" is "The Hollywood Reporter".
    """
    expansions: dict[str, set[str]] = defaultdict(set)
    for k in keys:
        words = [w for w in k.split() if w not in NAME_PARTICLES]
        if len(words) >= 2:
            expansions["".join(w[0] for w in words)].add(k)
            expansions["".join(w if len(w) <= 3 else w[0] for w in words)].add(k)
            if k in with_the:
                expansions["t" + "".join(w[0] for w in words)].add(k)

    def grouped(k: str, e: str) -> bool:
        # "US Senate" holds the acronym; it does not spell it out.
        labelled = set(votes[e]) & GROUP_LABELS and set(votes[k]) & GROUP_LABELS
        ak, ae = articles_of.get(k, set()), articles_of.get(e, set())
        together = not ak or not ae or bool(ak & ae)
        if not together and story is not None:
            together = story.shared(k, e) >= 2
        return bool(labelled) and k not in e.split() and together

    acronyms = [k for k in keys if " " not in k and 2 <= len(k) <= 6 and k not in LEGAL_SUFFIXES]
    targets = {}
    for k in acronyms:  # single words first: "us" → "united states"
        cands = [e for e in sorted(expansions.get(k, ())) if grouped(k, e)]
        if len(cands) == 1:
            targets[k] = cands[0]
    known = set(keys)
    contracted: dict[str, set[str]] = defaultdict(set)  # "us geological survey" → its spelt forms
    for k in keys:
        tokens = k.split()
        for i in range(len(tokens)):
            for n in (2, 3):
                run = tokens[i : i + n]
                if len(run) < n or len(tokens) <= n:  # the whole name is no run (most names)
                    continue
                # The acronym must stand for the run elsewhere in the corpus ("US" for "United
                # States"): "AM International" is not "American Medical International".
                acronym = "".join(w[0] for w in run)
                if acronym in targets and targets[acronym] == " ".join(run):
                    short = " ".join(tokens[:i] + [acronym] + tokens[i + n :])
                    if short in known:
                        contracted[short].add(k)
    for k, spelt in contracted.items():
        if len(spelt) == 1:
            targets[k] = next(iter(spelt))
    for k in acronyms:
        if k in targets:
            continue
        cands = {targets.get(e, e) for e in expansions.get(k, ()) if grouped(k, e)}
        if len(cands) == 1:
            targets[k] = cands.pop()
    return targets


def _legal(name: str) -> bool:
    """A name with a legal form ("Carrozzeria Bertone S.p.A.") is a company, never a person."""
    tokens = normalize_name(name).split()
    return len(tokens) > 1 and tokens[-1] in LEGAL_SUFFIXES


def _vote_label(ms: list[_Mention], person_allowed: bool = True) -> str:
    """The most frequent label, PERSON winning ties; never PERSON for a name with a figure or
    a legal form."""
    if len(ms) == 1:  # a name seen once (most): its label, no count
        label = ms[0].ner_label
        return "ORG" if label == "PERSON" and not person_allowed else label
    counts = Counter(m.ner_label for m in ms)
    if not person_allowed:
        counts.pop("PERSON", None)
        if not counts:
            return "ORG"
    return min(counts, key=lambda lab: (-counts[lab], lab != "PERSON", lab))


def _canonical_name(ms: list[_Mention]) -> str:
    """The most frequent of the longest forms: the full name, not "Blinken" or "US".

    Forms with a title inside ("Colts QB Andrew Luck") or in capitals ("REAGAN") are only used
    when there is nothing else; acronyms ("US", "NATO") keep their capitals.
    """
    forms = {m.display for m in ms}
    if len(forms) == 1:  # one form, nothing to choose from: most entities
        return forms.pop()

    def shouted(m: _Mention) -> bool:
        return m.all_caps and sum(ch.isalpha() for ch in m.display) > 4

    plain = (
        [m for m in ms if not m.descriptor and not shouted(m)]
        or [m for m in ms if not m.descriptor]
        or ms
    )
    counts = Counter(m.display for m in plain)

    def size(d: str) -> int:  # a legal form does not make a name longer ("U.S. Company")
        return len(org_key(normalize_name(d)).split())

    longest = max(size(d) for d in counts)
    full = [d for d in counts if size(d) == longest]
    return min(full, key=lambda d: (-counts[d], d))
