"""A full disk: the run fails with a clear error, the published file stays as it was, and the
next run publishes what an uninterrupted full rebuild would.

The disk fills (``ENOSPC``, injected at one fault point) while a step writes its table — the
first step, a late one — and while the new published file is being written.
"""

from __future__ import annotations

import pytest

from pipeline.report import summarize
from tests.conftest import run_pipeline
from tests.faults import (
    assert_equals_full_rebuild,
    copy_state,
    drop_in_later_files,
    inject,
    published_seeds,
    tmp_files,
)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("disk_base")
    published_seeds(base, held_back=2)
    return base


@pytest.mark.parametrize(
    "point", ["write:raw_articles", "write:event_mentions", "publish:copy:entity_mentions"]
)
def test_full_disk_fails_cleanly_and_next_run_catches_up(published, tmp_path, monkeypatch, point):
    articles, db = copy_state(published, tmp_path / "state")
    drop_in_later_files(articles)
    before = db.read_bytes()
    inject(monkeypatch, {point: "enospc"})
    full_disk = run_pipeline(articles, db)

    assert not full_disk.result.success
    report = summarize(str(db), full_disk.result, 1.0)
    assert "No space left on device" in report, report
    assert "still holds the tables of an earlier run" in report
    assert db.read_bytes() == before
    assert tmp_files(db) == []

    monkeypatch.delenv("WIREHOUSE_FAULT")
    again = run_pipeline(articles, db)
    assert again.result.success
    assert_equals_full_rebuild(db, articles, tmp_path)
