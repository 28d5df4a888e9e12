"""The day-by-day story gathering resumed from a checkpoint ends as a run from the first day."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pytest

from pipeline.gathering import GatheringMemory, canonical_rows, gather_resuming
from pipeline.gathering_store import GatheringStore
from pipeline.online_gathering import canonical_order
from pipeline.similarity import TermTable

THRESHOLD = 0.1
START = date(2024, 3, 1)


def _corpus(days: int, per_day: int = 6, seed: int = 7):
    """Reports of a few running stories over ``days`` days: each story has its own rare words
    and shares common ones with the rest, so some reports gather and some do not."""
    rng = np.random.default_rng(seed)
    common = [f"common{k}" for k in range(200)]
    stories = {s: [f"s{s}w{k}" for k in range(12)] for s in range(8)}
    keys, bags, published, windows = [], [], [], []
    for day in range(days):
        for k in range(per_day):
            story = int(rng.integers(0, 8))
            words = list(rng.choice(stories[story], 6, replace=False))
            words += list(rng.choice(common, 3, replace=False))
            words += [f"noise{day}_{k}_{j}" for j in range(int(rng.integers(0, 3)))]
            bag = {w: float(rng.integers(1, 4)) for w in words}
            keys.append(f"a{day:03d}{k:02d}{story}")
            bags.append(bag)
            published.append(START + timedelta(days=day))
            windows.append(None)
    return keys, bags, published, windows


def _gather(keys, bags, published, windows, memory=None, threshold=THRESHOLD):
    """As story_clusters calls it: rows in article_id order."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    table = TermTable()
    for i in order:
        table.add(bags[i])
    dates = [published[i] for i in order]
    canonical = canonical_order(dates)
    labels = gather_resuming(
        canonical_rows(table.tf_counts(), table.terms(), canonical),
        canonical,
        [keys[i] for i in order],
        threshold,
        [published[i] for i in order],
        [windows[i] for i in order],
        memory,
    )
    by_key = {keys[i]: labels[k] for k, i in enumerate(order)}
    return _partition(by_key)


def _partition(label_of: dict[str, int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = {}
    for key, label in label_of.items():
        groups.setdefault(label, set()).add(key)
    return {frozenset(g) for g in groups.values()}


def _first(corpus, n):
    return tuple(part[:n] for part in corpus)


def test_the_gathering_groups_reports_of_one_story_and_keeps_others_apart():
    keys, bags, published, windows = _corpus(6)
    groups = _gather(keys, bags, published, windows)
    assert 1 < len(groups) < len(keys)
    for group in groups:  # the story number is the key's last digit
        assert len({key[-1] for key in group}) == 1


def test_a_new_day_resumes_from_the_last_runs_end_with_the_groups_of_a_rebuild():
    corpus = _corpus(10)
    memory = GatheringMemory()
    _gather(*_first(corpus, 9 * 6), memory=memory)
    assert memory.resumed_at == 0 and memory.total == 54
    resumed = _gather(*corpus, memory=memory)
    assert memory.resumed_at == 54  # only the tenth day was gathered
    assert resumed == _gather(*corpus)


def test_one_more_report_on_the_last_day_replays_that_day_only():
    corpus = _corpus(10)
    memory = GatheringMemory()
    _gather(*_first(corpus, 59), memory=memory)
    resumed = _gather(*corpus, memory=memory)
    assert memory.resumed_at == 54
    assert resumed == _gather(*corpus)


def test_a_changed_old_report_replays_from_a_checkpoint_before_it():
    keys, bags, published, windows = _corpus(40)
    memory = GatheringMemory()
    _gather(keys, bags, published, windows, memory=memory)
    changed = [dict(b) for b in bags]
    changed[30 * 6 + 2] = {**changed[30 * 6 + 2], "edited": 2.0}  # day 30 of 40
    resumed = _gather(keys, changed, published, windows, memory=memory)
    assert memory.first_changed == 30 * 6 + 2
    # Checkpoints 0, 1, 2, 4, 8, 16, 32 days before the end (days 40, 39, 38, 36, 32, 24, 8)
    # and at the first day start after each sixteenth of the 240 articles (15, 30, ...,
    # 225): the latest before the change is at the start of day 30 (the twelfth sixteenth).
    assert memory.resumed_at == 30 * 6
    assert resumed == _gather(keys, changed, published, windows)


def test_a_backfilled_older_report_is_gathered_where_it_belongs():
    keys, bags, published, windows = _corpus(12)
    late = keys.index(next(k for k in keys if k.startswith("a005")))
    rest = [i for i in range(len(keys)) if i != late]
    memory = GatheringMemory()
    _gather(*([part[i] for i in rest] for part in (keys, bags, published, windows)), memory=memory)
    resumed = _gather(keys, bags, published, windows, memory=memory)
    assert memory.first_changed == late  # the days are in order, the keys in a day too
    assert 0 < memory.resumed_at <= 5 * 6
    assert resumed == _gather(keys, bags, published, windows)


def test_undated_reports_are_gathered_after_the_dated_ones_and_resumed_too():
    keys, bags, published, windows = _corpus(8)
    published = [p if k % 3 else None for k, p in enumerate(published)]
    memory = GatheringMemory()
    _gather(keys[:-1], bags[:-1], published[:-1], windows[:-1], memory=memory)
    resumed = _gather(keys, bags, published, windows, memory=memory)
    assert 0 < memory.resumed_at < len(keys)
    assert resumed == _gather(keys, bags, published, windows)


def test_canonical_columns_of_earlier_articles_do_not_move_when_later_ones_come():
    keys, bags, published, _ = _corpus(5)
    table = TermTable()
    for bag in bags:
        table.add(bag)
    order = np.arange(len(bags))  # already in (date, key) order
    rows = canonical_rows(table.tf_counts(), table.terms(), order)
    fewer = TermTable()
    for bag in bags[:20]:
        fewer.add(bag)
    head = canonical_rows(fewer.tf_counts(), fewer.terms(), order[:20])
    width = head.shape[1]
    assert rows[:20, width:].nnz == 0  # later terms are numbered after the earlier ones'
    same = rows[:20, :width]
    np.testing.assert_array_equal(same.indptr, head.indptr)
    np.testing.assert_array_equal(same.indices, head.indices)
    np.testing.assert_array_equal(same.data, head.data)  # bit for bit
    first = rows[0]
    assert sorted(first.indices.tolist()) == list(range(len(bags[0])))  # numbered first
    np.testing.assert_allclose(np.sqrt((rows.multiply(rows)).sum(axis=1)).A1, 1.0)


def test_checkpoints_survive_the_working_database(tmp_path):
    corpus = _corpus(10)
    memory = GatheringMemory()
    _gather(*_first(corpus, 54), memory=memory)
    path = tmp_path / "work.duckdb"
    with duckdb.connect(str(path)) as con:
        GatheringStore(con).store(memory)
    with duckdb.connect(str(path)) as con:
        read = GatheringStore(con).read()
    assert [c.position for c in read.checkpoints] == [c.position for c in memory.checkpoints]
    for a, b in zip(read.checkpoints, memory.checkpoints, strict=True):
        assert a.prefix == b.prefix
        for name in ("cluster_ids", "lengths", "members"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(read.links, memory.links)
    resumed = _gather(*corpus, memory=read)
    assert read.resumed_at == 54
    assert resumed == _gather(*corpus)


def test_checkpoints_made_with_another_threshold_are_not_resumed_from():
    corpus = _corpus(10)
    memory = GatheringMemory()
    _gather(*_first(corpus, 54), memory=memory, threshold=0.3)
    resumed = _gather(*corpus, memory=memory)
    assert memory.first_changed == 54 and memory.resumed_at == 0
    assert resumed == _gather(*corpus)


def test_checkpoints_of_another_version_are_not_read(tmp_path, monkeypatch):
    corpus = _corpus(4)
    memory = GatheringMemory()
    _gather(*corpus, memory=memory)
    with duckdb.connect(str(tmp_path / "work.duckdb")) as con:
        GatheringStore(con).store(memory)
        monkeypatch.setattr("pipeline.gathering_store.VERSION", "another")
        assert GatheringStore(con).read().checkpoints == []


@pytest.mark.parametrize("days", [1, 3])
def test_an_empty_or_tiny_archive_is_gathered(days):
    assert _gather([], [], [], [], GatheringMemory()) == set()
    keys, bags, published, windows = _corpus(days, per_day=1)
    assert len(_gather(keys, bags, published, windows, GatheringMemory())) >= 1
