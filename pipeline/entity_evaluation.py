"""Scoring canonical entities against gold cross-document entity chains (ECB+ style).

A gold mention is named when one of its words is capitalised (after the quotes and "@" of the
source text) and it is not a pronoun: nominals like "the girl" or "he" are out of reach of any
NER and would only measure detection. Each named mention of a chain that spans two or more
documents is matched to a published entity mention of the same article: the one with the same
text, else the longest one containing it or contained in it as whole words (compared without
case or spacing). The matched mentions' ``entity_id`` is then scored
against the chains with B³ and pairwise F1, beside a surface-string peer (entity = the
normalised text of the matched mention) on exactly the same mentions.

Pure functions (no DuckDB, no Dagster) so they can be tested on hand-made cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.evaluation import Scores, b_cubed, pairwise

PRONOUNS = frozenset(
    "i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves who whom whose "
    "which that this these those here there where".split()
)
_STRIP = "\"'“”‘’@()[]"


@dataclass(frozen=True)
class GoldEntityMention:
    chain: str
    doc: str
    line: int
    mention: str
    type: str = ""


@dataclass(frozen=True)
class PublishedEntityMention:
    doc: str
    text: str
    entity_id: str


def _words(mention: str) -> list[str]:
    return [w.strip(_STRIP) for w in mention.split() if w.strip(_STRIP)]


def is_named(mention: str) -> bool:
    """Named as the issue measured it: some word of the mention starts with a capital letter.

    This keeps a capitalised sentence-initial pronoun ("He"), which ``is_pronoun`` tells apart so
    the report can also show the score without them.
    """
    return any(w[:1].isupper() for w in mention.split())


_FUNCTION_WORDS = frozenset(
    "of the and for de la del van von da a an in on at to & du le di".split()
)


def is_proper_name(mention: str) -> bool:
    """Every content word capitalised ("Gulf of Aden"): a name, not a nominal that contains
    one ("an upmarket jewellery store in central Paris") and not a pronoun."""
    words = [w for w in _words(mention) if any(ch.isalpha() for ch in w)]
    if words and words[0].casefold() in ("the", "a", "an"):
        words = words[1:]
    content = [w for w in words if w.casefold() not in _FUNCTION_WORDS]
    return (
        bool(content)
        and all(w[0].isupper() or w[0].isdigit() for w in content)
        and not is_pronoun(mention)
    )


def is_pronoun(mention: str) -> bool:
    words = _words(mention)
    return bool(words) and all(w.casefold().split("'")[0] in PRONOUNS for w in words)


_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Compared without case and with single spaces, as the issue matched (not dots: "U. S."
    matching "U.S." would credit the pipeline for a variant it may not have folded)."""
    return _SPACES.sub(" ", text.casefold()).strip()


_HONORIFIC = re.compile(r"^(?:the|mr|mrs|ms|dr)\.?\s+", re.IGNORECASE)


def surface_key(text: str) -> str:
    """The peer's entity: the surface string without case, accents, dots, possessive, a leading
    "the" or honorific. Fixed here (not the pipeline's normalisation) so the peer never moves."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’]s\b", "", text).replace(".", "")
    text = re.sub(r"[^\w\s]", " ", text).replace("_", " ")
    text = _SPACES.sub(" ", text).strip()
    while _HONORIFIC.match(text) and len(text.split()) > 1:
        text = _HONORIFIC.sub("", text, count=1)
    return text.casefold()


def contains(longer: str, shorter: str) -> bool:
    """``shorter`` occurs in ``longer`` as whole words: "Obama" in "Obama's", never the pronoun
    "I" inside "Los Angeles Times" or "He" inside "John Mitchell". The issue matched a gold
    mention to the published mention containing it or contained in it, meaning the name, not
    any run of letters (a character-level test matched 43 capitalised pronouns on ECB+ that way).
    """
    if not shorter:
        return False
    return re.search(rf"(?<!\w){re.escape(shorter)}(?!\w)", longer) is not None


def cross_document(gold: Sequence[GoldEntityMention]) -> list[GoldEntityMention]:
    """Named mentions of the chains that span two or more documents."""
    docs: dict[str, set[str]] = defaultdict(set)
    for g in gold:
        docs[g.chain].add(g.doc)
    return [g for g in gold if len(docs[g.chain]) >= 2 and is_named(g.mention)]


def match_entity_mentions(
    gold: Sequence[GoldEntityMention], published: Sequence[PublishedEntityMention]
) -> dict[int, PublishedEntityMention]:
    """Index of each gold mention -> the published mention it matches, if any."""
    by_doc: dict[str, list[tuple[str, PublishedEntityMention]]] = defaultdict(list)
    for p in published:
        key = fold(p.text)
        if key:
            by_doc[p.doc].append((key, p))
    found: dict[int, PublishedEntityMention] = {}
    for k, g in enumerate(gold):
        key = fold(g.mention)
        if not key:
            continue
        cands = by_doc.get(g.doc, ())
        exact = [p for pk, p in cands if pk == key]
        if exact:
            found[k] = exact[0]
            continue
        overlapping = [(len(pk), p) for pk, p in cands if contains(pk, key) or contains(key, pk)]
        if overlapping:
            found[k] = max(overlapping, key=lambda t: t[0])[1]
    return found


@dataclass
class EntityScores:
    """How published entities line up with gold chains."""

    n_gold: int  # named gold mentions in chains across documents
    n_matched: int
    b3: Scores
    pairwise: Scores
    peer_b3: Scores
    peer_pairwise: Scores
    no_pronouns: Scores | None = None  # B³ without capitalised pronouns ("He", "I")
    proper_names: Scores | None = None  # B³ over proper names only (no nominals, no pronouns)
    halves: dict[str, Scores] = field(default_factory=dict)  # B³ on odd / even topics
    peer_halves: dict[str, Scores] = field(default_factory=dict)
    split: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    merged: list[tuple[str, list[list[str]]]] = field(default_factory=list)

    @property
    def coverage(self) -> float:
        return self.n_matched / self.n_gold if self.n_gold else 0.0

    def report(self) -> list[str]:
        lines = [
            "Entities (entity_chains.csv, named mentions of chains across documents)",
            f"  gold mentions              {self.n_gold}",
            f"  matched to a published one {self.n_matched}  ({self.coverage:.1%})",
            f"  B3        {self.b3}",
            f"  pairwise  {self.pairwise}",
            "  surface-string peer (entity = normalised text of the matched mention)",
            f"  B3        {self.peer_b3}",
            f"  pairwise  {self.peer_pairwise}",
        ]
        if self.no_pronouns is not None:
            lines.append(f"  B3, pronouns left out      {self.no_pronouns}")
        if self.proper_names is not None:
            lines.append(f"  B3, proper names only      {self.proper_names}")
        for half, s in self.halves.items():
            lines.append(
                f"  B3, {half + ' topics':<21}{s}  (peer F1={self.peer_halves[half].f1:.3f})"
            )
        if self.split:
            lines.append("  largest split chains (gold chain: the entities it was cut into)")
            lines += [f"    {chain}: {_groups(groups)}" for chain, groups in self.split]
        if self.merged:
            lines.append("  largest merged entities (entity: the gold chains it joins)")
            lines += [f"    {name}: {_groups(groups)}" for name, groups in self.merged]
        return lines


def _groups(groups: list[list[str]]) -> str:
    return " | ".join(" / ".join(g) for g in groups)


def _topic(doc: str) -> str:
    return doc.split("_", 1)[0]


def score_entities(
    gold: Sequence[GoldEntityMention],
    published: Sequence[PublishedEntityMention],
    names: Mapping[str, str] | None = None,
    top: int = 8,
) -> EntityScores:
    """Score published entity ids against the gold chains of ``gold`` (all mentions)."""
    cross = cross_document(gold)
    found = match_entity_mentions(cross, published)
    gold_of = {str(k): cross[k].chain for k in found}
    pred = {str(k): p.entity_id for k, p in found.items()}
    peer = {str(k): surface_key(p.text) for k, p in found.items()}

    halves: dict[str, Scores] = {}
    peer_halves: dict[str, Scores] = {}
    for half, parity in (("odd", 1), ("even", 0)):
        keep = {
            k: c
            for k, c in gold_of.items()
            if _topic(cross[int(k)].doc).isdigit() and int(_topic(cross[int(k)].doc)) % 2 == parity
        }
        if keep:
            halves[half] = b_cubed(pred, keep)
            peer_halves[half] = b_cubed(peer, keep)

    names = names or {}
    entities_of_chain: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    chains_of_entity: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for k, p in found.items():
        g = cross[k]
        entities_of_chain[g.chain][p.entity_id][p.text] += 1
        chains_of_entity[p.entity_id][g.chain][g.mention] += 1

    def forms(counter: Counter) -> list[str]:
        return [t for t, _ in counter.most_common(3)]

    def wrong_pairs(parts: dict[str, Counter]) -> int:
        sizes = [sum(c.values()) for c in parts.values()]
        return (sum(sizes) ** 2 - sum(n * n for n in sizes)) // 2

    def ranked(table: dict[str, dict[str, Counter]]) -> list[tuple[str, dict[str, Counter]]]:
        # Worst first by the pairs the split (or merge) gets wrong.
        multi = [(key, parts) for key, parts in table.items() if len(parts) >= 2]
        multi.sort(key=lambda kv: (-wrong_pairs(kv[1]), kv[0]))
        return multi[:top]

    gold_forms: dict[str, Counter] = defaultdict(Counter)
    for g in cross:
        gold_forms[g.chain][g.mention] += 1

    def chain_name(chain: str) -> str:  # the chain's most frequent named mention, not its id
        return f'"{gold_forms[chain].most_common(1)[0][0]}"'

    split = [
        (
            chain_name(chain),
            [forms(c) for c in sorted(parts.values(), key=lambda c: -sum(c.values()))],
        )
        for chain, parts in ranked(entities_of_chain)
    ]
    merged = [
        (
            names.get(eid, eid),
            [forms(c) for c in sorted(parts.values(), key=lambda c: -sum(c.values()))],
        )
        for eid, parts in ranked(chains_of_entity)
    ]
    return EntityScores(
        n_gold=len(cross),
        n_matched=len(found),
        b3=b_cubed(pred, gold_of),
        pairwise=pairwise(pred, gold_of),
        peer_b3=b_cubed(peer, gold_of),
        peer_pairwise=pairwise(peer, gold_of),
        no_pronouns=b_cubed(
            pred, {k: c for k, c in gold_of.items() if not is_pronoun(cross[int(k)].mention)}
        ),
        proper_names=b_cubed(
            pred, {k: c for k, c in gold_of.items() if is_proper_name(cross[int(k)].mention)}
        ),
        halves=halves,
        peer_halves=peer_halves,
        split=split,
        merged=merged,
    )
