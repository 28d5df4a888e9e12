"""Progress lines: done/total, rate, and a time left that follows the work, not the items."""

from __future__ import annotations

from pipeline import progress as progress_module
from pipeline.progress import Progress


def _clock(monkeypatch, times: list[float]) -> None:
    ticks = iter(times)
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: next(ticks))


def test_time_left_by_items(monkeypatch):
    lines: list[str] = []
    _clock(monkeypatch, [0.0, 30.0])
    p = Progress("cleaning", 4, lines.append, every_s=0)
    p.advance(1)
    assert lines == ["cleaning: 1/4 articles (25 %), 0.0 articles/s, 1.5 min left"]


def test_time_left_by_work_when_costly_items_come_first(monkeypatch):
    """NER takes the longest texts first: one article of four done may be most of the work."""
    lines: list[str] = []
    _clock(monkeypatch, [0.0, 30.0, 40.0])
    p = Progress("NER", 4, lines.append, every_s=0, total_work=100.0)
    p.advance(1, work=75.0)
    assert lines[-1].startswith("NER: 1/4 articles (25 %)")
    assert lines[-1].endswith(", 10 s left")  # 30 s for 75 of 100: 10 s for the other 25
    p.advance(3, work=25.0)
    assert lines[-1].endswith(", 0 s left")
