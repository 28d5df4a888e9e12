"""The input folder as a feed: which files are new, changed or gone since the last look.

Each file is one Dagster partition. Its key is its path relative to the folder, so users
recognise it in the UI and on the command line; the few paths Dagster cannot take as a key get a
stable hashed key instead.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from pipeline.ingest import list_input_files

_FORBIDDEN_IN_KEYS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")
_RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson")


def partition_key_for(relative_path: str) -> str:
    if any(bad in relative_path for bad in _FORBIDDEN_IN_KEYS) or len(relative_path) > 500:
        return "file-" + hashlib.sha1(relative_path.encode()).hexdigest()[:16]
    return relative_path


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
    """Partition key → a cheap fingerprint (size and modification time) of every input file."""
    return {
        partition_key_for(f.relative): f"{f.size}:{f.mtime_ns}" for f in list_input_files(folder)
    }


def diff(previous: dict[str, str], current: dict[str, str]) -> FeedChanges:
    return FeedChanges(
        new=sorted(k for k in current if k not in previous),
        changed=sorted(k for k in current if k in previous and previous[k] != current[k]),
        deleted=sorted(k for k in previous if k not in current),
    )


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


def contiguous_ranges(keys: list[str], order: list[str]) -> list[tuple[str, str]]:
    """Group keys into runs of neighbours in the partition order: one run per range.

    Dagster runs a partition range as one run; keys that are not neighbours need separate
    ranges, or the range would re-process every partition in between.
    """
    position = {k: i for i, k in enumerate(order)}
    wanted = sorted({position[k] for k in keys if k in position})
    ranges: list[tuple[str, str]] = []
    start = prev = None
    for p in wanted:
        if start is None:
            start = prev = p
        elif p == prev + 1:
            prev = p
        else:
            ranges.append((order[start], order[prev]))
            start = prev = p
    if start is not None:
        ranges.append((order[start], order[prev]))
    return ranges
