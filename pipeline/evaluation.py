"""Scoring event deduplication against gold clusters, and the naive peer it has to beat.

Dedup quality is only trustworthy when measured: these functions compare a predicted clustering
of documents (doc -> cluster label) with a gold one, using the two standard coreference metrics.
B³ credits each document for how much of its predicted cluster is right; pairwise scores count
document pairs, so big clusters weigh quadratically and over-merging shows up sharply. The TF-IDF
peer is the simplest reasonable alternative to the whole NER/event pipeline: if the pipeline cannot
beat bag-of-words clustering, its extra machinery is not earning its keep.

Everything here is pure (no Dagster, no DuckDB) so it can be unit-tested on hand-computed cases.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.similarity import tfidf_cosine
from pipeline.stopwords import ENGLISH_STOPWORDS

# The one threshold of the peer, fixed once and never tuned per corpus: a TF-IDF cosine of 0.2
# between two news articles usually means a shared topic and several shared names. Tuning it on
# the evaluation corpus would make the peer look better than a naive method really is.
DEFAULT_TFIDF_THRESHOLD = 0.2


@dataclass(frozen=True)
class Scores:
    """Precision, recall and their harmonic mean, each in [0, 1]."""

    precision: float
    recall: float
    f1: float

    def __str__(self) -> str:
        return f"P={self.precision:.3f} R={self.recall:.3f} F1={self.f1:.3f}"


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _labels(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> dict[str, Hashable]:
    """Predicted label of every gold item; items the prediction lacks become singletons.

    The tags keep a missing item's singleton label from colliding with a real predicted label.
    """
    return {item: ("pred", pred[item]) if item in pred else ("missing", item) for item in gold}


def b_cubed(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> Scores:
    """B³ precision/recall/F1 over the items of ``gold``.

    Predicted items absent from ``gold`` are ignored (they cannot be judged); gold items absent
    from ``pred`` count as singletons, so a system is not rewarded for dropping hard documents.
    An empty gold gives perfect scores, as there is nothing to get wrong.
    """
    if not gold:
        return Scores(1.0, 1.0, 1.0)
    plab = _labels(pred, gold)
    pred_size = Counter(plab.values())
    gold_size = Counter(gold.values())
    cell = Counter((plab[i], gold[i]) for i in gold)
    p_sum = r_sum = 0.0
    for item, g in gold.items():
        overlap = cell[(plab[item], g)]
        p_sum += overlap / pred_size[plab[item]]
        r_sum += overlap / gold_size[g]
    n = len(gold)
    p, r = p_sum / n, r_sum / n
    return Scores(p, r, _f1(p, r))


def pairwise(pred: Mapping[str, Hashable], gold: Mapping[str, Hashable]) -> Scores:
    """Pairwise precision/recall/F1 over all pairs of items of ``gold``.

    A pair is positive when both items share a cluster. Same item handling as ``b_cubed``. With
    no predicted positive pairs precision is 1.0 (no false merges were made); with no gold
    positive pairs recall is 1.0 (no merge was missed).
    """

    def pairs(counts: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    plab = _labels(pred, gold)
    tp = pairs(Counter((plab[i], gold[i]) for i in gold))
    n_pred = pairs(Counter(plab.values()))
    n_gold = pairs(Counter(gold.values()))
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_gold if n_gold else 1.0
    return Scores(p, r, _f1(p, r))


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def _tokens(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall(text.lower()):
        tok = tok.split("'")[0]  # "earthquake's" -> "earthquake"
        if len(tok) > 1 and tok not in ENGLISH_STOPWORDS and not tok.isdigit():
            out.append(tok)
    return out


def tfidf_similarity(texts: Sequence[str]) -> np.ndarray:
    """Cosine similarity of the texts' TF-IDF vectors over plain word tokens."""
    return tfidf_cosine([Counter(_tokens(t)) for t in texts])


def average_linkage(sim: np.ndarray, threshold: float) -> list[int]:
    """Agglomerative clustering on a similarity matrix, merging while the best average >= threshold.

    The average similarity between clusters is kept up to date with the Lance-Williams update
    (the merged row is the size-weighted mean of the two old rows), so each merge costs O(n) plus
    an O(n²) argmax: O(n³) worst case in vectorised numpy, about a second for 1000 documents.
    """
    n = sim.shape[0]
    if n == 0:
        return []
    avg = np.array(sim, dtype=np.float64, copy=True)
    np.fill_diagonal(avg, -np.inf)
    size = np.ones(n, dtype=np.float64)
    parent = list(range(n))  # each original item -> the row of its current cluster
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    while len(members) > 1:
        flat = int(np.argmax(avg))
        i, j = divmod(flat, n)
        if not avg[i, j] >= threshold:  # also stops on -inf/NaN
            break
        if j < i:
            i, j = j, i
        merged = (size[i] * avg[i] + size[j] * avg[j]) / (size[i] + size[j])
        avg[i, :] = merged
        avg[:, i] = merged
        avg[i, i] = -np.inf
        avg[j, :] = -np.inf
        avg[:, j] = -np.inf
        size[i] += size[j]
        for m in members.pop(j):
            parent[m] = i
            members[i].append(m)
    relabel: dict[int, int] = {}
    return [relabel.setdefault(root, len(relabel)) for root in parent]


def tfidf_average_linkage(
    texts: Sequence[str], threshold: float = DEFAULT_TFIDF_THRESHOLD
) -> list[int]:
    """Cluster texts the naive way: TF-IDF cosine + average-linkage agglomeration.

    Returns one cluster number per text (0, 1, ... in order of first appearance). This is the
    peer the event pipeline is compared with; ``threshold`` defaults to a fixed value chosen
    before looking at any evaluation score (see ``DEFAULT_TFIDF_THRESHOLD``).
    """
    return average_linkage(tfidf_similarity(texts), threshold)


@dataclass(frozen=True)
class GoldMention:
    """One gold event mention: its chain, document, line of the article file and trigger words."""

    chain: str
    doc: str
    line: int
    trigger: str


@dataclass(frozen=True)
class PredictedMention:
    """One event mention the pipeline published: its sentence, trigger and event."""

    doc: str
    sentence: str
    trigger: str
    event_id: str


_SQUASH = re.compile(r"[^a-z0-9]+")


def _squash(text: str) -> str:
    return _SQUASH.sub("", text.lower())


def match_gold_mentions(
    gold: Sequence[GoldMention],
    doc_lines: Mapping[str, Sequence[str]],
    predicted: Sequence[PredictedMention],
) -> dict[int, str]:
    """Index of each gold mention the pipeline also found -> the event it was linked to.

    Found means a published mention in the same document whose sentence is the gold line (text
    compared without case, spacing or punctuation, since cleaning normalises those) and whose
    trigger shares a word with the gold trigger. Gold mentions the pipeline's event vocabulary
    does not cover stay unmatched: they measure detection, the linked ones measure linking.
    """
    by_doc: dict[str, list[tuple[str, set[str], str]]] = {}
    for m in predicted:
        squashed = _squash(m.sentence)
        if squashed:
            by_doc.setdefault(m.doc, []).append(
                (squashed, set(m.trigger.lower().split()), m.event_id)
            )
    found: dict[int, str] = {}
    for k, g in enumerate(gold):
        lines = doc_lines.get(g.doc, ())
        if not 0 <= g.line < len(lines):
            continue
        line = _squash(lines[g.line])
        words = set(g.trigger.lower().split())
        for sentence, trigger, event_id in by_doc.get(g.doc, ()):
            if line and (sentence in line or line in sentence) and trigger & words:
                found[k] = event_id
                break
    return found
