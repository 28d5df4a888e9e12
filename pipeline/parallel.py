"""Per-article pure-Python work (cleaning, event-word detection) on every core of a big batch.

Cleaning and event detection are plain functions of one article each and hold the GIL, so a
cold run over thousands of articles spends seconds on one core while the other idles. Chunks
go to forked worker processes and come back in order, so the result is exactly the serial one;
each chunk is still committed by the caller as it arrives, so a killed run keeps what it did.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

# Below this many items a batch stays in the calling process: at ~0.5 ms of work per article,
# 500 articles take ~0.25 s, about what forking workers and shipping results back costs.
PARALLEL_MIN_ITEMS = 500
MAX_PROCESSES = 4  # the pure-Python steps are short; more workers mostly add start-up


def processes_for(n_items: int) -> int:
    """One process per core (at most MAX_PROCESSES) for a big batch, else one."""
    if n_items < PARALLEL_MIN_ITEMS:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


def ordered_map(
    func: Callable[[Chunk], Result], chunks: Iterable[Chunk], processes: int
) -> Iterator[Result]:
    """``func`` of each chunk, in the chunks' order, computed by ``processes`` workers.

    ``chunks`` is read lazily, from the caller's thread only (it may read a database
    connection, which is not for sharing between threads), at most two chunks per worker ahead
    of the results taken, so memory holds a few chunks, not the batch. Workers are forked (they
    inherit the loaded rules and never touch the caller's connection) and exit without running
    the parent's clean-up. With one process, no worker.
    """
    if processes <= 1:
        yield from map(func, chunks)
        return
    pending: deque = deque()
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for chunk in chunks:
            pending.append(pool.apply_async(func, (chunk,)))
            if len(pending) >= 2 * processes:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
