"""Step 3: named entities (spaCy) and their corpus-level canonical forms."""

import dagster as dg

from assets._gates import gate_check, table_metadata
from pipeline import storage
from pipeline.canonical import canonicalize
from pipeline.ner import extract_mentions, load_ner
from pipeline.resources import NlpSettings, Warehouse
from pipeline.schemas import ENTITIES, ENTITY_MENTIONS

NER_SPANS = "ner_spans"


@dg.asset(
    group_name="entities",
    kinds={"spacy", "duckdb"},
    owners=["team:wirehouse"],
    pool="wirehouse_duckdb",
    deps=["articles"],
    description="Raw spaCy entity spans per article (working table, not published).",
)
def ner_spans(
    context: dg.AssetExecutionContext, warehouse: Warehouse, nlp_settings: NlpSettings
) -> dg.MaterializeResult:
    with warehouse.connect(read_only=True) as con:
        texts = con.execute(
            "SELECT article_id, text FROM articles WHERE duplicate_of IS NULL ORDER BY article_id"
        ).df()
    nlp = load_ner(nlp_settings.model)
    spans = extract_mentions(texts, nlp, nlp_settings.batch_size, nlp_settings.n_process)
    with warehouse.connect() as con:
        con.execute(f"DROP TABLE IF EXISTS {NER_SPANS}")
        con.register("_spans", spans)
        con.execute(
            f"CREATE TABLE {NER_SPANS} AS SELECT * FROM _spans "
            "ORDER BY article_id, start_char, end_char"
        )
        con.unregister("_spans")
    context.log.info(f"{len(spans)} entity spans in {len(texts)} articles")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": dg.MetadataValue.int(len(spans)),
            "articles": dg.MetadataValue.int(len(texts)),
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "entity_mentions",
            group_name="entities",
            kinds={"duckdb"},
            owners=["team:wirehouse"],
            deps=["ner_spans", "articles"],
            description=ENTITY_MENTIONS.description,
        ),
        dg.AssetSpec(
            "entities",
            group_name="entities",
            kinds={"duckdb"},
            owners=["team:wirehouse"],
            deps=["ner_spans"],
            description=ENTITIES.description,
        ),
    ],
    pool="wirehouse_duckdb",
)
def canonical_entities(warehouse: Warehouse):
    with warehouse.connect() as con:
        spans = storage.read_table(con, NER_SPANS)
        texts = dict(con.execute("SELECT article_id, text FROM articles").fetchall())
        mentions, entities = canonicalize(spans, texts)
        storage.write_table(
            con, ENTITY_MENTIONS, mentions, order_by=["article_id", "start_char", "end_char"]
        )
        storage.write_table(con, ENTITIES, entities, order_by=["entity_id"])
    yield dg.MaterializeResult(
        asset_key="entity_mentions", metadata=table_metadata(mentions, ENTITY_MENTIONS)
    )
    top = entities.sort_values("n_mentions", ascending=False)
    yield dg.MaterializeResult(
        asset_key="entities",
        metadata={
            **table_metadata(top, ENTITIES),
            "persons": dg.MetadataValue.int(int((entities["label"] == "PERSON").sum())),
        },
    )


entity_mentions_quality = gate_check(
    "entity_mentions",
    "Offsets cut exactly the mention out of articles.text; labels allowed; entity exists.",
)
entities_quality = gate_check(
    "entities", "Unique ids; allowed labels; mention and article counts reconcile."
)
