"""Step 1: read the input folder into raw_articles; unreadable inputs go to quarantine."""

from datetime import UTC, datetime

import dagster as dg

from assets._gates import gate_check, table_metadata
from pipeline import storage
from pipeline.articles import carry_first_seen
from pipeline.ingest import read_articles
from pipeline.resources import ArticleFolder, Warehouse
from pipeline.schemas import QUARANTINE, RAW_ARTICLES

INGEST_REJECTS = "quarantine_ingest"


@dg.asset(
    group_name="ingest",
    kinds={"duckdb", "python"},
    owners=["team:wirehouse"],
    pool="wirehouse_duckdb",
    description="One row per readable file of NEWS_ARTICLES_DIR, decoded to text.",
)
def raw_articles(
    context: dg.AssetExecutionContext, articles_folder: ArticleFolder, warehouse: Warehouse
) -> dg.MaterializeResult:
    result = read_articles(articles_folder.root)
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.connect() as con:
        previous = (
            storage.read_table(con, RAW_ARTICLES.name)
            if storage.table_exists(con, RAW_ARTICLES.name)
            else None
        )
        raw = carry_first_seen(
            result.articles, previous, ["source_path", "sha256"], "ingested_at", now
        )
        storage.write_table(con, RAW_ARTICLES, raw, order_by=["source_path"])
        rejects = result.rejects.assign(first_seen=now)
        storage.write_table(con, QUARANTINE, rejects, name=INGEST_REJECTS, order_by=["source_path"])
    context.log.info(
        f"{len(result.files)} files: {len(raw)} articles, {len(rejects)} rejected at ingest"
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(raw.drop(columns=["raw_text"]).assign(raw_text="…"), RAW_ARTICLES),
            "input_files": dg.MetadataValue.int(len(result.files)),
            "rejected_at_ingest": dg.MetadataValue.int(len(rejects)),
            "input_folder": dg.MetadataValue.path(str(articles_folder.root)),
        }
    )


raw_articles_quality = gate_check(
    "raw_articles", "Ids and paths unique, hashes well formed, no empty article text."
)
