"""Every gate fails once on purpose, in a real run: downstream steps skip, nothing is published.

Each case makes one step write bad rows (through the ``write:<table>`` fault point, inside the
step's own transaction, exactly where a bug in that step would put them) on a copy of one
published seed state, then runs the whole job.
"""

from __future__ import annotations

import dagster as dg
import pytest

from assets._gates import gate_names
from assets.definitions import build_definitions
from tests.conftest import run_pipeline
from tests.faults import copy_state, inject, published_seeds, tmp_files

# (gate, asset it guards, table written badly, the bad write, the expectation column that fails)
CASES = [
    (
        "raw_articles_quality",
        "raw_articles",
        "raw_articles",
        "UPDATE raw_articles SET sha256 = 'not a hash'",
        "sha256_ok",
    ),
    (
        "articles_quality",
        "articles",
        "articles",
        "UPDATE articles SET n_chars = n_chars + 1",
        "n_chars_ok",
    ),
    (
        "quarantine_quality",
        "quarantine",
        "quarantine",
        "INSERT INTO quarantine SELECT source_path, 'cleaning', 'empty', 'injected', "
        "current_timestamp::TIMESTAMP FROM articles LIMIT 1",
        "not_also_an_article",
    ),
    (
        "input_coverage_quality",
        "quarantine",
        "articles",
        "DELETE FROM articles WHERE article_id = (SELECT max(article_id) FROM articles)",
        "accounted_for",
    ),
    (
        "ner_spans_quality",
        "ner_spans",
        "ner_spans",
        "UPDATE ner_spans SET start_char = start_char + 1",
        "span_matches_text",
    ),
    # shifted mention offsets
    (
        "entity_mentions_quality",
        "entity_mentions",
        "entity_mentions",
        "UPDATE entity_mentions SET start_char = start_char + 1, end_char = end_char + 1",
        "span_matches_text",
    ),
    # an orphan entity mention: its article does not exist
    (
        "entity_mentions_quality",
        "entity_mentions",
        "entity_mentions",
        "UPDATE entity_mentions SET article_id = 'no_such_article' "
        "WHERE start_char = (SELECT min(start_char) FROM entity_mentions)",
        "article_exists",
    ),
    (
        "event_candidates_quality",
        "event_candidates",
        "event_candidates",
        "UPDATE event_candidates SET trigger_start = -1",
        "trigger_in_sentence",
    ),
    (
        "entities_quality",
        "entities",
        "entities",
        "UPDATE entities SET n_mentions = n_mentions + 1",
        "n_mentions_reconciles",
    ),
    (
        "events_quality",
        "events",
        "events",
        "UPDATE events SET n_articles = n_articles + 1",
        "n_articles_reconciles",
    ),
    # an orphan event mention: its event does not exist
    (
        "event_mentions_quality",
        "event_mentions",
        "event_mentions",
        "UPDATE event_mentions SET event_id = 'evt_no_such_event' "
        "WHERE sentence_index = (SELECT min(sentence_index) FROM event_mentions)",
        "event_exists",
    ),
    # an orphan event mention: its article does not exist
    (
        "event_mentions_quality",
        "event_mentions",
        "event_mentions",
        "UPDATE event_mentions SET article_id = 'no_such_article' "
        "WHERE sentence_index = (SELECT max(sentence_index) FROM event_mentions)",
        "article_exists",
    ),
    # two primary mentions for one article
    (
        "event_mentions_quality",
        "event_mentions",
        "event_mentions",
        "UPDATE event_mentions SET is_primary = true",
        "one_primary_per_article",
    ),
    # stories: counts that do not reconcile, an event in no story, an article without its story
    (
        "stories_quality",
        "stories",
        "stories",
        "UPDATE stories SET n_articles = n_articles + 1",
        "n_articles_reconciles",
    ),
    (
        "stories_quality",
        "stories",
        "stories",
        "DELETE FROM stories WHERE story_id = (SELECT min(story_id) FROM stories)",
        "every_event_in_a_story",
    ),
    (
        "stories_quality",
        "stories",
        "stories",
        "UPDATE articles SET story_id = NULL",
        "article_stories_reconcile",
    ),
    # id histories: an id that "moved" to itself, a merge without a successor
    (
        "event_id_history_quality",
        "event_id_history",
        "event_id_history",
        "INSERT INTO event_id_history VALUES ('evt_x', 'evt_x', current_timestamp, 'merged')",
        "id_changed",
    ),
    (
        "story_id_history_quality",
        "story_id_history",
        "story_id_history",
        "INSERT INTO story_id_history VALUES ('sty_x', NULL, current_timestamp, 'split')",
        "successor_iff_not_retired",
    ),
    (
        "entity_id_history_quality",
        "entity_id_history",
        "entity_id_history",
        "INSERT INTO entity_id_history VALUES ('ent_x', NULL, current_timestamp, 'merged')",
        "successor_iff_not_retired",
    ),
    # summaries that do not reconcile with their source
    (
        "daily_entity_counts_quality",
        "daily_entity_counts",
        "daily_entity_counts",
        "UPDATE daily_entity_counts SET n_mentions = n_mentions + 1",
        "n_mentions_reconciles",
    ),
    (
        "event_timeline_quality",
        "event_timeline",
        "event_timeline",
        "UPDATE event_timeline SET n_events = n_events + 1",
        "n_events_reconciles",
    ),
    (
        "source_coverage_quality",
        "source_coverage",
        "source_coverage",
        "UPDATE source_coverage SET n_articles = n_articles + 1",
        "articles_reconcile",
    ),
    (
        "entity_cooccurrence_quality",
        "entity_cooccurrence",
        "entity_cooccurrence",
        "UPDATE entity_cooccurrence SET n_articles = 1000000",
        "within_entity_counts",
    ),
]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("gates_base")
    published_seeds(base)
    return base


def _downstream(asset: str, articles, db) -> set[str]:
    graph = build_definitions(str(articles), str(db)).resolve_asset_graph()
    keys = dg.AssetSelection.assets(asset).downstream(include_self=False).resolve(graph)
    return {k.to_user_string() for k in keys}


def _started_steps(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


@pytest.mark.parametrize(
    ("gate", "asset", "table", "bad_write", "column"),
    CASES,
    ids=[f"{c[0]}-{c[4]}" for c in CASES],
)
def test_gate_fails_on_bad_output(
    published, tmp_path, monkeypatch, gate, asset, table, bad_write, column
):
    articles, db = copy_state(published, tmp_path / "state")
    before = db.read_bytes()
    inject(monkeypatch, {f"write:{table}": f"sql:{bad_write}"})
    run = run_pipeline(articles, db)

    assert not run.result.success
    verdict = next(e for e in run.result.get_asset_check_evaluations() if e.check_name == gate)
    assert not verdict.passed
    failed = {r["column"] for r in verdict.metadata["results"].data if not r["success"]}
    assert column in failed

    materialized = {
        e.asset_key.to_user_string() for e in run.result.get_asset_materialization_events()
    }
    downstream = _downstream(asset, articles, db)
    assert "news_database" in downstream
    assert not materialized & downstream, "a step below a failed gate ran"
    assert "news_database" not in _started_steps(run.result)
    assert db.read_bytes() == before


def test_publish_verification_fails_on_a_bad_copy(published, tmp_path, monkeypatch):
    """The new file differs from the checked working tables: it never replaces the old one."""
    articles, db = copy_state(published, tmp_path / "state")
    before = db.read_bytes()
    inject(
        monkeypatch,
        {
            "publish:copy:events": "sql:DELETE FROM events WHERE event_id = "
            "(SELECT min(event_id) FROM events)"
        },
    )
    run = run_pipeline(articles, db)
    assert not run.result.success
    failure = next(e for e in run.result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "news_database"
    assert "events: the new file holds" in str(failure.event_specific_data.error)
    assert db.read_bytes() == before
    assert tmp_files(db) == []


def test_every_gate_has_a_case():
    """A new gate without a case here would be a gate no test has ever seen fail."""
    assert {case[0] for case in CASES} == set(gate_names())
