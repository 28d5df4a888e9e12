"""Incremental runs driven by the real sensor equal one full rebuild, table for table."""

from __future__ import annotations

import os
import shutil
import time

import dagster as dg
import pandas as pd
import pytest

from assets.automation import LAUNCHED_BY, article_files_sensor
from assets.definitions import build_definitions
from pipeline.resources import ArticleFolder, Warehouse
from tests.conftest import SEEDS, run_pipeline, snapshot

TIMESTAMPS = ["ingested_at", "first_seen"]


class Feed:
    """A folder, a Dagster instance and the sensor's cursor, ticked by hand."""

    def __init__(self, folder, db):
        self.folder, self.db = folder, db
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor = None
        self.job = build_definitions(str(folder), str(db)).resolve_job_def("process_files")

    def tick(self):
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={
                "articles_folder": ArticleFolder(path=str(self.folder)),
                "warehouse": Warehouse(database_path=str(self.db)),
            },
        ) as context:
            result = article_files_sensor(context)
        if isinstance(result, dg.SkipReason):
            return []
        self.cursor = result.cursor
        for request in result.run_requests:
            run = self.job.execute_in_process(
                run_config=request.run_config,
                instance=self.instance,
                tags=request.tags,
                raise_on_error=False,
            )
            assert run.success
            self.last_run = run
        return result.run_requests


ID_HISTORY = {"event_id_history", "entity_id_history", "story_id_history"}  # earlier versions


def _without_timestamps(tables):
    return {
        n: t.drop(columns=TIMESTAMPS, errors="ignore")
        for n, t in tables.items()
        if n not in ID_HISTORY
    }


def _assert_same(a, b):
    a, b = _without_timestamps(a), _without_timestamps(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


@pytest.fixture(scope="module")
def fed_one_at_a_time(tmp_path_factory):
    base = tmp_path_factory.mktemp("incremental")
    folder = base / "inbox"
    folder.mkdir()
    feed = Feed(folder, base / "news.duckdb")
    runs_per_file = []
    feed.versions = []  # the published tables after each file
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, folder / seed.name)
        runs_per_file.append(feed.tick())
        feed.versions.append(snapshot(feed.db))
    return feed, runs_per_file


def test_each_new_file_triggers_one_run_that_reads_only_it(fed_one_at_a_time):
    feed, runs_per_file = fed_one_at_a_time
    assert [len(r) for r in runs_per_file] == [1, 1, 1, 1, 1]
    for requests in runs_per_file:
        assert requests[0].tags[LAUNCHED_BY] == "sensor"
        assert requests[0].tags["wirehouse/changes"] == "1 new, 0 changed, 0 deleted"
    read = feed.last_run.asset_materializations_for_node("raw_articles")[0].metadata
    assert read["files_read"].value == 1  # the fifth run read the fifth file only
    assert read["files_in_folder"].value == 5
    assert feed.tick() == []  # unchanged files never trigger twice


def _gathered_again(run) -> int:
    events = next(
        m
        for m in run.asset_materializations_for_node("deduplicated_events")
        if m.asset_key == dg.AssetKey("events")
    )
    return events.metadata["articles_gathered_again"].value


def test_the_story_gathering_resumed_after_the_unchanged_days(fed_one_at_a_time):
    """One seed is dated, four are not; undated articles are gathered last, as one batch. So
    the fifth run resumes after the dated seed from the checkpoint the fourth run left
    (pipeline/gathering.py) and gathers the undated batch again, and still equals a full
    rebuild (next test)."""
    feed, _ = fed_one_at_a_time
    assert _gathered_again(feed.last_run) == 4


DATED = {
    "a_flood.txt": "Floods cut off Brookhaven\nMarch 4, 2024\n\nHeavy rain flooded the coastal "
    "town of Brookhaven on Sunday, and rescue teams evacuated hundreds of residents from the "
    "harbour district, the mayor Ellen Carter said.",
    "b_flood.txt": "Brookhaven floods recede\nMarch 5, 2024\n\nWater levels in Brookhaven fell "
    "on Monday after the floods that forced hundreds of harbour district residents from their "
    "homes, mayor Ellen Carter said, as rescue teams went door to door.",
    "c_fire.txt": "Fire destroys Millford factory\nMarch 5, 2024\n\nA fire destroyed the "
    "Dalton textile factory in Millford on Monday; firefighters fought the blaze for six hours "
    "and no workers were hurt, fire chief Omar Reyes said.",
    "d_fire.txt": "Millford factory fire was arson\nMarch 6, 2024\n\nInvestigators said on "
    "Tuesday that the fire that destroyed the Dalton textile factory in Millford was set "
    "deliberately, fire chief Omar Reyes told reporters.",
}


def test_a_new_days_article_gathers_only_its_day_and_equals_a_rebuild(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in sorted(DATED)[:3]:
        (folder / name).write_text(DATED[name], encoding="utf-8")
    first = run_pipeline(folder, tmp_path / "news.duckdb")
    assert first.result.success and _gathered_again(first.result) == 3
    (folder / "d_fire.txt").write_text(DATED["d_fire.txt"], encoding="utf-8")
    second = run_pipeline(folder, tmp_path / "news.duckdb")
    assert second.result.success
    assert _gathered_again(second.result) == 1  # the new day only
    rebuilt = run_pipeline(folder, tmp_path / "rebuilt.duckdb")
    _assert_same(snapshot(second.db_path), snapshot(rebuilt.db_path))
    stories = second.query("SELECT title, story_id FROM articles ORDER BY title")
    assert stories["story_id"].nunique() == 2  # the floods and the fire


def test_one_at_a_time_equals_all_at_once(fed_one_at_a_time, tmp_path):
    feed, _ = fed_one_at_a_time
    full = run_pipeline(feed.folder, tmp_path / "full.duckdb")
    assert full.result.success
    fed, rebuilt = snapshot(feed.db), snapshot(full.db_path)
    _assert_same(fed, rebuilt)
    # Stories are compared like every table; they are there, one per thread, and every
    # article reporting a happening carries its story, exactly as the rebuild computes it.
    assert len(fed["stories"]) >= 1
    assert fed["stories"]["n_events"].sum() == len(fed["events"])
    assert fed["articles"]["story_id"].notna().sum() == 5


def test_changed_and_deleted_files(tmp_path):
    folder = tmp_path / "inbox"
    shutil.copytree(SEEDS, folder)
    feed = Feed(folder, tmp_path / "news.duckdb")
    assert len(feed.tick()) == 1  # five new files: one run
    names = sorted(p.name for p in folder.iterdir())

    changed = folder / names[1]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nA new closing sentence.\n", encoding="utf-8"
    )
    stamp = time.time() + 5
    os.utime(changed, (stamp, stamp))
    requests = feed.tick()
    assert [r.tags["wirehouse/changes"] for r in requests] == ["0 new, 1 changed, 0 deleted"]
    read = feed.last_run.asset_materializations_for_node("raw_articles")[0].metadata
    assert read["files_read"].value == 1
    raw = snapshot(feed.db)["raw_articles"]
    assert len(raw) == 5
    assert raw.set_index("source_path").loc[names[1], "raw_text"].endswith("closing sentence.\n")

    (folder / names[3]).unlink()
    requests = feed.tick()
    assert len(requests) == 1
    read = feed.last_run.asset_materializations_for_node("raw_articles")[0].metadata
    assert read["retired_files"].value == [names[3]]
    tables = snapshot(feed.db)
    assert names[3] not in set(tables["raw_articles"]["source_path"])
    assert len(tables["articles"]) == 4

    rebuilt = run_pipeline(folder, tmp_path / "rebuilt.duckdb")
    _assert_same(tables, snapshot(rebuilt.db_path))


def test_a_file_that_cannot_be_inspected_keeps_its_rows(tmp_path, monkeypatch):
    folder = tmp_path / "inbox"
    shutil.copytree(SEEDS, folder)
    db = tmp_path / "news.duckdb"
    assert run_pipeline(folder, db).result.success
    before = snapshot(db)
    blocked = sorted(p.name for p in folder.iterdir())[2]
    real_lstat = os.lstat

    def flaky_lstat(path, *args, **kwargs):
        if str(path).endswith(blocked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr("pipeline.ingest.os.lstat", flaky_lstat)
    again = run_pipeline(folder, db)
    assert again.result.success
    raw = again.result.asset_materializations_for_node("raw_articles")[0].metadata
    assert raw["retired_files"].value == []
    _assert_same(before, snapshot(db))  # nothing retired, nothing changed


def _follow(history: pd.DataFrame, event_id: str) -> str | None:
    """Where a saved id leads today: its successor's successor's … (None when retired)."""
    successor = dict(zip(history["old_id"], history["new_id"], strict=True))
    seen = set()
    while event_id in successor and event_id not in seen:
        seen.add(event_id)
        event_id = successor[event_id]
    return event_id


@pytest.mark.parametrize("kind", ["event", "entity"])
def test_every_saved_id_leads_to_a_current_one(fed_one_at_a_time, kind):
    """Ids noted after any of the five runs still find their happening or entity at the end."""
    feed, _ = fed_one_at_a_time
    table, mentions = (
        ("events", "event_mentions") if kind == "event" else ("entities", "entity_mentions")
    )
    final = feed.versions[-1]
    history = final[f"{kind}_id_history"]
    current_ids = set(final[table][f"{kind}_id"])
    final_mentions = final[mentions]
    for version in feed.versions[:-1]:
        for saved in version[table][f"{kind}_id"]:
            now = _follow(history, saved)
            assert now in current_ids, f"{saved} leads to {now}"
            # the id it leads to holds at least one of the saved id's mentions
            old_articles = set(version[mentions].query(f"{kind}_id == @saved")["article_id"])
            new_articles = set(final_mentions.query(f"{kind}_id == @now")["article_id"])
            assert old_articles & new_articles
    assert set(history["reason"]) <= {"merged", "split", "re-anchored"}  # nothing was deleted
