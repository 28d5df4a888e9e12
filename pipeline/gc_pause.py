"""Python's cyclic garbage collector paused over allocation-heavy corpus passes.

Reference counting frees almost everything these passes let go of; the cyclic collector only
finds reference cycles, and it runs after every few hundred new container objects, scanning
them, and every tenth of those scans all older ones. A pass that builds hundreds of thousands
of small dicts, tuples and dataclasses (term bags, local events, name records) triggers
thousands of collections that find almost nothing. Measured on 19,043 Reuters wire articles:
the event step's clustering spent 2.75 s of 19.8 s in 2,964 collections (0.17 s for one
collection at the end instead), canonicalization 1.37 s of 7.7 s, with the same peak memory
either way (817 against 824 MB, 487 against 488 MB). Paused, cycles made during the pass wait
for the first collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block; as it was afterwards (nesting is fine)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def without_cycle_collection(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` run with the cyclic garbage collector paused (:func:`cycle_collection_paused`)."""

    @wraps(func)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with cycle_collection_paused():
            return func(*args, **kwargs)

    return paused
