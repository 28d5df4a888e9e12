"""The human-readable summary printed after a run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import dagster as dg

from pipeline import storage
from pipeline.schemas import PUBLISHED_TABLES


def summarize(published_path, result: dg.ExecuteInJobResult, elapsed: float) -> str:
    """The run's outcome and the published row counts (a DuckDB file, or a DuckLake store)."""
    lines = [f"Wirehouse run {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f} s"]
    failed_checks = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
    ]
    for check in failed_checks:
        lines.append(f"  gate failed: {check.asset_key.to_user_string()} / {check.check_name}")
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = _root_cause(event.event_specific_data.error)
            message = error.message.strip().splitlines()[-1] if error else "unknown error"
            lines.append(f"  step failed: {event.step_key}: {message}")
    is_file = not hasattr(published_path, "attach")
    path = Path(published_path) if is_file else published_path.attach_sql(read_only=True)
    if not storage.published_exists(published_path):
        lines.append(f"No published database at {path} yet.")
        return "\n".join(lines)
    if result.success:
        lines.append(f"Published tables in {path}:")
    else:
        stamp = (
            datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
            if is_file
            else "earlier (see ducklake_snapshots)"
        )
        lines.append(
            f"This run published nothing. {path} still holds the tables of an earlier run, "
            f"published {stamp}:"
        )
    with storage.open_published(published_path) as con:
        for t in PUBLISHED_TABLES:
            n = con.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            lines.append(f"  {t.name:<22} {n:>8} rows")
        top = con.execute(
            "SELECT title, n_articles FROM events ORDER BY n_articles DESC, n_mentions DESC LIMIT 5"
        ).fetchall()
    if top:
        lines.append("Most reported events:")
        lines.extend(f"  [{n} articles] {title}" for title, n in top)
    return "\n".join(lines)


def _root_cause(error):
    """The error that started it (a full disk, a lock), not Dagster's wrapper around it."""
    while error is not None and error.cause is not None:
        error = error.cause
    return error
