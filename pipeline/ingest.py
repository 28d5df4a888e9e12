"""Reading the input folder: one row per readable article, a quarantine row for everything else.

Nothing here raises on bad input: every file ends up either as a raw article or as a rejection
with a reason a person can act on.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from pipeline.decoding import decode_bytes

MAX_FILE_BYTES = 5 * 1024 * 1024
TEXT_SUFFIXES = {".json", ".jsonl", ".ndjson"}
HTML_MARKERS = ("<!doctype html", "<html", "<head>", "<body")


@dataclass
class IngestResult:
    articles: pd.DataFrame
    rejects: pd.DataFrame
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class InputFile:
    """A file under the input folder, identified by its path relative to that folder."""

    path: Path
    relative: str
    size: int
    mtime_ns: int
    # or "symlink", "special" (FIFO, socket, device): listed, never read; "unstatable": there but
    # its metadata unreadable for now (kept as it was)
    kind: str = "file"

    @property
    def fingerprint(self) -> str:
        """Changes whenever the file is rewritten; cheap, since ``stat`` already read it."""
        return f"{self.size}:{self.mtime_ns}"


def list_input_files(folder: str | os.PathLike[str]) -> list[InputFile]:
    """Every non-hidden entry below the folder that is not a directory, in a stable order.

    Symbolic links (to files or folders) and special files are listed with their kind so that
    they reach the quarantine with a reason, but they are never followed or opened: a link could
    point anywhere on the machine, and a FIFO would block the read forever.
    """
    root = Path(folder)
    found: list[InputFile] = []
    if not root.is_dir():
        raise FileNotFoundError(f"Input folder {root} does not exist or is not a folder")
    for dirpath, dirnames, filenames in os.walk(root):  # never descends into linked folders
        linked = [d for d in dirnames if not d.startswith(".") and os.path.islink(Path(dirpath, d))]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in set(linked))
        for name in sorted([*filenames, *linked]):
            if name.startswith("."):
                continue
            path = Path(dirpath) / name
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue  # deleted while we looked
            except OSError:
                # There, but not inspectable right now: neither read nor retired (its rows stay).
                found.append(InputFile(path, path.relative_to(root).as_posix(), 0, 0, "unstatable"))
                continue
            if stat.S_ISLNK(st.st_mode):
                kind = "symlink"
            elif stat.S_ISREG(st.st_mode):
                kind = "file"
            else:
                kind = "special"
            found.append(
                InputFile(path, path.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns, kind)
            )
    return found


def content_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_articles(
    folder: str | os.PathLike[str],
    max_bytes: int = MAX_FILE_BYTES,
    only: set[str] | None = None,
    listing: list[InputFile] | None = None,
) -> IngestResult:
    """Decode the input files (all, or those whose relative path is in ``only``).

    ``listing`` is a listing of the folder the caller already made, to save a second walk.
    """
    rows: list[dict] = []
    rejects: list[dict] = []
    listed = listing if listing is not None else list_input_files(folder)
    files = [f for f in listed if only is None or f.relative in only]
    for f in files:
        for item in _read_one(f, max_bytes):
            (rows if "raw_text" in item else rejects).append(item)
    articles = assign_article_ids(pd.DataFrame(rows, columns=_ARTICLE_COLUMNS))
    return IngestResult(
        articles=articles,
        rejects=pd.DataFrame(rejects, columns=["source_path", "stage", "reason", "detail"]),
        files=[f.relative for f in files],
    )


def assign_article_ids(articles: pd.DataFrame) -> pd.DataFrame:
    """Content-derived ids; of identical contents, the first path keeps the plain content id.

    Computed over the whole table, never per file, so the ids do not depend on the order in
    which files arrived.
    """
    out = articles.sort_values("source_path", kind="stable").reset_index(drop=True)
    seen: set[str] = set()
    ids = []
    for text, path in zip(out["raw_text"], out["source_path"], strict=True):
        aid = content_id(text)
        if aid in seen:
            aid = content_id(text + "\0" + path)
        seen.add(aid)
        ids.append(aid)
    out["article_id"] = ids
    return out


_ARTICLE_COLUMNS = [
    "article_id",
    "source_path",
    "raw_text",
    "n_bytes",
    "sha256",
    "encoding",
    "record_url",
    "record_source",
    "record_title",
    "record_published_at",
]


def _reject(relative: str, reason: str, detail: str) -> dict:
    return {"source_path": relative, "stage": "ingest", "reason": reason, "detail": detail}


def _read_one(f: InputFile, max_bytes: int) -> Iterator[dict]:
    if f.kind == "symlink":
        yield _reject(
            f.relative,
            "symlink",
            "symbolic links are never followed: copy the article into the folder instead",
        )
        return
    if f.kind != "file":
        yield _reject(
            f.relative, "not_a_regular_file", "a FIFO, socket or device file is never read"
        )
        return
    if f.size > max_bytes:
        yield _reject(
            f.relative,
            "too_large",
            f"{f.size:,} bytes is over the {max_bytes:,}-byte limit for one article",
        )
        return
    try:
        data = _read_no_follow(f.path, max_bytes)
    except OSError as exc:
        yield _reject(f.relative, "unreadable", f"could not read the file: {exc.strerror or exc}")
        return
    if len(data) > max_bytes:  # grew since it was listed
        yield _reject(f.relative, "too_large", f"over the {max_bytes:,}-byte limit for one article")
        return
    digest = hashlib.sha256(data).hexdigest()
    decoded = decode_bytes(data)
    if decoded.text is None:
        yield _reject(f.relative, decoded.reason or "undecodable", decoded.detail)
        return
    base = {"n_bytes": len(data), "sha256": digest, "encoding": decoded.encoding}
    suffix = f.path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        yield from _read_records(f.relative, decoded.text, suffix, base)
        return
    head = decoded.text.lstrip()[:500].lower()
    if any(marker in head for marker in HTML_MARKERS):
        yield _reject(
            f.relative,
            "html_markup",
            "the file is an HTML page, not article text; save the article as plain text",
        )
        return
    yield {**base, "source_path": f.relative, "raw_text": decoded.text, **_NO_RECORD}


_NO_RECORD = {
    "record_url": None,
    "record_source": None,
    "record_title": None,
    "record_published_at": None,
}


def _read_records(relative: str, text: str, suffix: str, base: dict) -> Iterator[dict]:
    """Every record of a JSON/JSONL file, or a rejection: a file never vanishes unaccounted."""
    produced = False
    for item in _records(relative, text, suffix, base):
        produced = True
        yield item
    if not produced:
        yield _reject(relative, "missing_text", "the JSON file holds no records")


def _records(relative: str, text: str, suffix: str, base: dict) -> Iterator[dict]:
    if suffix == ".json":
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            yield _reject(
                relative, "invalid_json", f"not valid JSON: {exc.msg} at line {exc.lineno}"
            )
            return
        except RecursionError:
            yield _reject(relative, "invalid_json", "JSON nested too deeply to be an article")
            return
        records = payload if isinstance(payload, list) else [payload]
        numbered = [(i + 1, r) for i, r in enumerate(records)]
    else:
        numbered = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                numbered.append((lineno, json.loads(line)))
            except json.JSONDecodeError as exc:
                yield _reject(f"{relative}#{lineno}", "invalid_json", f"line {lineno}: {exc.msg}")
            except RecursionError:
                yield _reject(
                    f"{relative}#{lineno}", "invalid_json", f"line {lineno}: nested too deeply"
                )
    single = len(numbered) == 1 and suffix == ".json"
    for n, record in numbered:
        where = relative if single else f"{relative}#{n}"
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            yield _reject(where, "missing_text", "JSON record has no string field 'text'")
            continue
        if not record["text"].strip():
            yield _reject(where, "empty", "JSON record's 'text' is empty")
            continue
        yield {
            **base,
            "source_path": where,
            "raw_text": record["text"],
            "record_url": _str_or_none(record.get("url")),
            "record_source": _str_or_none(record.get("source")),
            "record_title": _str_or_none(record.get("title")),
            "record_published_at": _parse_iso_date(record.get("published_at")),
        }


def _read_no_follow(path: Path, max_bytes: int) -> bytes:
    """Read a regular file without following a link swapped in since it was listed."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(max_bytes + 1)
    finally:
        os.close(fd)


def _str_or_none(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _parse_iso_date(value: object) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
