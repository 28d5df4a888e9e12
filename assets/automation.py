"""Unattended operation: a sensor on the input folder, a daily reconcile, the job they run."""

import hashlib
import os
import socket

import dagster as dg
import duckdb

from pipeline.feed import diff, encode_cursor, read_cursor, scan
from pipeline.resources import ArticleFolder, Warehouse
from pipeline.storage import recorded_fingerprints

LAUNCHED_BY = "wirehouse/launched_by"
PUBLISH_KEY = dg.AssetKey("news_database")
PID_TAG, HOST_TAG = "wirehouse/pid", "wirehouse/host"
SENSOR_INTERVAL_SECONDS = int(os.environ.get("WIREHOUSE_SENSOR_INTERVAL_SECONDS", "30"))

process_files = dg.define_asset_job(
    "process_files",
    selection=dg.AssetSelection.all(),
    description=(
        "Read the new and changed files of the input folder (and any named in the run config), "
        "refresh every corpus-level table and publish the DuckDB file."
    ),
)


def process_tags() -> dict[str, str]:
    """Tags that let a later run tell whether the process running this one is still alive."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs left STARTED by a process of this machine that no longer exists.

    A killed ``make run`` cannot report its own end; left STARTED, it would count against the
    queue's one-run limit forever. Returns the run ids it marked failed.
    """
    host = socket.gethostname()
    records = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags={HOST_TAG: host},
        )
    )
    failed = []
    for run in records:
        pid = run.tags.get(PID_TAG, "")
        if pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(
                run, message=f"process {pid} that ran it is gone (killed or crashed)"
            )
            failed.append(run.run_id)
    return failed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ingest_config(files: list[str] | None = None, rescan_all: bool = False) -> dict:
    """Run config of ``process_files``: which files to re-read beyond the new and changed."""
    return {"ops": {"raw_articles": {"config": {"files": files or [], "rescan_all": rescan_all}}}}


@dg.sensor(
    job=process_files,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    description=(
        "Watches NEWS_ARTICLES_DIR. When files are new, changed (size or mtime) or deleted, "
        "launches process_files, which reads just those. The cursor remembers every file's "
        "fingerprint, so an unchanged folder never triggers twice."
    ),
)
def article_files_sensor(
    context: dg.SensorEvaluationContext, articles_folder: ArticleFolder, warehouse: Warehouse
) -> dg.SensorResult | dg.SkipReason:
    if not articles_folder.root.is_dir():
        return dg.SkipReason(f"input folder {articles_folder.root} does not exist")
    for run_id in fail_dead_runs(context.instance):
        context.log.warning(f"marked run {run_id} failed: the process running it is gone")
    previous = _last_seen(context, warehouse)
    if previous is None:
        return dg.SkipReason("cursor unreadable and the working database busy; next tick")
    current = scan(articles_folder.root)
    changes = diff(previous, current)
    if not changes.keys:
        context.update_cursor(encode_cursor(current))  # unchanged, or repaired after a fallback
        return dg.SkipReason(f"no new, changed or deleted files among {len(current)}")
    state = hashlib.sha1(encode_cursor(current).encode()).hexdigest()[:16]
    summary = (
        f"{len(changes.new)} new, {len(changes.changed)} changed, {len(changes.deleted)} deleted"
    )
    context.log.info(f"{summary} files → one run")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"folder@{state}",
                run_config=ingest_config(),
                tags={LAUNCHED_BY: "sensor", "wirehouse/changes": summary},
            )
        ],
        cursor=encode_cursor(current),
    )


def _last_seen(context: dg.SensorEvaluationContext, warehouse: Warehouse) -> dict | None:
    """The fingerprints of the previous tick, or what runs recorded when the cursor is corrupt.

    A cursor that does not parse must neither fail every tick nor make every file look new: the
    working database's ``input_files`` (what runs actually read) is what the cursor caches.
    None when that is unreadable too (a run holds the database): the next tick tries again.
    """
    previous = read_cursor(context.cursor)
    if previous is not None:
        return previous
    try:
        recorded = recorded_fingerprints(warehouse.working_path)
    except duckdb.Error as exc:
        context.log.warning(f"sensor cursor unreadable; working database busy ({exc})")
        return None
    context.log.warning(
        f"sensor cursor unreadable ({context.cursor[:60]!r}…); using the {len(recorded)} files "
        f"recorded as read in {warehouse.working_path} instead"
    )
    return recorded


@dg.schedule(
    job=process_files,
    cron_schedule="0 3 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Daily at 03:00 UTC: re-reads every file and rebuilds every table, so the published file "
        "equals a full rebuild even if a file changed without its size or mtime changing. "
        "Cheap: cleaned texts, NER and event candidates are cached by content."
    ),
)
def daily_reconcile(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(run_config=ingest_config(rescan_all=True), tags={LAUNCHED_BY: "schedule"})


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    request_job=process_files,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    description=(
        "After a successful run that updated only part of the graph — raw_articles alone from "
        "the UI, any single asset, a re-run of some steps — launches process_files, which "
        "refreshes everything downstream (gates included) and publishes. Cheap: what did not "
        "change comes from the caches."
    ),
)
def publish_after_partial_runs(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    run = context.dagster_run
    if not run.asset_selection or PUBLISH_KEY in run.asset_selection:  # empty: the whole job
        return dg.SkipReason(f"run {run.run_id} included the publish step")
    return dg.RunRequest(
        run_key=f"after:{run.run_id}",
        run_config=ingest_config(),
        tags={LAUNCHED_BY: "follow_up", "wirehouse/after_run": run.run_id},
    )
