"""Helpers of the trust tests: a published seed state to start from, injected faults, and
"equal to a full rebuild" as one assertion."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline import storage
from tests.conftest import SEEDS, run_pipeline


def published_seeds(base: Path, held_back: int = 0) -> tuple[Path, Path]:
    """The seeds processed and published under ``base``: (articles folder, published file).

    The last ``held_back`` seeds wait in ``base/later`` for a test to drop them in (new work
    for the run that is then made to fail).
    """
    articles, db = base / "articles", base / "news.duckdb"
    shutil.copytree(SEEDS, articles)
    later = base / "later"
    later.mkdir()
    for seed in sorted(articles.glob("*.txt"))[len(list(articles.glob("*.txt"))) - held_back :]:
        seed.rename(later / seed.name)
    run = run_pipeline(articles, db)
    assert run.result.success
    return articles, db


def copy_state(base: Path, dest: Path) -> tuple[Path, Path]:
    """A private copy of a folder, its working database and its published file.

    ``copytree`` keeps modification times, so the copied files count as already read.
    """
    shutil.copytree(base, dest, symlinks=True)
    return dest / "articles", dest / "news.duckdb"


def drop_in_later_files(articles: Path) -> None:
    """Move the held-back seeds into the folder: new files for the next run."""
    for seed in sorted((articles.parent / "later").glob("*")):
        seed.rename(articles / seed.name)


def inject(monkeypatch, faults: dict[str, str]) -> None:
    """Fault actions by point name (see ``storage.fault_point``) for in-process runs."""
    monkeypatch.setenv(storage.FAULT_ENV, json.dumps(faults))


def assert_equals_full_rebuild(db: Path, articles: Path, scratch: Path) -> None:
    """The published tables equal a full rebuild of the same folder (first-seen times aside)."""
    full = run_pipeline(articles, scratch / "full" / "news.duckdb")
    assert full.result.success
    assert storage.table_differences(db, full.db_path, storage.rebuilt_tables()) == []


def tmp_files(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.*.tmp*"))
