"""Event ids survive a growing dated feed, equal a full rebuild, and moved ids can be followed."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from assets.run import materialize_all
from pipeline.id_history import id_changes
from tests.conftest import snapshot

GVC = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "gvc-dev" / "articles"


def test_id_changes_name_where_each_vanished_id_went():
    key = ["article_id", "n"]
    before = pd.DataFrame(
        [
            ("a", 1, "evt_grows"),  # gains an older report: re-anchored
            ("b", 1, "evt_absorbed"),  # joins an event that already existed: merged
            ("c", 1, "evt_keeps"),
            ("d", 1, "evt_splits"),  # two parts, neither existing before: split
            ("d", 2, "evt_splits"),
            ("d", 3, "evt_splits"),
            ("e", 1, "evt_gone"),  # its article was deleted: retired
            ("f", 1, "evt_same"),
        ],
        columns=[*key, "event_id"],
    )
    after = pd.DataFrame(
        [
            ("a", 1, "evt_new_anchor"),
            ("a0", 1, "evt_new_anchor"),
            ("b", 1, "evt_keeps"),
            ("c", 1, "evt_keeps"),
            ("d", 1, "evt_small_part"),
            ("d", 2, "evt_large_part"),
            ("d", 3, "evt_large_part"),
            ("f", 1, "evt_same"),
        ],
        columns=[*key, "event_id"],
    )
    moved = id_changes(before, after, "event_id", key).set_index("old_id")
    assert moved.to_dict("index") == {
        "evt_absorbed": {"new_id": "evt_keeps", "reason": "merged"},
        "evt_gone": {"new_id": None, "reason": "retired"},
        "evt_grows": {"new_id": "evt_new_anchor", "reason": "re-anchored"},
        "evt_splits": {"new_id": "evt_large_part", "reason": "split"},  # follows the larger part
    }
    assert id_changes(after, after, "event_id", key).empty  # nothing moved, nothing recorded


def _published(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()[2].strip()


@pytest.mark.skipif(not GVC.is_dir(), reason="gvc-dev corpus not present at ../shared")
def test_ids_survive_a_dated_feed_and_equal_a_full_rebuild(tmp_path):
    """40 dated local-news articles arrive in publication order, in four batches.

    Reports arrive after what they report, so an event's earliest report, which its id is
    derived from, stays the earliest: every id noted after a batch must still exist after the
    next, unless its event merged with an older one (then the history says so).
    """
    files = sorted(
        GVC.glob("*.txt"), key=lambda p: (datetime.strptime(_published(p), "%B %d, %Y"), p.name)
    )[:40]
    days = sorted({_published(p) for p in files}, key=lambda d: datetime.strptime(d, "%B %d, %Y"))
    inbox, db = tmp_path / "inbox", tmp_path / "news.duckdb"
    inbox.mkdir()
    instance = dg.DagsterInstance.ephemeral()
    kept, noted = 0, set()
    for batch in range(4):  # whole days per batch: no later batch holds an earlier report
        batch_days = set(days[batch * len(days) // 4 : (batch + 1) * len(days) // 4])
        for f in files:
            if _published(f) in batch_days:
                shutil.copy(f, inbox / f.name)
        assert materialize_all(str(inbox), str(db), instance=instance).success
        tables = snapshot(db)
        ids = set(tables["events"]["event_id"])
        history = tables["event_id_history"]
        moved = dict(zip(history["old_id"], history["reason"], strict=True))
        for saved in noted - ids:
            assert moved.get(saved) in {"merged", "split"}, f"{saved}: {moved.get(saved)}"
        kept += len(noted & ids)
        noted = ids
    assert kept > 50  # the batches did share events: the check above was exercised
    assert "re-anchored" not in set(tables["event_id_history"]["reason"])

    full = tmp_path / "full.duckdb"
    assert materialize_all(str(inbox), str(full), instance=instance).success
    rebuilt = snapshot(full)
    for table in ("events", "event_mentions", "entities"):
        pd.testing.assert_frame_equal(
            rebuilt[table].drop(columns=["first_seen"], errors="ignore"),
            tables[table].drop(columns=["first_seen"], errors="ignore"),
            obj=table,
        )
