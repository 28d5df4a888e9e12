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
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import pandas as pd

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
_TITLE_WORDS = re.compile(r"((?:[A-Z][\w.-]*\s+){1,4})$")


@lru_cache(maxsize=1 << 16)
def normalize_name(surface: str) -> str:
    """Comparison key of a surface form: no accents, dots, possessives, honorifics, or case.

    A generational suffix goes too: reports drop the "III" of "Anthony LaCalamita III" at will.
    Cached: a corpus names the same few thousand entities over and over.
    """
    text = unicodedata.normalize("NFKD", surface)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’]s\b", "", text).replace(".", "")
    text = _NON_WORD.sub(" ", text).replace("-", " ")
    tokens = _SPACES.sub(" ", text).strip().casefold().split(" ")
    while len(tokens) > 1 and tokens[0] in HONORIFICS | {"the"}:
        tokens = tokens[1:]
    if len(tokens) > 2 and tokens[-1] in GENERATIONAL_SUFFIXES:
        tokens = tokens[:-1]
    return " ".join(t for t in tokens if t)


def entity_id_for(label: str, key: str) -> str:
    return "ent_" + hashlib.sha1(f"{label}|{key}".encode()).hexdigest()[:12]


def names_are_variants(a: str, b: str) -> bool:
    """True for spellings of one given name: Anthony/Antony, Matt/Matthew, Jon/John.

    Transliterations can differ in the first letter too (Kurbanguly/Gurbanguli), but only long
    names are similar enough for that to be safe: Jon/Ron are two people.
    """
    if a == b:
        return True
    if min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)):
        return True
    similar = SequenceMatcher(None, a, b).ratio() >= 0.8
    return similar and (a[0] == b[0] or min(len(a), len(b)) >= 6)


@dataclass
class _Mention:
    index: int
    article_id: str
    key: str
    display: str
    ner_label: str
    role: str | None
    has_honorific: bool


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


def canonicalize(
    mentions: pd.DataFrame, texts: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assign every mention an ``entity_id`` and a voted ``label``; build the entities table.

    ``mentions`` has article_id, start_char, end_char, text, ner_label; ``texts`` maps article_id
    to the cleaned text the offsets point into (used to read the title before a name).
    """
    out = mentions.copy()
    if out.empty:
        out["entity_id"] = pd.Series(dtype="object")
        out["label"] = pd.Series(dtype="object")
        return out, pd.DataFrame(
            columns=["entity_id", "name", "label", "aliases", "n_mentions", "n_articles"]
        )
    items: list[_Mention] = []
    for i, row in enumerate(out.itertuples(index=False)):
        text = texts.get(row.article_id, "")
        prefix = text[max(0, row.start_char - 6) : row.start_char].casefold()
        has_hon = bool(re.search(r"\b(mr|mrs|ms|dr)\.?\s*$", prefix))
        key = normalize_name(row.text) or row.text.casefold()
        items.append(
            _Mention(
                i,
                row.article_id,
                key,
                _display(row.text),
                row.ner_label,
                role_before(text, row.start_char),
                has_hon,
            )
        )
    votes: dict[str, Counter] = defaultdict(Counter)
    for m in items:
        votes[m.key][m.ner_label] += 1

    def person_share(key: str) -> float:
        total = sum(votes[key].values())
        return votes[key]["PERSON"] / total if total else 0.0

    person_full = sorted(k for k in votes if " " in k and person_share(k) >= 0.5)
    uf = _UnionFind()
    for k in person_full:
        uf.find(k)
    _merge_spelling_variants(person_full, uf)
    _merge_same_role(items, person_full, uf)

    cluster_of: dict[int, str] = {}
    articles_of_key: dict[str, set[str]] = defaultdict(set)
    for m in items:
        articles_of_key[m.key].add(m.article_id)
        if m.key in uf.parent:
            cluster_of[m.index] = uf.find(m.key)

    # Single-token person references ("Blinken", "Mr. Qin") join the full name they abbreviate.
    by_token: dict[str, set[str]] = defaultdict(set)
    for k in person_full:
        for tok in k.split():
            if tok not in NAME_PARTICLES:
                by_token[tok].add(uf.find(k))
    cluster_articles: dict[str, set[str]] = defaultdict(set)
    cluster_size: Counter = Counter()
    for m in items:
        if m.index in cluster_of:
            cluster_articles[cluster_of[m.index]].add(m.article_id)
            cluster_size[cluster_of[m.index]] += 1
    for m in items:
        if m.index in cluster_of or " " in m.key:
            continue
        candidates = by_token.get(m.key)
        if not candidates:
            continue
        local = [c for c in candidates if m.article_id in cluster_articles[c]]
        personish = m.has_honorific or person_share(m.key) >= 0.3
        if len(local) == 1:
            cluster_of[m.index] = local[0]
        elif not local and personish and len(candidates) == 1:
            cluster_of[m.index] = next(iter(candidates))
        elif len(local) > 1 and personish:
            cluster_of[m.index] = max(local, key=lambda c: (cluster_size[c], c))

    # Everything else groups by its key; acronyms join their expansion ("US" / "United States").
    group_keys = sorted({m.key for m in items if m.index not in cluster_of})
    acronym_target = _acronym_targets(group_keys, votes)
    for m in items:
        if m.index not in cluster_of:
            cluster_of[m.index] = acronym_target.get(m.key, m.key)

    members: dict[str, list[_Mention]] = defaultdict(list)
    for m in items:
        members[cluster_of[m.index]].append(m)
    entity_rows = []
    ids = [""] * len(items)
    labels = [""] * len(items)
    for cluster, ms in members.items():
        label = _vote_label(ms)
        name = _canonical_name(ms)
        eid = entity_id_for(label, normalize_name(name) or cluster)
        for m in ms:
            ids[m.index] = eid
            labels[m.index] = label
        entity_rows.append(
            {
                "entity_id": eid,
                "name": name,
                "label": label,
                "aliases": sorted({m.display for m in ms}),
            }
        )
    out["entity_id"] = ids
    out["label"] = labels
    merged: dict[str, dict] = {}
    for row in entity_rows:  # two clusters can share an id when their names normalise alike
        seen = merged.get(row["entity_id"])
        if seen is None:
            merged[row["entity_id"]] = {**row, "aliases": set(row["aliases"])}
        else:
            seen["aliases"].update(row["aliases"])
    info = pd.DataFrame(
        [{**row, "aliases": sorted(row["aliases"])} for row in merged.values()],
        columns=["entity_id", "name", "label", "aliases"],
    )
    counts = out.groupby("entity_id").agg(
        n_mentions=("article_id", "size"), n_articles=("article_id", "nunique")
    )
    entities = info.merge(counts, left_on="entity_id", right_index=True)
    return out, entities.sort_values("entity_id").reset_index(drop=True)


def _display(surface: str) -> str:
    text = re.sub(r"['’]s$", "", surface.strip())
    text = re.sub(r"^(?:the|The)\s+", "", text)
    return re.sub(r"^(?:Mr|Mrs|Ms|Dr)\.?\s+", "", text)


def _merge_spelling_variants(person_full: list[str], uf: _UnionFind) -> None:
    """Union the keys that spell one full name differently.

    Given-name variants with the same surname; the same letters spaced differently ("Del
    Giudice"/"DelGiudice"); and a name behind a descriptor the tagger took in ("Constable Tim
    Fanning", "GM Theo Epstein"): a full name that ends with another full name is that person.
    """
    by_compact: dict[str, list[str]] = defaultdict(list)
    for k in person_full:
        by_compact[k.replace(" ", "")].append(k)
    for keys in by_compact.values():
        for other in keys[1:]:
            uf.union(keys[0], other)
    known = set(person_full)
    for k in person_full:
        tokens = k.split()
        for cut in range(1, len(tokens) - 1):
            tail = " ".join(tokens[cut:])
            if tail in known:
                uf.union(k, tail)
                break
    by_last: dict[str, list[str]] = defaultdict(list)
    for k in person_full:
        by_last[k.split()[-1]].append(k)
    for keys in by_last.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                ta, tb = a.split(), b.split()
                if names_are_variants(ta[0], tb[0]) and abs(len(ta) - len(tb)) <= 1:
                    uf.union(a, b)


def _merge_same_role(items: list[_Mention], person_full: list[str], uf: _UnionFind) -> None:
    """Names that hold the same role and share a surname are one person spelled two ways.

    Machine translation garbles given names ("Foreign Minister Chen Gang" beside the majority
    "Foreign Minister Qin Gang"); the role title plus the shared family token is strong evidence.
    """
    full = set(person_full)
    roles: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in items:
        if m.key in full and m.role:
            tokens = m.key.split()
            if len(tokens) == 2 and len(tokens[0]) <= 5:
                roles[(m.role, tokens[-1])].add(m.key)
    for keys in roles.values():
        ordered = sorted(keys)
        for other in ordered[1:]:
            uf.union(ordered[0], other)


def _acronym_targets(keys: list[str], votes: dict[str, Counter]) -> dict[str, str]:
    expansions: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        words = [w for w in k.split() if w not in NAME_PARTICLES]
        if len(words) >= 2:
            expansions["".join(w[0] for w in words)].append(k)
    targets = {}
    for k in keys:
        if " " in k or not 2 <= len(k) <= 6:
            continue
        cands = [
            e
            for e in expansions.get(k, [])
            if set(votes[e]) & GROUP_LABELS and set(votes[k]) & GROUP_LABELS
        ]
        if len(cands) == 1:
            targets[k] = cands[0]
    return targets


def _vote_label(ms: list[_Mention]) -> str:
    counts = Counter(m.ner_label for m in ms)
    return min(counts, key=lambda lab: (-counts[lab], lab != "PERSON", lab))


def _canonical_name(ms: list[_Mention]) -> str:
    """The most frequent of the longest forms: the full name, not "Blinken" or "US"."""
    counts = Counter(m.display for m in ms)
    longest = max(len(normalize_name(d).split()) for d in counts)
    full = [d for d in counts if len(normalize_name(d).split()) == longest]
    return min(full, key=lambda d: (-counts[d], d))
