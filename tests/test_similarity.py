"""The shared TF-IDF cosine, checked against a direct full-vocabulary computation."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from pipeline.similarity import counter_cosine, tfidf_cosine

BAGS = [
    Counter({"quake": 2, "iran": 1, "sunday": 1}),
    Counter({"quake": 1, "iran": 1, "qeshm": 3}),
    Counter({"patch": 1, "microsoft": 2}),
    Counter(),
    Counter({"quake": 1, "patch": 1, "unique": 5}),
]


def _direct(bags: list[Counter], sharp: bool) -> np.ndarray:
    n = len(bags)
    df = Counter(t for b in bags for t in b)
    vocab = sorted(df)
    rows = []
    for b in bags:
        row = []
        for t in vocab:
            ratio = (1 + n) / (1 + df[t])
            idf = math.log(ratio + 1) if sharp else math.log(ratio) + 1
            row.append((1 + math.log(b[t])) * idf if b[t] else 0.0)
        norm = math.sqrt(sum(v * v for v in row)) or 1.0
        rows.append([v / norm for v in row])
    m = np.array(rows)
    return m @ m.T


def test_matches_the_full_vocabulary_computation_off_the_diagonal():
    for sharp in (False, True):
        sim = tfidf_cosine(BAGS, sharp_idf=sharp)
        expected = _direct(BAGS, sharp)
        off = ~np.eye(len(BAGS), dtype=bool)
        assert np.allclose(sim[off], expected[off])
        assert sim.diagonal().tolist() == [1.0, 1.0, 1.0, 0.0, 1.0]
    assert 0.2 < tfidf_cosine(BAGS)[0, 1] < 0.6
    assert tfidf_cosine(BAGS)[0, 2] == 0.0


def test_a_term_in_every_bag_weighs_log_2_with_the_sharp_idf():
    bags = [Counter({"talks": 1, "a": 1}), Counter({"talks": 1, "b": 1})]
    # both words weigh the same: the cosine is the share of "talks" in each vector
    smooth_talks, smooth_rare = 1.0, math.log(3 / 2) + 1.0
    sharp_talks, sharp_rare = math.log(2.0), math.log(3 / 2 + 1.0)
    for sharp, (t, r) in ((False, (smooth_talks, smooth_rare)), (True, (sharp_talks, sharp_rare))):
        assert math.isclose(tfidf_cosine(bags, sharp_idf=sharp)[0, 1], t * t / (t * t + r * r))


def test_binary_ignores_counts_and_float32_is_kept():
    many = [Counter({"x": 9, "y": 1}), Counter({"x": 1, "y": 1}), Counter({"z": 1})]
    sim = tfidf_cosine(many, binary=True, dtype=np.float32)
    assert sim.dtype == np.float32
    assert abs(float(sim[0, 1]) - 1.0) < 1e-6


def test_counter_cosine():
    assert counter_cosine({"a": 1.0}, {"a": 2.0}) == 1.0
    assert counter_cosine({"a": 1.0}, {"b": 1.0}) == 0.0
    assert counter_cosine({}, {"a": 1.0}) == 0.0
