"""Every launch path publishes: after a partial run, the daemon's follow-up run publishes.

Drives the real `publish_after_partial_runs` sensor with the real finished runs (what the daemon
does on each tick) and executes the run it requests; the same against a running `make dev`,
launched through GraphQL as the UI does, is in tests/test_dagster_dev.py.
"""

from __future__ import annotations

import shutil

import dagster as dg

from assets.automation import LAUNCHED_BY, publish_after_partial_runs
from assets.definitions import build_definitions
from assets.run import materialize_all
from tests.conftest import SEEDS, published_source_paths


def _after(run: dg.ExecuteInProcessResult, instance: dg.DagsterInstance):
    context = dg.build_run_status_sensor_context(
        sensor_name=publish_after_partial_runs.name,
        dagster_instance=instance,
        dagster_run=run.dagster_run,
        dagster_event=run.get_run_success_event(),
    )
    return publish_after_partial_runs(context)


def test_raw_articles_alone_is_followed_by_a_run_that_publishes(tmp_path):
    inbox, db = tmp_path / "inbox", tmp_path / "news.duckdb"
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    shutil.copy(seeds[0], inbox / seeds[0].name)
    instance = dg.DagsterInstance.ephemeral()
    defs = build_definitions(str(inbox), str(db))
    full = materialize_all(str(inbox), str(db), instance=instance)
    assert isinstance(_after(full, instance), dg.SkipReason)  # a full run needs no follow-up

    shutil.copy(seeds[1], inbox / seeds[1].name)
    ui_run = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey("raw_articles")]
    )
    assert ui_run.success
    assert published_source_paths(db) == {seeds[0].name}  # raw_articles alone publishes nothing

    request = _after(ui_run, instance)
    assert isinstance(request, dg.RunRequest)
    assert request.tags[LAUNCHED_BY] == "follow_up"
    follow_up = defs.resolve_job_def("process_files").execute_in_process(
        run_config=request.run_config, instance=instance, tags=request.tags
    )
    assert follow_up.success
    assert published_source_paths(db) == {seeds[0].name, seeds[1].name}
    assert isinstance(_after(follow_up, instance), dg.SkipReason)  # and it settles
