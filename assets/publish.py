"""Publishing: the checked tables become the DuckDB file users query, in one atomic step."""

import dagster as dg

from assets._gates import gate_names
from assets.summaries import DAILY
from pipeline import shrinkage, storage
from pipeline.resources import ArticleFolder, QualitySettings, Warehouse
from pipeline.schemas import PUBLISHED_TABLES

PUBLISHED_ASSET_DEPS = [t.name for t in PUBLISHED_TABLES]
SHRINK_REMEDY = (
    "more than {share:.0%} of those rows vanished although their files did not: re-read every "
    "file (python -m assets.run --rescan-all) to restore them, or, if the loss is intended, "
    f"publish it once with {shrinkage.SHRINK_ENV}=1"
)


@dg.asset(
    group_name="publish",
    kinds={"duckdb"},
    owners=["team:wirehouse"],
    deps=PUBLISHED_ASSET_DEPS,
    freshness_policy=DAILY,
    description=(
        "The DuckDB file at NEWS_DUCKDB_PATH (in the production profile: the DuckLake catalog, "
        "one snapshot per publish). Built from the working database only after every "
        "upstream gate passed on the current tables and no table lost rows whose input files "
        "are still there and unchanged, then moved over the old file atomically (committed in "
        "one transaction): open readers "
        "keep their snapshot, and a refusal leaves the published tables untouched."
    ),
)
def news_database(
    context: dg.AssetExecutionContext,
    warehouse: Warehouse,
    quality: QualitySettings,
    articles_folder: ArticleFolder,
) -> dg.MaterializeResult:
    max_share = shrinkage.max_shrink_share(quality.max_shrink_share)
    with warehouse.connect(read_only=True) as con:
        problems = storage.gate_problems(con, gate_names(quality.min_articles))
        shrunk = (
            []
            if problems
            else shrinkage.measure(con, warehouse.published, articles_folder.root, PUBLISHED_TABLES)
        )
    unexplained = shrinkage.problems(shrunk, max_share)
    if unexplained:
        problems += [*unexplained, SHRINK_REMEDY.format(share=max_share)]
    if problems:
        raise dg.Failure(
            description="Not published, the published file is unchanged: " + "; ".join(problems),
            metadata={
                "problems": dg.MetadataValue.json(problems),
                "max_shrink_share": dg.MetadataValue.float(max_share),
            },
        )
    storage.fault_point("gates_passed")
    counts = warehouse.publish()
    lake = warehouse.lake
    where = lake.attach_sql(read_only=True) if lake else warehouse.published_path.resolve()
    context.log.info(f"published {where}: {counts}")
    rows = "\n".join(f"| `{name}` | {n:,} |" for name, n in counts.items())
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(where)),
            "tables": dg.MetadataValue.md(f"| table | rows |\n|---|---:|\n{rows}"),
            "row_counts": dg.MetadataValue.json(counts),
            "shrunk_tables": dg.MetadataValue.json({s.table: [s.previous, s.now] for s in shrunk}),
        }
    )


@dg.asset_check(
    asset=news_database,
    name="news_database_quality",
    blocking=True,
    description=(
        "The published file holds exactly the checked working tables: row counts and a checksum "
        "over every row agree (also verified before the file replaced the old one)."
    ),
)
def news_database_quality(warehouse: Warehouse) -> dg.AssetCheckResult:
    differences = storage.compare_published(
        warehouse.working_path, warehouse.published, PUBLISHED_TABLES
    )
    return dg.AssetCheckResult(
        passed=not differences,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(differences) or "identical to the working tables",
        metadata={"tables_compared": dg.MetadataValue.int(len(PUBLISHED_TABLES))},
    )
