"""The batched queue of _linked_linkage gives the current pairs in the order of one heap of all
pairs with out-of-date entries skipped, so the merges are the same."""

import heapq

import numpy as np

from benchmarks.whole_archive_linkage import _Queue


def _replay(seed: int) -> tuple[list, list]:
    """Random pushes, pops and merges on _Queue and on a plain heap of every pair."""
    rng = np.random.default_rng(seed)
    n = 40
    version = [0] * n
    queue = _Queue(version)
    heap: list[tuple] = []
    got, expected = [], []

    def push(owner: int, others: np.ndarray, negated: np.ndarray) -> None:
        queue.push(owner, others, negated)
        for k, neg in zip(others.tolist(), negated.tolist(), strict=True):
            low, high = min(owner, k), max(owner, k)
            heapq.heappush(heap, (neg, low, high, version[low], version[high]))

    for owner in range(n):
        others = rng.choice(n, size=rng.integers(0, 6), replace=False)
        others = others[others > owner]
        push(owner, others, -rng.choice([0.2, 0.3, 0.5], size=len(others)))  # ties
    for _ in range(400):
        if not heap:
            break
        while queue:
            neg, a, b, current = queue.pop()
            if current:
                got.append((neg, a, b))
                break
        while heap:
            neg, a, b, va, vb = heapq.heappop(heap)
            if va == version[a] and vb == version[b]:
                expected.append((neg, a, b))
                break
        if got and rng.random() < 0.6:  # a merge: both change, the lower one pushes anew
            a, b = got[-1][1], got[-1][2]
            version[a] += 1
            version[b] += 1
            others = np.setdiff1d(rng.choice(n, size=rng.integers(0, 8)), [a, b])
            push(a, others, -rng.choice([0.2, 0.3, 0.4, 0.5], size=len(others)))
    return got, expected


def test_current_pairs_come_out_in_the_order_of_one_heap():
    for seed in range(30):
        got, expected = _replay(seed)
        assert got == expected
        assert len(got) > 5
