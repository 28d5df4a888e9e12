"""The shared TF-IDF cosine, checked against a direct full-vocabulary computation."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import scipy.sparse as sp

from pipeline import similarity
from pipeline.similarity import (
    candidate_pairs,
    counter_cosine,
    normalize_rows,
    pair_cosines,
    similar_pairs,
    strongest_pairs,
    tfidf_cosine,
    tfidf_matrix,
)

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


def _random_rows(n: int = 120, seed: int = 0) -> list[Counter]:
    """Bags drawn from a few topics plus common words, like articles of a small feed."""
    rng = np.random.default_rng(seed)
    topics = [[f"t{t}w{w}" for w in range(12)] for t in range(8)]
    common = [f"c{w}" for w in range(6)]
    bags = []
    for _ in range(n):
        topic = topics[rng.integers(len(topics))]
        words = list(rng.choice(topic, 4)) + list(rng.choice(common, 3)) + [f"u{rng.integers(300)}"]
        bags.append(Counter({w: float(rng.integers(1, 4)) for w in words}))
    return bags


def _brute_force(matrix, lo, hi) -> set[tuple[int, int]]:
    dense = (matrix @ matrix.T).toarray()
    lo = np.where(np.isnan(lo), -np.inf, lo)
    hi = np.where(np.isnan(hi), np.inf, hi)
    n = len(dense)
    return {
        (i, j)
        for i in range(n)
        for j in range(i + 1, n)
        if dense[i, j] > 0 and lo[i] <= hi[j] and lo[j] <= hi[i]
    }


def test_sparse_rows_give_the_dense_cosines():
    bags = _random_rows()
    rows = tfidf_matrix(bags, sharp_idf=True)
    dense = tfidf_cosine(bags, sharp_idf=True)
    off = ~np.eye(len(bags), dtype=bool)
    assert np.allclose((rows @ rows.T).toarray()[off], dense[off])
    first, second = np.array([0, 5, 7]), np.array([3, 5, 100])
    assert np.allclose(pair_cosines(rows, first, second), [dense[0, 3], 1.0, dense[7, 100]])


def test_without_a_cap_the_candidates_are_the_overlapping_pairs_sharing_a_term():
    bags = _random_rows()
    rows = tfidf_matrix(bags)
    rng = np.random.default_rng(1)
    lo = rng.uniform(0, 400, len(bags))
    hi = lo + rng.uniform(0, 90, len(bags))
    lo[rng.random(len(bags)) < 0.2] = np.nan  # open-ended and undated items meet everything
    hi[rng.random(len(bags)) < 0.1] = np.nan
    for width in (None, 30.0, 1000.0):
        first, second = candidate_pairs(rows, len(bags), spans=(lo, hi), width=width)
        found = list(zip(first.tolist(), second.tolist(), strict=True))
        assert len(found) == len(set(found))  # each pair once
        assert set(found) == _brute_force(rows, lo, hi)


def test_only_terms_rare_enough_make_a_candidate_but_all_terms_count_in_its_cosine():
    bags = [Counter({"said": 1, "quake": 1, "qeshm": 1}), Counter({"said": 1, "quake": 1})]
    bags += [Counter({"said": 1, "talks": 1}) for _ in range(5)]
    rows = tfidf_matrix(bags)
    first, second, sims = similar_pairs(rows, 0.0, max_df=2)
    assert list(zip(first, second, strict=True)) == [(0, 1)]  # "said" is in all 7
    assert np.isclose(sims[0], tfidf_cosine(bags)[0, 1])
    # A rare term that makes too little of the cosine does not make a candidate either.
    assert len(similar_pairs(rows, 0.0, max_df=2, min_rare=0.9)[0]) == 0


def test_scores_are_exact_and_a_row_limit_keeps_each_rows_strongest(monkeypatch):
    from pipeline import similarity

    bags = _random_rows(200, seed=3)
    rows = tfidf_matrix(bags)
    dense = (rows @ rows.T).toarray()
    first, second, sims = similar_pairs(rows, 0.2, max_df=len(bags))
    assert np.allclose(sims, dense[first, second])
    assert set(zip(first.tolist(), second.tolist(), strict=True)) == {
        (i, j) for i in range(200) for j in range(i + 1, 200) if dense[i, j] >= 0.2
    }
    kept = strongest_pairs(first, second, sims, 3)
    expected = set()
    for row in range(200):  # each row's three strongest pairs (ties: lower partner first)
        mine = [
            (-s, b if a == row else a, (a, b))
            for a, b, s in zip(first.tolist(), second.tolist(), sims.tolist(), strict=True)
            if row in (a, b)
        ]
        expected |= {pair for _, _, pair in sorted(mine)[:3]}
    assert set(zip(kept[0].tolist(), kept[1].tolist(), strict=True)) == expected
    # Cutting down to the strongest pairs as they come gives the same as at the end.
    monkeypatch.setattr(similarity, "PRODUCT_ROWS", 16)
    monkeypatch.setattr(similarity, "PRUNE_FACTOR", 0)
    pruned = similar_pairs(rows, 0.2, max_df=len(bags), keep=3)
    assert sorted(zip(*pruned, strict=True)) == sorted(zip(*kept, strict=True))


def test_strongest_pairs_break_ties_by_the_lower_partner_and_keep_the_pair_order():
    rng = np.random.default_rng(7)
    for keep in (1, 2, 5):
        first = rng.integers(0, 40, 600)
        second = rng.integers(0, 40, 600)
        first, second = np.minimum(first, second), np.maximum(first, second)
        distinct = np.unique(np.c_[first, second][first != second], axis=0)
        first, second = distinct[:, 0], distinct[:, 1]
        sims = np.round(rng.random(len(first)), 1)  # many ties
        kept = strongest_pairs(first, second, sims, keep)
        expected = set()
        for row in range(40):
            mine = [
                (-s, b if a == row else a, (a, b))
                for a, b, s in zip(first.tolist(), second.tolist(), sims.tolist(), strict=True)
                if row in (a, b)
            ]
            expected |= {pair for _, _, pair in sorted(mine)[:keep]}
        pairs = list(zip(kept[0].tolist(), kept[1].tolist(), strict=True))
        assert set(pairs) == expected
        given = zip(first.tolist(), second.tolist(), strict=True)
        assert pairs == [p for p in given if p in expected]  # in the order given
        assert kept[0].dtype == first.dtype and kept[2].dtype == sims.dtype


def test_normalize_rows_by_blocks_is_bit_for_bit_the_whole_matrix_at_once(monkeypatch):
    rng = np.random.default_rng(7)
    matrix = sp.random(400, 60, density=0.2, random_state=3, format="csr")
    matrix.data *= rng.integers(1, 1000, size=matrix.nnz)
    dense = matrix.toarray()
    dense[5] = 0  # an empty row stays empty
    matrix = sp.csr_matrix(dense)
    whole = normalize_rows(matrix)  # one block: the default holds a million values
    monkeypatch.setattr(similarity, "BLOCK_NONZEROS", 7)
    blocks = normalize_rows(matrix)
    assert np.array_equal(whole.data, blocks.data)
    assert np.array_equal(whole.indices, blocks.indices)
    assert blocks[5].nnz == 0
    lengths = np.sqrt(np.asarray(blocks.multiply(blocks).sum(axis=1)).ravel())
    assert np.allclose(lengths[blocks.getnnz(axis=1) > 0], 1.0)
