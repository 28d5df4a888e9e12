"""A failing quality gate stops downstream steps and leaves the published tables as they were."""

from __future__ import annotations

import shutil

import dagster as dg
import pandas as pd

from assets.definitions import build_definitions
from tests.conftest import SEEDS, run_pipeline, snapshot


def test_failed_gate_blocks_downstream_and_keeps_published_tables(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    db = tmp_path / "news.duckdb"
    first = run_pipeline(articles, db)
    assert first.result.success
    before = snapshot(db)
    mtime = db.stat().st_mtime_ns

    # A feed that turns to garbage: every article replaced by unusable files.
    shutil.rmtree(articles)
    articles.mkdir()
    (articles / "empty.txt").write_bytes(b"")
    (articles / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    second = run_pipeline(articles, db)

    assert not second.result.success
    evaluations = {e.check_name: e for e in second.result.get_asset_check_evaluations()}
    gate = evaluations["articles_quality"]
    assert not gate.passed
    failed = [r for r in gate.metadata["results"].data if not r["success"]]
    assert [r["expectation"] for r in failed] == ["expect_table_row_count_to_be_between"]

    materialized = {
        e.asset_key.to_user_string() for e in second.result.get_asset_materialization_events()
    }
    assert "raw_articles" in materialized and "articles" in materialized
    for downstream in ("ner_spans", "entities", "events", "news_database"):
        assert downstream not in materialized

    assert db.stat().st_mtime_ns == mtime
    after = snapshot(db)
    for name, table in before.items():
        pd.testing.assert_frame_equal(table, after[name], obj=name)

    # A partial launch after the failure: publishing alone must refuse, naming the gate.
    job = build_definitions(str(articles), str(db)).resolve_job_def("process_files")
    alone = job.execute_in_process(
        asset_selection=[dg.AssetKey("news_database")], raise_on_error=False
    )
    assert not alone.success
    failure = next(e for e in alone.all_events if e.event_type_value == "STEP_FAILURE")
    assert "gate articles_quality failed" in str(failure.event_specific_data.error)
    assert db.stat().st_mtime_ns == mtime


def test_publish_refuses_a_state_whose_gates_did_not_run(tmp_path):
    """Materializing news_database on a working state no gate has seen publishes nothing."""
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    db = tmp_path / "news.duckdb"
    job = build_definitions(str(articles), str(db)).resolve_job_def("process_files")
    upstream = [dg.AssetKey(k) for k in ("raw_articles", "articles", "quarantine")]
    partial = job.execute_in_process(asset_selection=upstream, raise_on_error=False)
    assert partial.success
    alone = job.execute_in_process(
        asset_selection=[dg.AssetKey("news_database")], raise_on_error=False
    )
    assert not alone.success
    failure = next(e for e in alone.all_events if e.event_type_value == "STEP_FAILURE")
    assert "has not run on the working tables" in str(failure.event_specific_data.error)
    assert not db.exists()
