"""DuckDB storage: a private working database and an atomically published file.

Steps write to a private working database beside the published file. Only after every quality gate
has passed is a complete new file built and moved over the published path with ``os.replace``:
readers that hold the old file open keep a consistent snapshot and never block the pipeline, and a
failed gate leaves the published tables exactly as they were.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pipeline.schemas import TableSchema


def working_path_for(published_path: str | os.PathLike[str]) -> Path:
    """Where the private working database of a published file lives."""
    published = Path(published_path)
    return published.with_name(f".{published.stem}.work.duckdb")


@contextmanager
def connect(
    path: str | os.PathLike[str], read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def share_strings(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """``frame`` with the equal strings of each of ``columns`` held as one object each.

    DuckDB gives every row's string an object of its own: the labels of a million entity
    mentions (five distinct values) took 57 MB. Shared, a repeated value costs one pointer
    per row. Values, missing values and dtypes stay as they were; the frame is changed in
    place and returned. At 100,000 wire articles this took 150 MB off the event step's peak.
    """
    for column in columns:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        values = np.asarray(uniques, dtype=object)[codes]
        frame[column] = pd.Series(values, index=frame.index, dtype=frame[column].dtype)
    return frame


def release_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Hand the pages DuckDB has cached back to the operating system.

    DuckDB keeps every page it reads in its buffer pool until the pool reaches the memory
    limit, 80 % of RAM by default. A run keeps one connection for all its steps, so by the
    event step of a one-file run at 100,000 articles the pool held 583 MB of tables that the
    steps had already copied into pandas: 41 % of the process. Lowering the limit to 32 MB
    evicts the unpinned pages above it (measured: 368 MB freed in 42 ms), then the limit is
    set back. Not with ``RESET``: in DuckDB 1.5 it restores the setting's value but leaves the
    buffer pool at the lowered limit. The limit reads back rounded to 0.1 GiB, so repeated
    calls settle a few percent below DuckDB's default. The next read of a table decompresses
    it again from the operating system's file cache.
    """
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    try:
        con.execute("SET memory_limit = '32MB'")
    except duckdb.OutOfMemoryException:  # more than that pinned: nothing changed, nothing freed
        return
    con.execute(f"SET memory_limit = '{limit}'")


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All of a step's writes commit together or not at all.

    Without it a crash between ``CREATE OR REPLACE`` and ``INSERT`` (or between an asset's two
    tables) leaves a half-written working state that the next incremental run builds on.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def registered(
    con: duckdb.DuckDBPyConnection, **frames: pd.DataFrame
) -> Iterator[duckdb.DuckDBPyConnection]:
    """DataFrames visible to SQL under the given names for the duration of the block."""
    for name, frame in frames.items():
        con.register(name, frame)
    try:
        yield con
    finally:
        for name in frames:
            con.unregister(name)


def keep_only(
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[str],
    keep: list[str],
    column: str = "cache_key",
) -> None:
    """Delete the rows of ``tables`` whose ``column`` is not in ``keep``: a per-article cache
    pruned to the versions still in the corpus, so it never outgrows it."""
    with registered(con, _keep=pd.DataFrame({column: keep}, dtype=object)):
        for table in tables:
            con.execute(f"DELETE FROM {table} WHERE {column} NOT IN (SELECT {column} FROM _keep)")


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_name = ? AND table_schema = 'main'",
        [name],
    ).fetchone()
    return bool(row and row[0])


def read_table(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    return con.execute(f'SELECT * FROM "{name}"').df()


def write_table(
    con: duckdb.DuckDBPyConnection,
    schema: TableSchema,
    df: pd.DataFrame,
    name: str | None = None,
    order_by: Iterable[str] = (),
) -> int:
    """Replace a table with a DataFrame, typed by its schema; returns the row count.

    Rows are stored sorted so that two runs on the same input produce byte-comparable tables.
    """
    target = name or schema.name
    missing = [c for c in schema.column_names if c not in df.columns]
    if missing:
        raise ValueError(f"{target}: DataFrame lacks columns {missing}")
    con.execute(schema.create_sql(f'"{target}"'))
    insert_rows(con, schema, df, target, order_by)
    bump_version(con, target)
    return len(df)


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    schema: TableSchema,
    df: pd.DataFrame,
    target: str,
    order_by: Iterable[str] = (),
) -> None:
    """Append a DataFrame to an existing table, each column cast to its schema type, sorted."""
    frame = df[schema.column_names]
    if not len(frame):
        return
    cols = ", ".join(f'"{c}"' for c in schema.column_names)
    casts = ", ".join(f'CAST("{c.name}" AS {c.sql_type})' for c in schema.columns)
    order = ", ".join(f'"{c}"' for c in order_by)
    order_sql = f" ORDER BY {order}" if order else ""
    with registered(con, _incoming=frame):
        con.execute(f'INSERT INTO "{target}" ({cols}) SELECT {casts} FROM _incoming{order_sql}')


def replace_untyped(
    con: duckdb.DuckDBPyConnection, name: str, df: pd.DataFrame, order_by: Iterable[str]
) -> None:
    """Replace a working table whose types DuckDB infers from the DataFrame (no contract)."""
    con.register("_incoming", df)
    try:
        order = ", ".join(f'"{c}"' for c in order_by)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _incoming ORDER BY {order}')
    finally:
        con.unregister("_incoming")
    bump_version(con, name)


def recorded_fingerprints(working_path: str | os.PathLike[str]) -> dict[str, str]:
    """Relative path → fingerprint of every input file as last read (``input_files``).

    Read-only; raises ``duckdb.IOException`` while a run holds the working database.
    """
    if not Path(working_path).exists():
        return {}
    with connect(working_path, read_only=True) as con:
        if not table_exists(con, "input_files"):
            return {}
        return dict(con.execute("SELECT relative_path, fingerprint FROM input_files").fetchall())


# --- fault injection: how the tests make a step fail exactly where a crash or a full disk would

FAULT_ENV = "WIREHOUSE_FAULT"


def fault_point(name: str, con: duckdb.DuckDBPyConnection | None = None) -> None:
    """Act out the fault that ``WIREHOUSE_FAULT`` assigns to this point, if any.

    The crash, full-disk and gate tests need a step to fail at one exact moment of a real run;
    this is the one place the pipeline lets them. ``WIREHOUSE_FAULT`` is a JSON object mapping
    point names to actions: ``"enospc"`` raises the error a full disk raises, ``"kill"`` sends
    the process SIGKILL (a crash, an OOM kill), ``"sql:<statement>"`` runs the statement on the
    connection being written (a step that produced bad rows). Points: ``write:<table>`` (rows
    written, inside the step's transaction), ``gates_passed`` (publish about to start),
    ``publish:copy:<table>`` (the table copied into the new file, not yet verified) and
    ``publish:rename`` (the new file complete and verified, not yet moved over the old one).
    Unset in normal operation: one dictionary lookup.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    action = json.loads(spec).get(name)
    if action is None:
        return
    if action == "enospc":
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (injected at {name})")
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if action.startswith("sql:") and con is not None:
        con.execute(action.removeprefix("sql:"))
        return
    raise ValueError(f"{FAULT_ENV}: unknown action {action!r} at {name}")


# --- which gates passed on which version of which table -------------------------------------

VERSIONS_TABLE = "table_versions"
GATES_TABLE = "gate_results"


def bump_version(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """Give a table a new version id; written in the same transaction as the table itself.

    Every table write ends here, so this is also where a test can make a write fail.
    """
    fault_point(f"write:{name}", con)
    version = uuid.uuid4().hex
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (table_name VARCHAR, version VARCHAR)"
    )
    con.execute(f"DELETE FROM {VERSIONS_TABLE} WHERE table_name = ?", [name])
    con.execute(f"INSERT INTO {VERSIONS_TABLE} VALUES (?, ?)", [name, version])
    return version


def current_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    if not table_exists(con, VERSIONS_TABLE):
        return {}
    return dict(con.execute(f"SELECT table_name, version FROM {VERSIONS_TABLE}").fetchall())


def record_gate(
    con: duckdb.DuckDBPyConnection, check: str, passed: bool, tables: Iterable[str]
) -> None:
    """Remember that ``check`` passed (or not) on the current versions of ``tables``."""
    versions = current_versions(con)
    state = json.dumps({t: versions.get(t) for t in sorted(tables)}, sort_keys=True)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {GATES_TABLE} (check_name VARCHAR, passed BOOLEAN, "
        "table_versions VARCHAR, checked_at TIMESTAMP)"
    )
    con.execute(f"DELETE FROM {GATES_TABLE} WHERE check_name = ?", [check])
    con.execute(
        f"INSERT INTO {GATES_TABLE} VALUES (?, ?, ?, current_timestamp)", [check, passed, state]
    )


def gate_problems(con: duckdb.DuckDBPyConnection, checks: Iterable[str]) -> list[str]:
    """Why the working state may not be published: gates missing, failed or run on old data."""
    versions = current_versions(con)
    recorded = (
        {
            c: (p, json.loads(v))
            for c, p, v in con.execute(
                f"SELECT check_name, passed, table_versions FROM {GATES_TABLE}"
            ).fetchall()
        }
        if table_exists(con, GATES_TABLE)
        else {}
    )
    problems = []
    for check in sorted(checks):
        if check not in recorded:
            problems.append(f"gate {check} has not run on the working tables")
            continue
        passed, state = recorded[check]
        if not passed:
            problems.append(f"gate {check} failed")
            continue
        stale = sorted(t for t, v in state.items() if versions.get(t) != v)
        if stale:
            problems.append(f"gate {check} has not run since {', '.join(stale)} changed")
    return problems


def publish(
    working_path: str | os.PathLike[str],
    published_path: str | os.PathLike[str],
    tables: Iterable[TableSchema],
) -> dict[str, int]:
    """Copy the given tables into a fresh file and atomically move it over the published path."""
    published = Path(published_path)
    published.parent.mkdir(parents=True, exist_ok=True)
    check_output_path(published)
    remove_stale_publish_files(published)
    tmp = published.with_name(f".{published.name}.{uuid.uuid4().hex}.tmp")
    counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"ATTACH {_sql_literal(str(Path(working_path)))} AS work (READ_ONLY)")
            for schema in tables:
                con.execute(schema.create_sql(f'"{schema.name}"'))
                con.execute(f'INSERT INTO "{schema.name}" SELECT * FROM work."{schema.name}"')
                fault_point(f"publish:copy:{schema.name}", con)
                _comment(con, schema)
                counts[schema.name] = _verify_copy(con, schema.name)
            con.execute("DETACH work")
            con.execute(
                f"CREATE TABLE {MARKER_TABLE} AS SELECT 'wirehouse' AS created_by, "
                "current_timestamp AS published_at"
            )
            con.execute("CHECKPOINT")
        finally:
            con.close()
        fault_point("publish:rename")
        os.replace(tmp, published)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return counts


MARKER_TABLE = "wirehouse_publication"  # marks a file as Wirehouse's own, safe to replace


class OutputPathError(ValueError):
    """NEWS_DUCKDB_PATH cannot be published to; the message says why and what to do."""


def check_output_path(published_path: str | os.PathLike[str]) -> None:
    """Refuse, before any work, to publish where it would destroy or fail.

    A directory, an unwritable folder, or an existing file that Wirehouse did not create (another
    application's DuckDB file, a text file) is never replaced. Files published by earlier
    versions, which carry every published table but no marker, count as Wirehouse's.
    """
    path = Path(published_path)
    if path.is_dir():
        raise OutputPathError(f"NEWS_DUCKDB_PATH {path} is a folder; point it at a file name")
    parent = path.parent if str(path.parent) else Path(".")
    existing = next((p for p in (parent, *parent.parents) if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot create {path}: {existing} is not writable")
    if not path.exists():
        return
    if not path.is_file():
        raise OutputPathError(f"NEWS_DUCKDB_PATH {path} exists and is not a regular file")
    if written_by_newer_duckdb(path):
        raise OutputPathError(
            f"{path} was written by a newer DuckDB than the one this Wirehouse runs (DuckDB "
            f"{duckdb.__version__}), which cannot read it. Move it away: Wirehouse rebuilds it "
            "from the input folder, and the old file stays readable with the newer DuckDB."
        )
    if not _is_wirehouse_file(path):
        raise OutputPathError(
            f"{path} exists and was not created by Wirehouse; refusing to replace it. Choose "
            "another NEWS_DUCKDB_PATH or move that file away."
        )


def written_by_newer_duckdb(path: str | os.PathLike[str]) -> bool:
    """Whether an existing file is a DuckDB database in a storage format newer than this DuckDB
    reads (DuckDB files open in the version that wrote them or a later one, never an earlier)."""
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as exc:
        return "newer version of duckdb" in str(exc).lower()
    except duckdb.Error:
        return False
    return False


def set_aside_unreadable(working_path: str | os.PathLike[str]) -> Path | None:
    """Move a working database written by a newer DuckDB out of the way, and say where.

    The working database is a cache of per-article work that the next run rebuilds from the
    input folder, so a format this DuckDB cannot read is renamed (never deleted) rather than
    stopping every run.
    """
    path = Path(working_path)
    if not path.exists() or not written_by_newer_duckdb(path):
        return None
    aside = path.with_name(f"{path.name}.newer-duckdb-{int(time.time())}")
    os.replace(path, aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    return aside


def _is_wirehouse_file(path: Path) -> bool:
    from pipeline.schemas import PUBLISHED_TABLES

    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return False  # not a DuckDB file at all (or not readable as one)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    return MARKER_TABLE in tables or {t.name for t in PUBLISHED_TABLES} <= tables


def remove_stale_publish_files(published_path: str | os.PathLike[str]) -> list[Path]:
    """Delete half-built files a killed publish left behind (runs are serialized, so any
    temporary file present when a publish starts belongs to a dead run)."""
    published = Path(published_path)
    stale = [
        p
        for p in published.parent.glob(f".{published.name}.*.tmp*")
        if p.is_file() and p.name.endswith((".tmp", ".tmp.wal"))
    ]
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PublishMismatch(RuntimeError):
    """The file about to be published differs from the checked working tables."""


def _verify_copy(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Row count and a checksum over every row, new file against working table; the count."""
    sql = "SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM {} t"
    new = con.execute(sql.format(f'"{name}"')).fetchone()
    old = con.execute(sql.format(f'work."{name}"')).fetchone()
    if new != old:
        raise PublishMismatch(
            f"{name}: the new file holds {new[0]} rows (checksum {new[1]}), the checked working "
            f"table {old[0]} (checksum {old[1]}); not published"
        )
    return int(new[0])


def attach_published(con: duckdb.DuckDBPyConnection, where, alias: str) -> None:
    """Attach published tables read-only under ``alias``: a DuckDB file path, or any store
    with an ``attach(con, alias, read_only)`` method (the production profile's DuckLake)."""
    if hasattr(where, "attach"):
        where.attach(con, alias, read_only=True)
    else:
        con.execute(f"ATTACH {_sql_literal(str(Path(where)))} AS {alias} (READ_ONLY)")


def published_exists(where) -> bool:
    """Whether anything was published there yet (a file, or a catalog with tables)."""
    if hasattr(where, "exists"):
        return where.exists()
    return Path(where).is_file()


@contextmanager
def open_published(where) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection whose unqualified table names are the published tables, in
    either profile, so readers (digest, summary, comparisons) have one code path."""
    if not hasattr(where, "attach"):
        with connect(where, read_only=True) as con:
            yield con
        return
    con = duckdb.connect()
    try:
        attach_published(con, where, "news")
        con.execute("USE news")
        yield con
    finally:
        con.close()


def compare_published(
    working_path: str | os.PathLike[str],
    published_path,
    tables: Iterable[TableSchema],
) -> list[str]:
    """Tables whose published rows differ from the working ones (count or checksum)."""
    with open_published(published_path) as con:
        con.execute(f"ATTACH {_sql_literal(str(Path(working_path)))} AS work (READ_ONLY)")
        differences = []
        for schema in tables:
            try:
                _verify_copy(con, schema.name)
            except PublishMismatch as exc:
                differences.append(str(exc))
        return differences


TIMESTAMP_COLUMNS = ("ingested_at", "first_seen")  # when a row was first seen, not what it says


def rebuilt_tables() -> list[TableSchema]:
    """The published tables a full rebuild reproduces: all but the logs of how ids moved from
    run to run (``*_id_history``), which a rebuild, having no earlier runs, cannot have."""
    from pipeline.schemas import PUBLISHED_TABLES

    return [t for t in PUBLISHED_TABLES if not t.name.endswith("_id_history")]


def table_differences(
    path_a,
    path_b,
    tables: Iterable[TableSchema],
    ignore: Iterable[str] = TIMESTAMP_COLUMNS,
) -> list[str]:
    """Tables whose rows differ between two published files, timestamps of first sight aside.

    "Equal to a full rebuild" means equal rows; when a row was first read depends on the
    history of runs, so those columns are left out. Rows are compared as a multiset (count and a
    sum of row hashes). Either side may be a DuckDB file or a DuckLake store.
    """
    ignored = set(ignore)
    with open_published(path_a) as con:
        attach_published(con, path_b, "other")
        differences = []
        for schema in tables:
            cols = ", ".join(f'"{c}"' for c in schema.column_names if c not in ignored)
            sql = f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0) FROM {{}}"
            a = con.execute(sql.format(f'"{schema.name}"')).fetchone()
            b = con.execute(sql.format(f'other."{schema.name}"')).fetchone()
            if a != b:
                differences.append(f"{schema.name}: {a[0]} rows vs {b[0]} rows (or other values)")
        return differences


def _comment(con: duckdb.DuckDBPyConnection, schema: TableSchema) -> None:
    """Descriptions travel with the file, so BI tools and `duckdb` users see what columns mean."""
    con.execute(f"COMMENT ON TABLE \"{schema.name}\" IS '{_sql_str(schema.description)}'")
    for col in schema.columns:
        con.execute(
            f'COMMENT ON COLUMN "{schema.name}"."{col.name}" IS \'{_sql_str(col.description)}\''
        )


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


@contextmanager
def exclusive_lock(
    working_path: str | os.PathLike[str],
    on_wait: Callable[[str], None] | None = None,
    timeout_s: float = 3600.0,
) -> Iterator[None]:
    """Hold the working database for one whole run; other runs queue behind it.

    DuckDB admits one writing process. Serializing whole runs (not single statements) also
    keeps one run's steps from reading another run's half-written tables.
    """
    import fcntl

    lock_path = Path(working_path).with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + timeout_s
        waited = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited and on_wait:
                    on_wait(f"another Wirehouse run holds {lock_path}; waiting for it to finish")
                waited = True
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"gave up after {timeout_s:.0f} s waiting for another run to release "
                        f"{lock_path}"
                    ) from None
                time.sleep(0.25)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
