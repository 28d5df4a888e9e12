"""No silent shrinkage: rows may leave the published file only with the files they came from."""

from __future__ import annotations

import pytest

from assets.run import materialize_all
from tests.conftest import run_pipeline, snapshot
from tests.faults import assert_equals_full_rebuild, copy_state, inject, published_seeds

LOSE_THREE_ARTICLES = (
    "sql:DELETE FROM raw_articles WHERE source_path IN "
    "(SELECT source_path FROM raw_articles ORDER BY source_path LIMIT 3)"
)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("shrink_base")
    published_seeds(base)
    return base


def _failure(result) -> str:
    event = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert event.step_key == "news_database"
    return str(event.event_specific_data.error)


def test_deleted_files_are_retired_and_publish_succeeds(published, tmp_path):
    articles, db = copy_state(published, tmp_path / "state")
    files = sorted(articles.glob("*.txt"))
    for gone in files[:3]:  # 60 % of the articles: far beyond the shrink limit, but explained
        gone.unlink()
    run = run_pipeline(articles, db)
    assert run.result.success
    raw = run.result.asset_materializations_for_node("raw_articles")[0].metadata
    assert raw["retired_files"].value == sorted(f.name for f in files[:3])
    publish = run.result.asset_materializations_for_node("news_database")[0].metadata
    assert publish["shrunk_tables"].value["raw_articles"] == [5, 2]
    assert set(run.query("SELECT source_path FROM articles")["source_path"]) == {
        f.name for f in files[3:]
    }


def test_unexplained_shrink_fails_and_keeps_the_published_file(published, tmp_path, monkeypatch):
    """A working state that lost rows of files still on disk (a crash between two commits, a
    misread folder) passes every gate, since it is consistent; the shrink gate stops it."""
    articles, db = copy_state(published, tmp_path / "state")
    before = db.read_bytes()
    inject(monkeypatch, {"write:raw_articles": LOSE_THREE_ARTICLES})
    lossy = run_pipeline(articles, db)
    assert not lossy.result.success
    failed_checks = [e for e in lossy.result.get_asset_check_evaluations() if not e.passed]
    assert failed_checks == []  # consistent: no gate sees anything wrong
    message = _failure(lossy.result)
    assert "raw_articles would shrink from 5 to 2 rows (60%)" in message
    assert "only 0 of the lost rows came from input files that are gone or rewritten" in message
    assert "articles would shrink" in message and "--rescan-all" in message
    assert db.read_bytes() == before

    monkeypatch.delenv("WIREHOUSE_FAULT")
    still = run_pipeline(articles, db)  # the files look unchanged: nothing re-reads them
    assert not still.result.success and "would shrink" in _failure(still.result)
    assert db.read_bytes() == before

    repaired = materialize_all(str(articles), str(db), rescan_all=True)
    assert repaired.success
    assert len(snapshot(db)["articles"]) == 5
    assert_equals_full_rebuild(db, articles, tmp_path)


def test_the_limit_can_be_raised_to_accept_a_loss_once(published, tmp_path, monkeypatch):
    articles, db = copy_state(published, tmp_path / "state")
    inject(monkeypatch, {"write:raw_articles": LOSE_THREE_ARTICLES})
    monkeypatch.setenv("WIREHOUSE_MAX_SHRINK_SHARE", "1")
    accepted = run_pipeline(articles, db)
    assert accepted.result.success
    assert len(snapshot(db)["raw_articles"]) == 2
