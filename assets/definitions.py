"""The Dagster code location: every asset, check and resource of Wirehouse."""

from __future__ import annotations

import dagster as dg

from assets import automation, cleaning, digest, entities, events, ingest, publish, summaries
from pipeline.profiles import CATALOG_ENV, DATA_PATH_ENV, lake_settings
from pipeline.resources import (
    DEFAULT_ARTICLES_DIR,
    DEFAULT_DUCKDB_PATH,
    ArticleFolder,
    NlpSettings,
    QualitySettings,
    Warehouse,
    env_or_default,
)

ALL_ASSETS = [
    ingest.raw_articles,
    cleaning.articles,
    cleaning.quarantine,
    entities.ner_spans,
    entities.canonical_entities,
    events.event_candidates,
    events.deduplicated_events,
    *summaries.summary_assets,
    publish.news_database,
    digest.digest,
]
ALL_CHECKS = [
    ingest.raw_articles_quality,
    cleaning.articles_quality,
    cleaning.quarantine_quality,
    cleaning.input_coverage_quality,
    cleaning.quarantine_share,
    entities.ner_spans_quality,
    entities.entity_mentions_quality,
    entities.entities_quality,
    entities.entity_id_history_quality,
    events.event_candidates_quality,
    events.events_quality,
    events.event_mentions_quality,
    events.event_id_history_quality,
    events.stories_quality,
    events.story_id_history_quality,
    *summaries.summary_checks,
    publish.news_database_quality,
]


def build_resources(articles_dir: str | None = None, duckdb_path: str | None = None) -> dict:
    """Resources from explicit paths (tests) or from the environment (make run / make dev).

    The profile (``WIREHOUSE_PROFILE``) decides whether the warehouse publishes to a file or a
    DuckLake catalog; nothing else differs between the profiles.
    """
    catalog, data_path = lake_settings()
    return {
        "articles_folder": ArticleFolder(
            path=articles_dir or env_or_default("NEWS_ARTICLES_DIR", DEFAULT_ARTICLES_DIR)
        ),
        "warehouse": Warehouse(
            database_path=duckdb_path or env_or_default("NEWS_DUCKDB_PATH", DEFAULT_DUCKDB_PATH),
            lake_catalog=dg.EnvVar(CATALOG_ENV) if catalog else "",
            lake_data_path=dg.EnvVar(DATA_PATH_ENV) if data_path else "",
        ),
        "nlp_settings": NlpSettings(),
        "quality": QualitySettings(),
    }


def build_definitions(articles_dir: str | None = None, duckdb_path: str | None = None):
    """The code location; explicit paths for tests and the CLI, else the environment."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        asset_checks=ALL_CHECKS,
        jobs=[automation.process_files],
        sensors=[automation.article_files_sensor, automation.publish_after_partial_runs],
        schedules=[automation.daily_reconcile],
        resources=build_resources(articles_dir, duckdb_path),
        executor=dg.in_process_executor,
    )


defs = build_definitions()
