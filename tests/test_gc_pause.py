"""The cyclic garbage collector is paused inside the corpus passes and restored after them."""

from __future__ import annotations

import gc

import pytest

from pipeline.canonical import canonicalize
from pipeline.cleaning_cache import clean_corpus
from pipeline.dedup import deduplicate
from pipeline.digest import render_digest
from pipeline.events import attach_participants
from pipeline.gc_pause import cycle_collection_paused, without_cycle_collection
from pipeline.quality import validate_frame
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


def test_the_step_process_passes_are_the_paused_ones():
    passes = (
        canonicalize,
        clean_corpus,
        deduplicate,
        render_digest,
        attach_participants,
        validate_frame,
        build_stories,
    )
    for func in passes:
        assert func.__wrapped__ is not None  # functools.wraps of without_cycle_collection
