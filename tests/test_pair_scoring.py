"""Scoring candidate pairs: the vectorised dot products and the bound that skips pairs give
bit for bit what scoring every candidate a first row at a time gives."""

import numpy as np
import pytest
import scipy.sparse as sp

from pipeline import similarity
from pipeline.similarity import (
    _pair_dots,
    _pair_dots_by_row,
    normalize_rows,
    similar_pairs,
)


def _rows(seed: int, n: int = 200, width: int = 600) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    return normalize_rows(
        sp.random(n, width, density=rng.uniform(0.005, 0.1), format="csr", random_state=seed)
    )


@pytest.mark.parametrize("cells", [1 << 22, 64, 1])
def test_pair_dots_equal_the_row_by_row_sums_exactly(monkeypatch, cells):
    monkeypatch.setattr(similarity, "DENSE_CELLS", cells)
    monkeypatch.setattr(similarity, "PRODUCT_TERMS", 97)
    rng = np.random.default_rng(cells)
    for seed in range(10):
        rows = _rows(seed)
        first = rng.integers(0, rows.shape[0], 3000)
        second = rng.integers(0, rows.shape[0], 3000)
        fast = _pair_dots(rows, first, second)
        assert np.array_equal(fast, _pair_dots_by_row(rows, first, second))


def test_pair_dots_of_empty_inputs():
    rows = _rows(0)
    none = np.zeros(0, dtype=np.int64)
    assert len(_pair_dots(rows, none, none)) == 0
    empty = sp.csr_matrix((3, 4))
    assert np.array_equal(_pair_dots(empty, np.array([0, 1]), np.array([2, 2])), [0.0, 0.0])


@pytest.mark.parametrize("threshold", [0.0, 0.05, 0.1, 0.3])
def test_the_bound_leaves_out_no_pair_at_the_threshold(monkeypatch, threshold):
    for seed in range(5):
        rows = _rows(seed, n=300, width=400)
        spans = (np.arange(300) % 40 * 10.0, np.arange(300) % 40 * 10.0 + 30.0)
        for options in ({}, {"spans": spans, "width": 50.0}, {"min_rare": 0.02, "keep": 3}):
            bounded = similar_pairs(rows, threshold, 20, **options)
            with monkeypatch.context() as m:
                m.setattr(similarity, "BOUND_SLACK", np.inf)  # every candidate scored
                every = similar_pairs(rows, threshold, 20, **options)
            for got, expected in zip(bounded, every, strict=True):
                assert np.array_equal(got, expected)
