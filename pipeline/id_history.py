"""Where a saved event or entity id went: the id-history tables.

Ids are derived from content (an event's earliest report, an entity's earliest mention), so a
full rebuild and an incremental run give the same ids. Content can still move an id: a backfilled
report older than all others re-anchors an event or an entity, two events or entities merge, an
entity's earliest mention is given to another entity. Whenever an id that existed disappears,
one row records which id now holds most of what it held, so a bookmark, a join in a user's own
table or an alert can follow it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from pipeline import storage
from pipeline.schemas import TableSchema

RETIRED, MERGED, SPLIT, REANCHORED = "retired", "merged", "split", "re-anchored"
REASONS = (RETIRED, MERGED, SPLIT, REANCHORED)


def id_changes(
    previous: pd.DataFrame, current: pd.DataFrame, id_column: str, key_columns: list[str]
) -> pd.DataFrame:
    """One row (old_id, new_id, reason) per id of ``previous`` that ``current`` no longer has.

    Both frames hold one row per mention: ``key_columns`` identify the mention (its article and
    offsets), ``id_column`` the event or entity it belongs to. The old id goes to the current id
    holding most of its surviving mentions — the larger part when it split; ties go to the
    smaller id so the answer is deterministic. Reasons:

    - ``merged``: that id already existed, so the old one was absorbed into it;
    - ``split``: its mentions now sit in several ids and none of them existed before;
    - ``re-anchored``: all of it moved to one new id (an older report arrived, a better name);
    - ``retired``: none of its mentions remain (their files were deleted); ``new_id`` is NULL.
    """
    old_ids = set(previous[id_column].dropna())
    vanished = old_ids - set(current[id_column].dropna())
    if not vanished:
        return pd.DataFrame({"old_id": [], "new_id": [], "reason": []}, dtype="object")
    gone = previous[previous[id_column].isin(vanished)][[*key_columns, id_column]]
    moved = gone.merge(
        current[[*key_columns, id_column]], on=key_columns, suffixes=("_old", "_new")
    )
    counts = (
        moved.groupby([f"{id_column}_old", f"{id_column}_new"]).size().rename("n").reset_index()
    )
    counts = counts.sort_values(
        [f"{id_column}_old", "n", f"{id_column}_new"], ascending=[True, False, True]
    )
    spread = counts.groupby(f"{id_column}_old").size()
    best = counts.drop_duplicates(f"{id_column}_old").set_index(f"{id_column}_old")
    rows = []
    for old in sorted(vanished):
        if old not in best.index:
            rows.append((old, None, RETIRED))
            continue
        new = best.at[old, f"{id_column}_new"]
        if new in old_ids:
            reason = MERGED
        elif spread[old] > 1:
            reason = SPLIT
        else:
            reason = REANCHORED
        rows.append((old, new, reason))
    return pd.DataFrame(rows, columns=["old_id", "new_id", "reason"], dtype="object")


def moved_ids(
    con: duckdb.DuckDBPyConnection,
    table: str,
    current: pd.DataFrame,
    id_column: str,
    key_columns: list[str],
) -> pd.DataFrame:
    """``id_changes`` between the mentions ``table`` holds now (none on the first run) and
    ``current``, the mentions about to replace them."""
    columns = [*key_columns, id_column]
    if storage.table_exists(con, table):
        cols = ", ".join(f'"{c}"' for c in columns)
        previous = con.execute(f'SELECT {cols} FROM "{table}"').df()
    else:
        previous = pd.DataFrame(columns=columns)
    return id_changes(previous, current, id_column, key_columns)


def record_changes(
    con: duckdb.DuckDBPyConnection, schema: TableSchema, changes: pd.DataFrame
) -> int:
    """Append the changes to the history table (created on first use); returns rows added.

    Appended, never replaced: the history is the one table that remembers earlier versions.
    Call inside the transaction that writes the new ids, so both land or neither.
    """
    con.execute(schema.create_if_missing_sql())
    if len(changes):
        frame = changes.assign(changed_at=datetime.now(UTC).replace(tzinfo=None))
        storage.insert_rows(con, schema, frame, schema.name, order_by=["old_id"])
    storage.bump_version(con, schema.name)
    return len(changes)
