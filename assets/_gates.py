"""Shared plumbing of the steps: metadata for the UI and the blocking Great Expectations gate."""

import re

import dagster as dg
import pandas as pd

from pipeline import storage
from pipeline.quality import suites, validate_frame
from pipeline.resources import QualitySettings, Warehouse
from pipeline.schemas import BY_NAME, PUBLISHED_TABLES, TableSchema

PREVIEW_ROWS = 10


def table_metadata(df: pd.DataFrame, schema: TableSchema | None = None) -> dict[str, object]:
    """Row count, column schema and a preview: what the UI shows for every table.

    Working tables without a published contract get their column schema from the DataFrame.
    """
    preview = df.head(PREVIEW_ROWS).astype(object)
    for col in preview.columns:
        preview[col] = preview[col].map(_cell)
    return {
        "dagster/row_count": dg.MetadataValue.int(len(df)),
        "dagster/column_schema": _column_schema(df, schema),
        **({"dagster/table_name": schema.name} if schema else {}),
        "preview": dg.MetadataValue.md(
            preview.to_markdown(index=False) if len(preview) else "_empty_"
        ),
    }


def table_spec(schema: TableSchema, group: str, deps: list[str]) -> dg.AssetSpec:
    """The spec of one published table written by a multi-asset step."""
    return dg.AssetSpec(
        schema.name,
        group_name=group,
        kinds={"duckdb"},
        owners=["team:wirehouse"],
        deps=deps,
        description=schema.description,
    )


def id_history_metadata(moved: pd.DataFrame) -> dict[str, object]:
    """What a step's id-history output shows in the UI: ids moved by this run, by reason."""
    return {
        "ids_moved_this_run": dg.MetadataValue.int(len(moved)),
        "by_reason": dg.MetadataValue.json(moved["reason"].value_counts().to_dict()),
    }


def _column_schema(df: pd.DataFrame, schema: TableSchema | None) -> dg.TableSchema:
    if schema is None:
        return dg.TableSchema(
            columns=[dg.TableColumn(str(c), str(t)) for c, t in df.dtypes.items()]
        )
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name,
                c.sql_type,
                description=c.description,
                constraints=dg.TableColumnConstraints(nullable=c.nullable),
            )
            for c in schema.columns
        ]
    )


def _cell(value: object, limit: int = 80) -> str:
    """A preview cell: empty for NULL (never "nan"/"None"), long text cut with an ellipsis."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if not pd.api.types.is_scalar(value) and not isinstance(value, dict):
        value = [v.item() if hasattr(v, "item") else v for v in value]  # numpy arrays
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\n", " ").replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


GATED_TABLES = (*(t.name for t in PUBLISHED_TABLES), "ner_spans", "event_candidates")


def suite_tables(query: str) -> list[str]:
    """The working tables a suite's SQL reads: its verdict holds for their current versions."""
    return [t for t in GATED_TABLES if re.search(rf"\b{t}\b", query)]


def gate_names(min_articles: int = 1) -> list[str]:
    """Every blocking gate, by check name: all must have passed before anything is published."""
    return [f"{name}_quality" for name in suites(min_articles)]


def run_gate(
    table: str, warehouse: Warehouse, quality: QualitySettings, check_name: str | None = None
) -> dg.AssetCheckResult:
    """Validate a freshly written table with its GE suite; the result blocks downstream steps.

    The verdict is also written to the working database with the versions of the tables it
    saw, so that publishing can refuse a state whose gates failed or never ran, whatever
    was launched.
    """
    suite = suites(min_articles=quality.min_articles)[table]
    with warehouse.connect(read_only=True) as con:
        frame = con.execute(suite.projected_query).df()
    report = validate_frame(frame, suite)
    with warehouse.connect() as con, storage.transaction(con):
        storage.record_gate(
            con, check_name or f"{table}_quality", report.success, suite_tables(suite.query)
        )
    failed = report.failures()
    return dg.AssetCheckResult(
        passed=report.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            f"{len(report.outcomes)} expectations on {report.n_rows} rows: "
            + ("all passed" if not failed else f"{len(failed)} failed")
        ),
        metadata={
            "expectations": dg.MetadataValue.md(report.to_markdown()),
            "results": dg.MetadataValue.json(
                [
                    {
                        "expectation": o.expectation,
                        "column": o.column,
                        "success": o.success,
                        "unexpected_count": o.unexpected_count,
                        "sample": o.sample,
                    }
                    for o in report.outcomes
                ]
            ),
            "failed_expectations": dg.MetadataValue.int(len(failed)),
            "rows_validated": dg.MetadataValue.int(report.n_rows),
        },
    )


def gate_check(table: str, description: str, suite: str | None = None) -> dg.AssetChecksDefinition:
    """A blocking check that runs a GE suite (by default the table's own) against the table."""
    suite_name = suite or table

    @dg.asset_check(
        asset=dg.AssetKey(table),
        name=f"{suite_name}_quality" if suite else f"{table}_quality",
        blocking=True,
        description=description,
    )
    def _check(warehouse: Warehouse, quality: QualitySettings) -> dg.AssetCheckResult:
        return run_gate(suite_name, warehouse, quality, f"{suite_name}_quality")

    return _check


def schema_of(table: str) -> TableSchema:
    return BY_NAME[table]
