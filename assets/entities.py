"""Step 3: named entities (spaCy) and their corpus-level canonical forms."""

import dagster as dg

from assets._gates import gate_check, id_history_metadata, table_metadata, table_spec
from pipeline import storage
from pipeline.canonical import canonicalize
from pipeline.id_history import moved_ids, record_changes
from pipeline.ner import DOC_COST_CHARS, NerCache, iter_mentions
from pipeline.progress import Progress
from pipeline.resources import NlpSettings, Warehouse
from pipeline.schemas import ENTITIES, ENTITY_ID_HISTORY, ENTITY_MENTIONS

NER_SPANS = "ner_spans"
MENTION_KEY = ["article_id", "start_char", "end_char"]  # one entity mention


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
        todo = (
            texts[~texts["text_sha256"].isin(cache.known_texts())]
            .drop_duplicates("text_sha256")
            .drop(columns="article_id")
            .rename(columns={"text_sha256": "article_id"})  # spans are keyed by text hash
        )
        if len(todo):
            processes = nlp_settings.processes_for(len(todo))
            context.log.info(f"NER on {len(todo):,} new texts with {processes} process(es)")
            lengths = todo["text"].str.len() + DOC_COST_CHARS
            cost = dict(zip(todo["article_id"], lengths.tolist(), strict=True))
            progress = Progress("NER", len(todo), context.log.info, total_work=sum(cost.values()))
            chunks = iter_mentions(todo, nlp_settings.model, nlp_settings.batch_size, processes)
            for keys, fresh in chunks:
                with storage.transaction(con):  # a kill loses at most this chunk
                    cache.add(keys, fresh)
                progress.advance(len(keys), work=sum(cost[k] for k in keys))
        with storage.transaction(con):
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
        table_spec(ENTITY_MENTIONS, "entities", ["ner_spans", "articles"]),
        table_spec(ENTITIES, "entities", ["ner_spans"]),
        table_spec(ENTITY_ID_HISTORY, "entities", ["ner_spans"]),
    ],
)
def canonical_entities(warehouse: Warehouse):
    with warehouse.connect() as con:
        spans = storage.read_table(con, NER_SPANS)
        texts = dict(con.execute("SELECT article_id, text FROM articles").fetchall())
        dates = dict(con.execute("SELECT article_id, published_date FROM articles").fetchall())
        storage.release_cache(con)
        mentions, entities = canonicalize(spans, texts, dates)
        moved = moved_ids(con, ENTITY_MENTIONS.name, mentions, "entity_id", MENTION_KEY)
        with storage.transaction(con):  # all three tables or none
            record_changes(con, ENTITY_ID_HISTORY, moved)
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
    yield dg.MaterializeResult(asset_key="entity_id_history", metadata=id_history_metadata(moved))


ner_spans_quality = gate_check(
    "ner_spans",
    "Spans cut exactly their text out of articles.text; labels allowed; only kept articles.",
)
entity_mentions_quality = gate_check(
    "entity_mentions",
    "Offsets cut exactly the mention out of articles.text; labels allowed; entity exists.",
)
entity_id_history_quality = gate_check(
    "entity_id_history", "Every moved id says why; only retired ids lack a successor."
)
entities_quality = gate_check(
    "entities", "Unique ids; allowed labels; mention and article counts reconcile."
)
