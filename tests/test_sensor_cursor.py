"""A corrupt sensor cursor: the sensor falls back to what runs recorded and says so."""

from __future__ import annotations

import shutil
import subprocess
import sys

import dagster as dg

from assets.automation import article_files_sensor
from pipeline.feed import encode_cursor, scan
from pipeline.resources import ArticleFolder, Warehouse
from pipeline.storage import working_path_for
from tests.faults import published_seeds


def _tick(articles, db, cursor):
    with dg.build_sensor_context(
        cursor=cursor,
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "articles_folder": ArticleFolder(path=str(articles)),
            "warehouse": Warehouse(database_path=str(db)),
        },
    ) as context:
        return article_files_sensor(context), context


def test_corrupt_cursor_falls_back_to_the_record_of_files_read(tmp_path, capfd):
    articles, db = published_seeds(tmp_path, held_back=1)

    result, context = _tick(articles, db, '{"truncated": ')
    assert isinstance(result, dg.SkipReason)  # every file was read: nothing to launch
    log = capfd.readouterr().err
    assert "sensor cursor unreadable" in log
    assert "using the 4 files recorded as read" in log
    assert context.cursor == encode_cursor(scan(articles))  # repaired for the next tick

    shutil.move(tmp_path / "later" / next((tmp_path / "later").iterdir()).name, articles)
    result, _ = _tick(articles, db, "[1, 2, 3]")
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests
    assert request.tags["wirehouse/changes"] == "1 new, 0 changed, 0 deleted"


def test_corrupt_cursor_while_a_run_holds_the_database_waits_a_tick(tmp_path, capfd):
    articles, db = published_seeds(tmp_path)
    holder = subprocess.Popen(  # a run writing the working database, in another process
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(working_path_for(db))!r}); "
            "print('ready', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result, context = _tick(articles, db, "not json")
    finally:
        holder.kill()
        holder.wait()
    assert isinstance(result, dg.SkipReason)
    assert "working database busy" in result.skip_message
    assert context.cursor == "not json"  # untouched: the next tick falls back again
    assert "working database busy" in capfd.readouterr().err
