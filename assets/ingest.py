"""Step 1: read input files into raw_articles, one partition per file; bad inputs to quarantine."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from assets._gates import gate_check, table_metadata
from assets.partitions import ARTICLE_FILES
from pipeline import storage
from pipeline.articles import carry_first_seen
from pipeline.feed import file_of_source_path, partition_key_for
from pipeline.ingest import assign_article_ids, list_input_files, read_articles
from pipeline.resources import ArticleFolder, Warehouse
from pipeline.schemas import QUARANTINE, RAW_ARTICLES

INGEST_REJECTS = "quarantine_ingest"


def _replaced_or_gone(df: pd.DataFrame, keys: set[str], on_disk: set[str]) -> pd.Series:
    """Rows this run rewrites: those of its partitions, and those of files no longer on disk."""
    key = df["source_path"].map(lambda p: partition_key_for(file_of_source_path(p)))
    return key.isin(keys) | ~key.isin(on_disk)


@dg.asset(
    group_name="ingest",
    kinds={"duckdb", "python"},
    owners=["team:wirehouse"],
    partitions_def=ARTICLE_FILES,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "One row per readable file of NEWS_ARTICLES_DIR, decoded to text. One partition per "
        "file: re-processing a partition replaces its rows; a file that no longer exists has "
        "its rows retired."
    ),
)
def raw_articles(
    context: dg.AssetExecutionContext, articles_folder: ArticleFolder, warehouse: Warehouse
) -> dg.MaterializeResult:
    keys = set(context.partition_keys)
    on_disk = {
        partition_key_for(f.relative): f.relative for f in list_input_files(articles_folder.root)
    }
    present = {on_disk[k] for k in keys if k in on_disk}
    result = read_articles(articles_folder.root, only=present)
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.connect() as con:
        previous = _previous(con, RAW_ARTICLES.name)
        previous_rejects = _previous(con, INGEST_REJECTS)
        kept = (
            previous[~_replaced_or_gone(previous, keys, set(on_disk))]
            if previous is not None
            else None
        )
        frames = [d for d in (kept, result.articles) if d is not None and len(d)]
        raw = pd.concat(frames, ignore_index=True) if frames else result.articles
        raw = carry_first_seen(
            assign_article_ids(raw.drop(columns=["ingested_at"], errors="ignore")),
            previous,
            ["source_path", "sha256"],
            "ingested_at",
            now,
        )
        storage.write_table(con, RAW_ARTICLES, raw, order_by=["source_path"])
        rejects = result.rejects.assign(first_seen=now)
        if previous_rejects is not None:
            rejects = pd.concat(
                [
                    previous_rejects[~_replaced_or_gone(previous_rejects, keys, set(on_disk))],
                    rejects,
                ],
                ignore_index=True,
            )
        storage.write_table(con, QUARANTINE, rejects, name=INGEST_REJECTS, order_by=["source_path"])
    retired = sorted(
        {file_of_source_path(p) for p in (previous["source_path"] if previous is not None else [])}
        - set(on_disk.values())
    )
    processed = result.articles
    context.log.info(
        f"{len(keys)} partitions: {len(processed)} articles read, {len(result.rejects)} rejected,"
        f" {len(retired)} retired; raw_articles now holds {len(raw)} rows"
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(raw.assign(raw_text="…"), RAW_ARTICLES),
            "partitions_processed": dg.MetadataValue.int(len(keys)),
            "articles_read": dg.MetadataValue.int(len(processed)),
            "rejected_at_ingest": dg.MetadataValue.int(len(result.rejects)),
            "retired_files": dg.MetadataValue.json(retired),
            "input_folder": dg.MetadataValue.path(str(articles_folder.root)),
        }
    )


def _previous(con, name: str) -> pd.DataFrame | None:
    return storage.read_table(con, name) if storage.table_exists(con, name) else None


raw_articles_quality = gate_check(
    "raw_articles", "Ids and paths unique, hashes well formed, no empty article text."
)
