"""Step 3: named entities (spaCy) and their corpus-level canonical forms."""

import dagster as dg

from assets._gates import gate_check, table_metadata
from pipeline import storage
from pipeline.canonical import canonicalize
from pipeline.ner import NerCache, extract_mentions, load_ner
from pipeline.resources import NlpSettings, Warehouse
from pipeline.schemas import ENTITIES, ENTITY_MENTIONS

NER_SPANS = "ner_spans"


@dg.asset(
    group_name="entities",
    kinds={"spacy", "duckdb"},
    owners=["team:wirehouse"],
    deps=["articles"],
    description=(
        "Raw spaCy entity spans per article (working table, not published). Spans are cached "
        "by the hash of the article text, so only new or changed articles go through spaCy."
    ),
)
def ner_spans(
    context: dg.AssetExecutionContext, warehouse: Warehouse, nlp_settings: NlpSettings
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        texts = con.execute(
            "SELECT article_id, text, sha256(text) AS text_sha256 FROM articles "
            "WHERE duplicate_of IS NULL ORDER BY article_id"
        ).df()
        cache = NerCache(con, nlp_settings.model)
        todo = texts[~texts["text_sha256"].isin(cache.known_texts())]
        if len(todo):
            nlp = load_ner(nlp_settings.model)
            fresh = extract_mentions(
                todo.rename(columns={"text_sha256": "key"}).assign(article_id=todo["text_sha256"]),
                nlp,
                nlp_settings.batch_size,
                nlp_settings.n_process,
            )
            cache.add(todo["text_sha256"].tolist(), fresh)
        cache.prune(texts["text_sha256"].tolist())
        spans = cache.spans_for(texts[["article_id", "text_sha256"]])
        storage.replace_untyped(con, NER_SPANS, spans, ["article_id", "start_char", "end_char"])
    context.log.info(
        f"{len(spans)} entity spans in {len(texts)} articles; {len(todo)} articles ran through "
        f"spaCy, {len(texts) - len(todo)} came from the cache"
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(spans),
            "articles": dg.MetadataValue.int(len(texts)),
            "articles_through_spacy": dg.MetadataValue.int(len(todo)),
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
