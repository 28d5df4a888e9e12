"""Running twice on the same input yields the same tables, row for row."""

from __future__ import annotations

import shutil

import pandas as pd

from tests.conftest import SEEDS, run_pipeline, snapshot


def test_second_run_on_same_input_changes_nothing(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    db = tmp_path / "news.duckdb"
    assert run_pipeline(articles, db).result.success
    first = snapshot(db)
    assert run_pipeline(articles, db).result.success
    second = snapshot(db)
    for name, table in first.items():
        pd.testing.assert_frame_equal(table, second[name], obj=name)
    assert len(first["raw_articles"]) == 5
    assert len(first["stories"]) >= 1  # compared above like every published table
    assert set(first["events"]["story_id"]) == set(first["stories"]["story_id"])


def test_fresh_database_gives_same_content_apart_from_timestamps(tmp_path, seed_run):
    db = tmp_path / "other.duckdb"
    assert run_pipeline(seed_run.articles_dir, db).result.success
    ours, theirs = snapshot(db), snapshot(seed_run.db_path)
    for name in ours:
        a = ours[name].drop(columns=["ingested_at", "first_seen"], errors="ignore")
        b = theirs[name].drop(columns=["ingested_at", "first_seen"], errors="ignore")
        pd.testing.assert_frame_equal(a, b, obj=name)
