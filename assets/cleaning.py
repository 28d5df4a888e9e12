"""Step 2: cleaned English articles with metadata; the quarantine of every rejected input."""

from datetime import UTC, datetime

import dagster as dg
import pandas as pd

from assets._gates import gate_check, table_metadata
from assets.ingest import INGEST_REJECTS
from pipeline import storage
from pipeline.articles import carry_first_seen
from pipeline.cleaning_cache import clean_corpus
from pipeline.resources import QualitySettings, Warehouse
from pipeline.schemas import ARTICLES, QUARANTINE

CLEANING_REJECTS = "quarantine_cleaning"


@dg.asset(
    group_name="ingest",
    kinds={"duckdb", "python"},
    owners=["team:wirehouse"],
    deps=["raw_articles"],
    description=(
        "Articles without page furniture, with title, URL, source and publication date; "
        "content duplicates flagged in duplicate_of."
    ),
)
def articles(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.connect() as con:
        result, n_cleaned = clean_corpus(con, context.log.info)
        with storage.transaction(con):
            storage.write_table(con, ARTICLES, result.articles, order_by=["article_id"])
            storage.write_table(
                con,
                QUARANTINE,
                result.rejects.assign(first_seen=now),
                name=CLEANING_REJECTS,
                order_by=["source_path"],
            )
    df = result.articles
    context.log.info(
        f"{len(df)} articles kept, {len(result.rejects)} rejected while cleaning; "
        f"{n_cleaned} cleaned in this run, the rest came from the cache"
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(df, ARTICLES),
            "duplicates": dg.MetadataValue.int(int(df["duplicate_of"].notna().sum())),
            "with_published_date": dg.MetadataValue.int(int(df["published_date"].notna().sum())),
            "rejected_while_cleaning": dg.MetadataValue.int(len(result.rejects)),
            "cleaned_in_this_run": dg.MetadataValue.int(n_cleaned),
        }
    )


@dg.asset(
    group_name="ingest",
    kinds={"duckdb"},
    owners=["team:wirehouse"],
    deps=["raw_articles", "articles"],
    description="Every input that could not be processed, with the step and the reason.",
)
def quarantine(warehouse: Warehouse) -> dg.MaterializeResult:
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.connect() as con:
        parts = [storage.read_table(con, t) for t in (INGEST_REJECTS, CLEANING_REJECTS)]
        previous = (
            storage.read_table(con, QUARANTINE.name)
            if storage.table_exists(con, QUARANTINE.name)
            else None
        )
        current = pd.concat(parts, ignore_index=True).drop(columns=["first_seen"])
        df = carry_first_seen(current, previous, ["source_path", "reason"], "first_seen", now)
        with storage.transaction(con):
            storage.write_table(con, QUARANTINE, df, order_by=["source_path"])
    return dg.MaterializeResult(
        metadata={
            **table_metadata(df, QUARANTINE),
            "by_reason": dg.MetadataValue.json(df["reason"].value_counts().to_dict()),
        }
    )


articles_quality = gate_check(
    "articles",
    "At least the minimum number of English articles; ids unique; n_chars = length(text); "
    "duplicate_of points at a kept article; dates plausible.",
)
input_coverage_quality = gate_check(
    "quarantine",
    "Every readable input ended up either in articles or in quarantine: none is lost.",
    suite="input_coverage",
)
quarantine_quality = gate_check(
    "quarantine", "Every rejected input listed once, with a known reason, never also an article."
)


@dg.asset_check(
    asset=quarantine,
    name="quarantine_share",
    description="Warns (without blocking) when an unusual share of the inputs is rejected.",
)
def quarantine_share(warehouse: Warehouse, quality: QualitySettings) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        n_bad = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        n_good = con.execute("SELECT count(*) FROM raw_articles").fetchone()[0]
        n_clean_rejects = con.execute(f"SELECT count(*) FROM {CLEANING_REJECTS}").fetchone()[0]
    total = n_bad + n_good - n_clean_rejects
    share = n_bad / total if total else 0.0
    return dg.AssetCheckResult(
        passed=share <= quality.max_quarantine_share,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "share": dg.MetadataValue.float(round(share, 4)),
            "threshold": dg.MetadataValue.float(quality.max_quarantine_share),
            "quarantined": dg.MetadataValue.int(n_bad),
            "inputs": dg.MetadataValue.int(total),
        },
    )
