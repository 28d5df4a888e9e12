"""The digest: a self-contained HTML page beside the published file, rebuilt after each publish."""

import os
from datetime import UTC, datetime

import dagster as dg

from pipeline.digest import render_digest
from pipeline.resources import Warehouse
from pipeline.storage import open_published


@dg.asset(
    group_name="publish",
    kinds={"html"},
    owners=["team:wirehouse"],
    deps=["news_database"],
    description=(
        "digest.html beside the published file: events per day by type, the most reported "
        "events with their outlets and article titles, the most mentioned people and "
        "organisations over time, and the rejected inputs. One file, no network needed."
    ),
)
def digest(warehouse: Warehouse) -> dg.MaterializeResult:
    target = warehouse.published_path.with_name("digest.html")
    with open_published(warehouse.published) as con:
        page = render_digest(con, datetime.now(UTC).replace(tzinfo=None))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)  # a browser tab never sees half a page
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target.resolve())),
            "open": dg.MetadataValue.url(target.resolve().as_uri()),
            "size_kb": dg.MetadataValue.float(round(len(page.encode()) / 1024, 1)),
        }
    )
