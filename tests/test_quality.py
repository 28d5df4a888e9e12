"""Great Expectations validation as the gates run it (pipeline/quality.py), on real GE."""

from __future__ import annotations

import gc
import weakref

import pandas as pd

from pipeline.quality import Expectation, Suite, validate_frame

SUITE = Suite(
    "probe",
    "SELECT * FROM probe",
    (
        Expectation("ExpectColumnValuesToNotBeNull", {"column": "article_id"}),
        Expectation("ExpectColumnValuesToBeUnique", {"column": "article_id"}),
    ),
)


def test_a_validation_reports_failures_and_keeps_no_reference_to_the_frame():
    """GE caches every batch it validated for the life of its context (the run's process):
    the gates' frames must not stay alive into the steps after them (~1 GB at 100k)."""
    good = pd.DataFrame({"article_id": ["a", "b", "c"]})
    bad = pd.DataFrame({"article_id": ["a", "a", None]})
    report = validate_frame(good, SUITE)
    assert report.success and report.n_rows == 3
    failed = validate_frame(bad, SUITE)
    assert not failed.success
    assert {o.expectation for o in failed.failures()} == {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_unique",
    }
    frame = pd.DataFrame({"article_id": [f"x{i}" for i in range(1000)]})
    alive = weakref.ref(frame)
    assert validate_frame(frame, SUITE).success
    del frame
    gc.collect()
    assert alive() is None


def test_a_column_only_checked_for_nulls_reaches_pandas_as_true_or_null(tmp_path):
    """The article texts stay in DuckDB; a missing one still fails its not-null expectation."""
    import duckdb

    suite = Suite(
        "texts",
        "SELECT * FROM texts",
        (
            Expectation("ExpectColumnValuesToNotBeNull", {"column": "article_id"}),
            Expectation("ExpectColumnValuesToBeUnique", {"column": "article_id"}),
            Expectation("ExpectColumnValuesToNotBeNull", {"column": "text"}),
        ),
    )
    assert suite.presence_only == {"text"}  # article_id is read by the unique check too
    con = duckdb.connect(str(tmp_path / "q.duckdb"))
    con.execute("CREATE TABLE texts AS SELECT * FROM (VALUES ('a', 'long text'), ('b', 'more'))")
    con.execute("ALTER TABLE texts RENAME col0 TO article_id")
    con.execute("ALTER TABLE texts RENAME col1 TO text")
    frame = con.execute(suite.projected_query).df()
    assert list(frame["article_id"]) == ["a", "b"]
    assert frame["text"].tolist() == [True, True]
    assert validate_frame(frame, suite).success
    con.execute("INSERT INTO texts VALUES ('c', NULL)")
    failed = validate_frame(con.execute(suite.projected_query).df(), suite)
    assert [(o.expectation, o.column) for o in failed.failures()] == [
        ("expect_column_values_to_not_be_null", "text")
    ]
    con.close()
