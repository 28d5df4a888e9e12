"""The cyclic garbage collector is paused inside the corpus passes and restored after them."""

from __future__ import annotations

import gc

import pytest

from pipeline.canonical import canonicalize
from pipeline.dedup import deduplicate
from pipeline.gc_pause import cycle_collection_paused, without_cycle_collection
from pipeline.threads import build_stories


def test_paused_inside_restored_after_also_when_nested_or_raising():
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as the outer one set it
    assert gc.isenabled()
    with pytest.raises(ValueError), cycle_collection_paused():
        raise ValueError("a failing pass")
    assert gc.isenabled()


def test_a_decorated_function_runs_paused_and_keeps_its_name():
    seen = []

    @without_cycle_collection
    def work(x: int) -> int:
        """doc"""
        seen.append(gc.isenabled())
        return x + 1

    assert work(1) == 2 and seen == [False] and gc.isenabled()
    assert work.__name__ == "work" and work.__doc__ == "doc"


def test_the_corpus_passes_are_the_paused_ones():
    for func in (canonicalize, deduplicate, build_stories):
        assert func.__wrapped__ is not None  # functools.wraps of without_cycle_collection
