"""The story gathering's checkpoints, kept in the working database between runs.

``pipeline.gathering`` resumes the day-by-day story gathering from the latest checkpoint still
valid for the archive; this keeps the checkpoints of the last run. They are a cache: each one
carries the digest of the articles before it and is used only when today's articles match it,
so a lost, stale or foreign one costs a longer replay, never a different result. They are
written inside the step's transaction, beside the tables they helped make, and read back as
numpy arrays (44 MB at 100,000 articles, most of it the links).
"""

from __future__ import annotations

import duckdb
import numpy as np

from pipeline.gathering import VERSION, Checkpoint, GatheringMemory

CHECKPOINTS = "gathering_checkpoints"
RUN = "gathering_run"  # one row: the last run's links and fingerprints
FINGERPRINT_BYTES = 16


class GatheringStore:
    """Checkpoints, links and fingerprints of the last gathering (those of another ``VERSION``
    are ignored)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (version VARCHAR, position BIGINT, "
            "prefix BLOB, cluster_ids BLOB, lengths BLOB, members BLOB)"
        )
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {RUN} (version VARCHAR, later BLOB, earlier BLOB, "
            "fingerprints BLOB)"
        )

    def read(self) -> GatheringMemory:
        rows = self.con.execute(
            f"SELECT position, prefix, cluster_ids, lengths, members FROM {CHECKPOINTS} "
            "WHERE version = ? ORDER BY position",
            [VERSION],
        ).fetchall()
        memory = GatheringMemory(
            checkpoints=[
                Checkpoint(int(position), bytes(prefix), _array(ids), _array(lengths), _array(held))
                for position, prefix, ids, lengths, held in rows
            ]
        )
        run = self.con.execute(
            f"SELECT later, earlier, fingerprints FROM {RUN} WHERE version = ?", [VERSION]
        ).fetchall()
        if run:
            later, earlier, fingerprints = run[0]
            memory.links = np.stack([_array(later), _array(earlier)], axis=1)
            flat = bytes(fingerprints)
            memory.fingerprints = [
                flat[k : k + FINGERPRINT_BYTES] for k in range(0, len(flat), FINGERPRINT_BYTES)
            ]
        return memory

    def store(self, memory: GatheringMemory) -> None:
        """Replace the stored checkpoints and links by ``memory``'s (in the caller's
        transaction)."""
        self.con.execute(f"DELETE FROM {CHECKPOINTS}")
        self.con.execute(f"DELETE FROM {RUN}")
        for cp in memory.checkpoints:
            self.con.execute(
                f"INSERT INTO {CHECKPOINTS} VALUES (?, ?, ?, ?, ?, ?)",
                [
                    VERSION,
                    cp.position,
                    cp.prefix,
                    _blob(cp.cluster_ids),
                    _blob(cp.lengths),
                    _blob(cp.members),
                ],
            )
        if any(len(f) != FINGERPRINT_BYTES for f in memory.fingerprints):
            raise ValueError(f"fingerprints must be {FINGERPRINT_BYTES} bytes")
        self.con.execute(
            f"INSERT INTO {RUN} VALUES (?, ?, ?, ?)",
            [
                VERSION,
                _blob(memory.links[:, 0]),
                _blob(memory.links[:, 1]),
                b"".join(memory.fingerprints),
            ],
        )


def _blob(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype="<i8").tobytes()


def _array(blob: bytes) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<i8").astype(np.int64)
