"""The published store of the production profile: a DuckLake catalog on Postgres.

In the embedded profile the checked tables are copied into a new DuckDB file that is renamed
over the old one. Here the same copy happens inside one DuckLake transaction instead: the
catalog (table list, snapshots) lives in a Postgres database, the rows in Parquet files under
``data_path``, and the commit makes every gate-passed table visible together. A reader that
attached the catalog sees one snapshot per query or per transaction, never half a publish, and
``ducklake_snapshots`` keeps the earlier publishes readable (``AT (VERSION => n)``).

Two writers (two deployments, or a retried run) that publish at once conflict on the catalog;
the loser's transaction is rolled back whole and retried on the new snapshot, so the last
commit wins with a complete set of tables, never a mix of two runs.

The DuckDB extensions come from pip packages (``duckdb-extension-ducklake``,
``duckdb-extension-postgres-scanner``), installed from their file inside site-packages, so
nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import storage
from pipeline.schemas import TableSchema

EXTENSION_PACKAGES = {
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}
PUBLISH_ATTEMPTS = 5  # write conflicts between two publishers are retried this often


class LakeUnavailable(RuntimeError):
    """The DuckLake/Postgres extensions are not installed for this DuckDB version."""


def extension_file(name: str) -> Path:
    """The extension binary shipped by its pip package, for the running DuckDB version."""
    package = EXTENSION_PACKAGES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LakeUnavailable(
            f"the {name} extension is missing: pip install '{package.replace('_', '-')}"
            f"=={duckdb.__version__}' (pip install -e '.[production]' installs both)"
        )
    wanted = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
    found = wanted / f"{name}.duckdb_extension"
    if not found.is_file():
        shipped = sorted(p.name for p in wanted.parent.glob("v*"))
        raise LakeUnavailable(
            f"{package} ships the {name} extension for DuckDB {shipped}, not for the installed "
            f"DuckDB {duckdb.__version__}: install matching versions"
        )
    return found


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """INSTALL the extensions from their files (idempotent, no network) and LOAD them."""
    for name in EXTENSION_PACKAGES:
        con.execute(f"INSTALL {storage._sql_literal(str(extension_file(name)))}")
        con.execute(f"LOAD {name}")


@dataclass(frozen=True)
class Lake:
    """Where the published tables live: a Postgres catalog and a folder of Parquet files.

    ``catalog`` is a libpq connection string of the catalog database (``dbname=lake
    host=db.internal user=wirehouse``); ``data_path`` is a folder, or an object-store URL when
    the httpfs extension and credentials are set up (not tested here).
    """

    catalog: str
    data_path: str

    def attach_sql(self, alias: str = "news", read_only: bool = False) -> str:
        """The ATTACH statement users and the pipeline run (documented in the README)."""
        options = ["READ_ONLY"] if read_only else []
        if not read_only:
            # Every row in Parquet under DATA_PATH, none inlined into the catalog database.
            options += [
                f"DATA_PATH {storage._sql_literal(self.data_path)}",
                "DATA_INLINING_ROW_LIMIT 0",
            ]
        target = storage._sql_literal(f"ducklake:postgres:{self.catalog}")
        return f"ATTACH {target} AS {alias} ({', '.join(options)})"

    def attach(self, con: duckdb.DuckDBPyConnection, alias: str, read_only: bool = True) -> None:
        load_extensions(con)
        if not read_only:
            Path(self.data_path).mkdir(parents=True, exist_ok=True)
        con.execute(self.attach_sql(alias, read_only))

    def exists(self) -> bool:
        """Whether anything was published yet: a read-only ATTACH of a catalog never written
        fails (DuckLake will not create one read-only), and the marker table is written last."""
        con = duckdb.connect()
        try:
            try:
                self.attach(con, "news", read_only=True)
            except duckdb.InvalidInputException as exc:
                if "does not exist" in str(exc):
                    return False
                raise
            con.execute("USE news")
            return storage.table_exists(con, storage.MARKER_TABLE)
        finally:
            con.close()

    def publish(
        self, working_path: str | os.PathLike[str], tables: Iterable[TableSchema]
    ) -> dict[str, int]:
        """Copy the tables from the working database in one catalog transaction.

        Each copy is verified (row count and checksum over every row) inside the transaction,
        before the commit makes it visible; on a write conflict with another publisher the
        whole transaction is retried.
        """
        tables = list(tables)
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                return self._publish_once(working_path, tables)
            except duckdb.TransactionException as exc:
                if "conflict" not in str(exc).lower() or attempt == PUBLISH_ATTEMPTS:
                    raise
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def _publish_once(
        self, working_path: str | os.PathLike[str], tables: list[TableSchema]
    ) -> dict[str, int]:
        con = duckdb.connect()
        try:
            self.attach(con, "lake", read_only=False)
            con.execute(
                f"ATTACH {storage._sql_literal(str(Path(working_path)))} AS work (READ_ONLY)"
            )
            con.execute("USE lake")
            counts: dict[str, int] = {}
            con.execute("BEGIN TRANSACTION")
            try:
                for schema in tables:
                    con.execute(schema.create_sql(f'"{schema.name}"'))
                    con.execute(f'INSERT INTO "{schema.name}" SELECT * FROM work."{schema.name}"')
                    storage.fault_point(f"publish:copy:{schema.name}", con)
                    storage._comment(con, schema)
                    counts[schema.name] = storage._verify_copy(con, schema.name)
                con.execute(
                    f"CREATE OR REPLACE TABLE {storage.MARKER_TABLE} AS SELECT 'wirehouse' AS "
                    "created_by, current_timestamp AS published_at"
                )
                con.execute("CALL lake.set_commit_message('wirehouse', 'publish')")
                storage.fault_point("publish:rename")  # complete and verified, not yet visible
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            return counts
        finally:
            con.close()


@contextmanager
def connect(lake: Lake, alias: str = "news") -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection whose unqualified table names are the published tables."""
    con = duckdb.connect()
    try:
        lake.attach(con, alias, read_only=True)
        con.execute(f"USE {alias}")
        yield con
    finally:
        con.close()
