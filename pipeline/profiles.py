"""Which profile a deployment runs: chosen by environment variables only, one code path.

- ``embedded`` (the default): the published tables are one DuckDB file (``NEWS_DUCKDB_PATH``)
  and the Dagster instance keeps its history in SQLite files under ``DAGSTER_HOME``.
- ``production`` (``WIREHOUSE_PROFILE=production``): the published tables are a DuckLake
  catalog in Postgres (``WIREHOUSE_LAKE_CATALOG``, a libpq connection string) with Parquet
  files under ``WIREHOUSE_LAKE_DATA_PATH``; the Dagster instance uses Postgres through
  ``deploy/dagster.production.yaml``. The working state stays a DuckDB file beside
  ``NEWS_DUCKDB_PATH`` in both.

Every asset, gate and check is the same in both; only where ``news_database`` writes (and where
readers read) differs, behind ``Warehouse.published``.
"""

from __future__ import annotations

import os

PROFILE_ENV = "WIREHOUSE_PROFILE"
CATALOG_ENV = "WIREHOUSE_LAKE_CATALOG"
DATA_PATH_ENV = "WIREHOUSE_LAKE_DATA_PATH"
PROFILES = ("embedded", "production")


class ProfileError(ValueError):
    """The profile's settings are missing or inconsistent; the message says which."""


def active_profile() -> str:
    profile = os.environ.get(PROFILE_ENV, "embedded").strip().lower() or "embedded"
    if profile not in PROFILES:
        raise ProfileError(f"{PROFILE_ENV}={profile!r}: choose one of {', '.join(PROFILES)}")
    return profile


def lake_settings() -> tuple[str, str]:
    """(catalog, data path) of the production profile; ("", "") in the embedded one.

    A production profile without its catalog fails at once rather than silently publishing
    to a local file nobody reads.
    """
    if active_profile() != "production":
        return "", ""
    missing = [name for name in (CATALOG_ENV, DATA_PATH_ENV) if not os.environ.get(name)]
    if missing:
        raise ProfileError(f"{PROFILE_ENV}=production needs {' and '.join(missing)}")
    return os.environ[CATALOG_ENV], os.environ[DATA_PATH_ENV]
