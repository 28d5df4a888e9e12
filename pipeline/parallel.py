"""Per-article work (cleaning, event words, NER) on every core of a big batch.

Cleaning, event detection and NER are plain functions of one article each and hold the GIL, so
on one core a cold run over thousands of articles leaves the other idle. Chunks of articles go
to worker processes and come back in order, so the result is exactly the serial one; the caller
still commits each chunk as it arrives, so a killed run keeps what it did.

Workers are fresh interpreters (``python -m pipeline.parallel``) that import only the module of
the function they run, not forks of the step process: a forked child shares the parent's pages
but is charged all of them (a step process holding Dagster, Great Expectations and the corpus
is ~0.6 GB, and every forked worker showed as much again), and multiprocessing's spawn and
forkserver start-up re-run the parent's ``__main__`` (Dagster's CLI) in every worker. Calls and
results travel as pickles over the worker's stdin and a private copy of its stdout; anything a
library prints goes to stderr.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from queue import Queue
from typing import IO, Any

# Below this many items a batch stays in the calling process: a worker starts in ~0.5 s (Python
# and pandas), about what one core spends cleaning or scanning 1,000 wire articles.
PARALLEL_MIN_ITEMS = 2000
MAX_PROCESSES = 4  # each NER worker holds its own model (~0.2 GB)
AHEAD_PER_WORKER = 2  # chunks sent to a worker at a time: it never waits for work
# Results held while an earlier chunk is still being worked on: chunks are small (spans, cleaned
# texts of at most a few hundred articles), and a full buffer stops the other workers.
MAX_BUFFERED_PER_WORKER = 16
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


def processes_for(n_items: int, minimum: int | None = None) -> int:
    """One process per core (at most MAX_PROCESSES) for a big batch, else one."""
    if n_items < (PARALLEL_MIN_ITEMS if minimum is None else minimum):
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_PROCESSES))


class WorkerError(RuntimeError):
    """A worker process failed a call or died; the message carries its traceback."""


def ordered_map(func: Callable[[Any], Any], chunks: Iterable[Any], processes: int) -> Iterator[Any]:
    """``func`` of each chunk, in the chunks' order, computed by ``processes`` workers.

    ``func`` must be a module-level function (workers import it by name). ``chunks`` is read
    lazily from the caller's thread only (it may read a database connection, which is not for
    sharing between threads). Each chunk goes to whichever worker is free, not in turn: chunks
    differ in cost (NER on the longest wire articles costs several times a chunk of briefs),
    and handing them out in turn left one core idle for 14 s of a 35 s NER pass over 4,000
    articles. At most AHEAD_PER_WORKER chunks per worker are in flight and MAX_BUFFERED_PER_WORKER
    results per worker wait for an earlier one, so memory holds a few chunks, not the batch.
    With one process, no worker.
    """
    if processes <= 1:
        yield from map(func, chunks)
        return
    target = (func.__module__, func.__qualname__)
    workers = [_Worker() for _ in range(processes)]
    replies: Queue = Queue()
    for index, worker in enumerate(workers):
        threading.Thread(target=worker.forward, args=(index, replies), daemon=True).start()
    try:
        pending = iter(enumerate(chunks))
        in_flight: list[deque[int]] = [deque() for _ in workers]
        done: dict[int, Any] = {}
        wanted, exhausted = 0, False

        def top_up() -> None:
            """Send chunks to the workers with room, the least busy first (so the first, costliest
            chunks go one to each worker), unless the buffer of results is full."""
            nonlocal exhausted
            while not exhausted and len(done) < MAX_BUFFERED_PER_WORKER * processes:
                index = min(range(processes), key=lambda k: len(in_flight[k]))
                if len(in_flight[index]) >= AHEAD_PER_WORKER:
                    return
                item = next(pending, None)
                if item is None:
                    exhausted = True
                    return
                workers[index].send((target, item[1]))
                in_flight[index].append(item[0])

        top_up()
        while wanted in done or any(in_flight):
            if wanted in done:
                yield done.pop(wanted)
                wanted += 1
            else:
                index, status, value = replies.get()
                if status != "ok":
                    raise WorkerError(value)
                done[in_flight[index].popleft()] = value
            top_up()
    finally:
        for worker in workers:
            worker.stop()


class _Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.parallel"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )

    def send(self, message: object) -> None:
        pickle.dump(message, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self.process.stdin.flush()

    def forward(self, index: int, replies: Queue) -> None:
        """Put each reply on ``replies`` as (worker index, status, value), until the worker ends;
        run on a thread of its own, so whichever worker answers first is heard first."""
        while True:
            try:
                status, value = pickle.load(self.process.stdout)
            except (EOFError, OSError, ValueError):  # ended, or closed by stop()
                if self.process.poll() is None:
                    code = self.process.wait()
                else:
                    code = self.process.returncode
                replies.put((index, "died", f"a worker process died (exit code {code})"))
                return
            replies.put(
                (index, status, value if status == "ok" else f"a worker process failed:\n{value}")
            )

    def stop(self) -> None:
        try:
            self.process.stdin.close()  # end of input: the worker exits
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer calls until the input ends; a reader thread keeps draining the input while a
    call runs, so the parent never blocks sending a chunk while this worker sends a result."""
    inbox: Queue = Queue()

    def read() -> None:
        while True:
            try:
                inbox.put(pickle.load(requests))
            except EOFError:
                inbox.put(None)
                return

    threading.Thread(target=read, daemon=True).start()
    functions: dict[tuple[str, str], Callable] = {}
    while (message := inbox.get()) is not None:
        (module, name), chunk = message
        try:
            if (module, name) not in functions:
                functions[(module, name)] = getattr(importlib.import_module(module), name)
            reply = ("ok", functions[(module, name)](chunk))
        except Exception:  # the parent raises it with this traceback
            reply = ("error", traceback.format_exc())
        pickle.dump(reply, replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()


if __name__ == "__main__":
    # Keep the protocol on a private copy of stdout; whatever is printed goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, replies)
