"""The story gathering's checkpoints, kept in the working database between runs.

``pipeline.gathering`` resumes the day-by-day story gathering from the latest checkpoint still
valid for the archive; this keeps the checkpoints of the last run. They are a cache: each one
carries the digest of the articles before it and is used only when today's articles match it,
so a lost, stale or foreign one costs a longer replay, never a different result. They are
written inside the step's transaction, beside the tables they helped make, and read back as
numpy arrays (a few MB at 100,000 articles).
"""

from __future__ import annotations

import duckdb
import numpy as np

from pipeline.gathering import VERSION, Checkpoint, GatheringMemory

CHECKPOINTS = "gathering_checkpoints"
LINKS = "gathering_links"


class GatheringStore:
    """Checkpoints and links of the last gathering (those of another ``VERSION`` are ignored)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (version VARCHAR, position BIGINT, "
            "prefix BLOB, cluster_ids BLOB, lengths BLOB, members BLOB)"
        )
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {LINKS} (version VARCHAR, later BLOB, earlier BLOB)"
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
        links = self.con.execute(
            f"SELECT later, earlier FROM {LINKS} WHERE version = ?", [VERSION]
        ).fetchall()
        if links:
            memory.links = np.stack([_array(links[0][0]), _array(links[0][1])], axis=1)
        return memory

    def store(self, memory: GatheringMemory) -> None:
        """Replace the stored checkpoints and links by ``memory``'s (in the caller's
        transaction)."""
        self.con.execute(f"DELETE FROM {CHECKPOINTS}")
        self.con.execute(f"DELETE FROM {LINKS}")
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
        self.con.execute(
            f"INSERT INTO {LINKS} VALUES (?, ?, ?)",
            [VERSION, _blob(memory.links[:, 0]), _blob(memory.links[:, 1])],
        )


def _blob(values: np.ndarray) -> bytes:
    return np.ascontiguousarray(values, dtype="<i8").tobytes()


def _array(blob: bytes) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype="<i8").astype(np.int64)
