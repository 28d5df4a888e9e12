"""The whole graph materialized on the five seed articles."""

from __future__ import annotations

import html
import shutil
from datetime import datetime

import duckdb

from pipeline.digest import render_digest
from pipeline.schemas import PUBLISHED_TABLES


def test_every_table_published_with_declared_columns(seed_run):
    for schema in PUBLISHED_TABLES:
        cols = seed_run.query(f"DESCRIBE {schema.name}")["column_name"].tolist()
        assert cols == schema.column_names, schema.name
    counts = {t.name: len(seed_run.query(f"SELECT * FROM {t.name}")) for t in PUBLISHED_TABLES}
    assert counts["raw_articles"] == 5
    assert counts["articles"] == 5
    assert counts["quarantine"] == 0
    assert counts["entity_mentions"] > 200
    assert counts["events"] >= 5
    assert counts["entity_cooccurrence"] > 0


def test_all_gates_ran_and_passed(seed_run):
    evaluations = seed_run.result.get_asset_check_evaluations()
    names = {e.check_name for e in evaluations}
    assert {
        "articles_quality",
        "entities_quality",
        "events_quality",
        "event_mentions_quality",
        "entity_cooccurrence_quality",
    } <= names
    assert all(e.passed for e in evaluations)
    articles_eval = next(e for e in evaluations if e.check_name == "articles_quality")
    results = articles_eval.metadata["results"].data
    assert any(r["expectation"] == "expect_column_values_to_be_unique" for r in results)
    assert all(r["success"] for r in results)


def test_boilerplate_removed_and_sentences_kept(seed_run):
    text = "\n".join(seed_run.query("SELECT text FROM articles")["text"])
    for furniture in [
        "Leave a Reply",
        "Your email address will not be published",
        "Back to top",
        "icon-facebook",
        "source site-59",
        "Also read",
        "Related News",
        "Leave a Comment",
        "by admin",
        "Getty Images",
        "sequel after announcement",
    ]:
        assert furniture not in text, furniture
    assert (
        "US Secretary of State Anthony Blinken spoke by phone with Chinese Foreign "
        "Minister Qin Gang on Wednesday."
    ) in text
    assert "Blinken canceled a planned visit to Beijing in February" in text


def test_publication_date_from_date_line(seed_run):
    row = seed_run.query(
        "SELECT published_date, published_date_origin FROM articles WHERE source_path LIKE '003_%'"
    ).iloc[0]
    assert str(row["published_date"])[:10] == "2023-06-14"
    assert row["published_date_origin"] == "date_line"


def test_secretary_of_state_is_one_person_under_all_spellings(seed_run):
    found = seed_run.query(
        "SELECT entity_id, name, label, aliases FROM entities "
        "WHERE list_contains(aliases, 'Blinken')"
    )
    assert len(found) == 1
    row = found.iloc[0]
    assert row["label"] == "PERSON"
    assert {"Anthony Blinken", "Antony Blinken", "Blinken"} <= set(row["aliases"])
    mention_forms = seed_run.query(
        f"SELECT DISTINCT text FROM entity_mentions WHERE entity_id = '{row['entity_id']}'"
    )["text"]
    assert {"Anthony Blinken", "Antony Blinken", "Blinken"} <= set(mention_forms)
    # Honorific forms resolve to the same person: "Mr. Blinken" appears in seed 004.
    honorific = seed_run.query(
        "SELECT m.entity_id FROM entity_mentions m JOIN articles a USING (article_id) "
        "WHERE a.source_path LIKE '004_%' AND m.text = 'Blinken' "
        "AND substr(a.text, m.start_char - 3, 3) = 'Mr.'"
    )
    assert len(honorific) >= 1
    assert set(honorific["entity_id"]) == {row["entity_id"]}


def test_garbled_foreign_minister_name_resolves_to_majority(seed_run):
    found = seed_run.query(
        "SELECT name, aliases FROM entities WHERE list_contains(aliases, 'Chen Gang')"
    )
    assert found["name"].tolist() == ["Qin Gang"]


def test_phone_call_is_one_event_linked_to_each_reporting_article(seed_run):
    calls = seed_run.query(
        "SELECT e.event_id, list(DISTINCT a.source_path ORDER BY a.source_path) AS paths "
        "FROM events e JOIN event_mentions m USING (event_id) JOIN articles a USING (article_id) "
        "WHERE e.event_type = 'CONSULT' AND e.event_mode = 'phone' GROUP BY e.event_id "
        "ORDER BY len(paths) DESC"
    )
    prefixes = {p[:3] for p in calls.iloc[0]["paths"]}
    assert {"000", "001", "002", "003"} <= prefixes
    event = seed_run.query(
        f"SELECT * FROM events WHERE event_id = '{calls.iloc[0]['event_id']}'"
    ).iloc[0]
    assert "Antony Blinken" in list(event["actors"])
    assert event["n_articles"] >= 4


def test_one_primary_mention_per_article_with_events(seed_run):
    per_article = seed_run.query(
        "SELECT article_id, count(*) FILTER (WHERE is_primary) AS n FROM event_mentions "
        "GROUP BY article_id"
    )
    assert len(per_article) == 5
    assert per_article["n"].tolist() == [1] * 5


def test_offsets_point_into_cleaned_text(seed_run):
    bad = seed_run.query(
        "SELECT count(*) AS n FROM entity_mentions m JOIN articles a USING (article_id) "
        "WHERE substr(a.text, m.start_char + 1, m.end_char - m.start_char) <> m.text"
    )
    assert bad["n"].iloc[0] == 0
    sentences = seed_run.query(
        "SELECT count(*) AS n FROM event_mentions m JOIN articles a USING (article_id) "
        "WHERE substr(a.text, m.start_char + 1, m.end_char - m.start_char) <> m.sentence"
    )
    assert sentences["n"].iloc[0] == 0


def test_summaries_reconcile_with_detail_tables(seed_run):
    daily = seed_run.query("SELECT sum(n_mentions) AS n FROM daily_entity_counts")["n"].iloc[0]
    direct = seed_run.query(
        "SELECT count(*) AS n FROM entity_mentions JOIN articles USING (article_id) "
        "WHERE published_date IS NOT NULL"
    )["n"].iloc[0]
    assert daily == direct > 0
    coverage = seed_run.query("SELECT sum(n_articles) AS n FROM source_coverage")["n"].iloc[0]
    assert coverage == 5


def _metadata(seed_run, node, key=None):
    mats = seed_run.result.asset_materializations_for_node(node)
    found = [m for m in mats if key is None or m.asset_key.to_user_string() == key]
    return found[0].metadata


def test_ui_metadata_counts_what_it_says(seed_run):
    published = _metadata(seed_run, "news_database")["row_counts"].value
    for table in PUBLISHED_TABLES:
        n = seed_run.query(f'SELECT count(*) AS n FROM "{table.name}"')["n"].iloc[0]
        assert published[table.name] == n
    raw = _metadata(seed_run, "raw_articles")
    assert raw["files_read"].value == raw["files_in_folder"].value == 5
    preview = _metadata(seed_run, "articles")["preview"].value
    cells = [c.strip() for c in preview.split("|")]
    assert "" in cells  # duplicate_of is NULL for every seed: shown empty ...
    assert not {"nan", "None", "NaT", "<NA>"} & set(cells)  # ... never as a placeholder
    assert seed_run.result.dagster_run.job_name == "process_files"


def test_digest_is_a_self_contained_page_with_the_top_event(seed_run):
    page = (seed_run.db_path.parent / "digest.html").read_text(encoding="utf-8")
    top = seed_run.query(
        "SELECT title FROM events ORDER BY n_articles DESC, n_sources DESC, event_id LIMIT 1"
    )["title"].iloc[0]
    assert html.escape(top) in page
    assert page.count("<svg") == 2  # events per day, names over time: inline charts
    lowered = page.lower()
    for fetches in ("<script", "<link", "src=", "url(http", "@import"):
        assert fetches not in lowered  # nothing to load: it opens offline
    assert "Rejected inputs" in page
    meta = _metadata(seed_run, "digest")
    assert meta["path"].value.endswith("digest.html")


def test_digest_renders_untitled_articles_and_empty_tables(seed_run, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(seed_run.db_path, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("UPDATE articles SET title = NULL")
        page = render_digest(con, datetime(2026, 1, 1))
        assert "Most reported events" in page and "<td></td>" in page
        con.execute("DELETE FROM event_timeline")
        con.execute("DELETE FROM daily_entity_counts")
        page = render_digest(con, datetime(2026, 1, 1))
        assert "No dated events yet" in page and "<svg" not in page
    finally:
        con.close()
