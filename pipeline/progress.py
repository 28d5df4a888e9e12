"""Progress lines for long steps: done/total, rate and time left, at most every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    """Reports through ``log`` (the run log) while a step works through ``total`` items.

    When items differ in cost and do not come in a random order (NER takes the longest texts
    first), ``total_work`` and each ``advance``'s ``work`` (any unit: characters) make the time
    left the share of the work left, not of the items.
    """

    def __init__(
        self,
        what: str,
        total: int,
        log: Callable[[str], None],
        unit: str = "articles",
        every_s: float = 5.0,
        total_work: float | None = None,
    ) -> None:
        self.what, self.total, self.log, self.unit, self.every_s = what, total, log, unit, every_s
        self.total_work = total_work
        self.done = 0
        self.work_done = 0.0
        self.started = time.monotonic()
        self.last = self.started

    def advance(self, n: int, work: float | None = None) -> None:
        self.done += n
        self.work_done += n if work is None else work
        now = time.monotonic()
        if now - self.last >= self.every_s or self.done >= self.total:
            self.last = now
            self.log(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self.started, 1e-9)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        if self.total_work and self.work_done > 0:
            left = elapsed * max(self.total_work - self.work_done, 0.0) / self.work_done
        share = 100.0 * self.done / self.total if self.total else 100.0
        return (
            f"{self.what}: {self.done:,}/{self.total:,} {self.unit} ({share:.0f} %), "
            f"{rate:,.1f} {self.unit}/s, {_duration(left)} left"
        )


def _duration(seconds: float) -> str:
    if seconds != seconds:  # NaN: no rate yet
        return "unknown time"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
