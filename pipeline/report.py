"""The human-readable summary printed after a run."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from pipeline.schemas import PUBLISHED_TABLES


def summarize(published_path: str, result: dg.ExecuteInJobResult, elapsed: float) -> str:
    lines = [f"Wirehouse run {'succeeded' if result.success else 'FAILED'} in {elapsed:.1f} s"]
    failed_checks = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
    ]
    for check in failed_checks:
        lines.append(f"  gate failed: {check.asset_key.to_user_string()} / {check.check_name}")
    path = Path(published_path)
    if not path.exists():
        lines.append(f"No published database at {path} (nothing has passed the gates yet).")
        return "\n".join(lines)
    lines.append(f"Published tables in {path}:")
    con = duckdb.connect(str(path), read_only=True)
    try:
        for t in PUBLISHED_TABLES:
            n = con.execute(f'SELECT count(*) FROM "{t.name}"').fetchone()[0]
            lines.append(f"  {t.name:<22} {n:>8} rows")
        top = con.execute(
            "SELECT title, n_articles FROM events ORDER BY n_articles DESC, n_mentions DESC LIMIT 5"
        ).fetchall()
    finally:
        con.close()
    if top:
        lines.append("Most reported events:")
        lines.extend(f"  [{n} articles] {title}" for title, n in top)
    return "\n".join(lines)
