"""The input folder as a feed: which files are new, changed or gone since they were last read.

A file is identified by its path relative to the folder and fingerprinted by its size and
modification time, which a scan reads with one ``stat`` per file (10,000 files in well under a
second). The fingerprints of the files already read live in the working database
(``input_files``), so every launch path — ``make run``, ``make backfill``, the sensor, the
schedule, the UI — shares one record of what has been processed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from pipeline.ingest import list_input_files

_RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson")


def file_of_source_path(source_path: str) -> str:
    """The input file a row came from: JSON records are stored as ``file.jsonl#3``."""
    head, sep, tail = source_path.rpartition("#")
    if sep and tail.isdigit() and head.lower().endswith(_RECORD_SUFFIXES):
        return head
    return source_path


@dataclass(frozen=True)
class FeedChanges:
    new: list[str]
    changed: list[str]
    deleted: list[str]

    @property
    def keys(self) -> list[str]:
        return [*self.new, *self.changed, *self.deleted]


def scan(folder: str | os.PathLike[str]) -> dict[str, str]:
    """Relative path → a cheap fingerprint (size and modification time) of every input file."""
    return {f.relative: f.fingerprint for f in list_input_files(folder)}


def diff(previous: dict[str, str], current: dict[str, str]) -> FeedChanges:
    return FeedChanges(
        new=sorted(k for k in current if k not in previous),
        changed=sorted(k for k in current if k in previous and previous[k] != current[k]),
        deleted=sorted(k for k in previous if k not in current),
    )


def plan_reads(
    previous: dict[str, str],
    current: dict[str, str],
    forced: set[str] | None = None,
    everything: bool = False,
) -> tuple[set[str], set[str]]:
    """(files to read, files whose rows are retired) for one run.

    New and changed files are read; ``forced`` files (a backfill) are read again although their
    fingerprint is unchanged; ``everything`` re-reads the whole folder (the daily reconcile).
    Files gone from the folder are retired. A forced file that is not on disk is retired too.
    """
    changes = diff(previous, current)
    to_read = set(changes.new) | set(changes.changed)
    if everything:
        to_read |= set(current)
    forced = forced or set()
    to_read |= forced & set(current)
    gone = set(changes.deleted) | (forced - set(current))
    return to_read, gone


def encode_cursor(state: dict[str, str]) -> str:
    return json.dumps(state, sort_keys=True, separators=(",", ":"))


def decode_cursor(cursor: str | None) -> dict[str, str]:
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def read_cursor(cursor: str | None) -> dict[str, str] | None:
    """The fingerprints a sensor cursor holds ({} when there is none); None when it is not a
    cursor of this sensor (corrupt, hand-edited, written by another version)."""
    if not cursor:
        return {}
    try:
        value = json.loads(cursor)
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return None
    return value
