"""Publishing: the checked tables become the DuckDB file users query, in one atomic step."""

import dagster as dg

from assets.summaries import DAILY
from pipeline.resources import Warehouse
from pipeline.schemas import PUBLISHED_TABLES

PUBLISHED_ASSET_DEPS = [t.name for t in PUBLISHED_TABLES]


@dg.asset(
    group_name="publish",
    kinds={"duckdb"},
    owners=["team:wirehouse"],
    deps=PUBLISHED_ASSET_DEPS,
    freshness_policy=DAILY,
    description=(
        "The DuckDB file at NEWS_DUCKDB_PATH. Built from the working database only after every "
        "upstream gate passed, then moved over the old file atomically: open readers keep "
        "their snapshot, and a failed gate leaves the published tables untouched."
    ),
)
def news_database(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    counts = warehouse.publish()
    context.log.info(f"published {warehouse.published_path}: {counts}")
    rows = "\n".join(f"| `{name}` | {n:,} |" for name, n in counts.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(warehouse.published_path.resolve())),
            "tables": dg.MetadataValue.md(f"| table | rows |\n|---|---:|\n{rows}"),
            "row_counts": dg.MetadataValue.json(counts),
        }
    )
