"""Step 5: summary tables, each recomputed from the detail tables."""

from datetime import timedelta

import dagster as dg

from assets._gates import gate_check, schema_of, table_metadata
from pipeline import storage
from pipeline.resources import Warehouse
from pipeline.summaries import SUMMARY_QUERIES, compute_summary

# The daily reconcile rebuilds every summary; a table older than that shows as stale in the UI.
DAILY = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
)

_SUMMARY_DEPS = {
    "daily_entity_counts": ["entity_mentions", "entities", "articles"],
    "event_timeline": ["events", "event_mentions"],
    "source_coverage": ["articles", "event_mentions"],
    "entity_cooccurrence": ["entity_mentions", "entities"],
}
_CHECK_DESCRIPTIONS = {
    "daily_entity_counts": "One row per day and entity; counts equal entity_mentions per day.",
    "event_timeline": "One row per day and type; counts equal the events table.",
    "source_coverage": "One row per source; article counts add up to the articles table.",
    "entity_cooccurrence": "Ordered unique pairs; counts never exceed either entity's.",
}


def _summary_asset(name: str) -> dg.AssetsDefinition:
    schema = schema_of(name)

    @dg.asset(
        name=name,
        group_name="summaries",
        kinds={"duckdb", "sql"},
        owners=["team:wirehouse"],
        deps=_SUMMARY_DEPS[name],
        description=schema.description,
        freshness_policy=DAILY,
    )
    def _summary(warehouse: Warehouse) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            df = compute_summary(con, name)
            with storage.transaction(con):
                storage.write_table(con, schema, df)
        return dg.MaterializeResult(metadata=table_metadata(df, schema))

    return _summary


summary_assets = [_summary_asset(name) for name in SUMMARY_QUERIES]
summary_checks = [gate_check(name, _CHECK_DESCRIPTIONS[name]) for name in SUMMARY_QUERIES]
