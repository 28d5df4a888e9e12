"""Step 4: event mentions in sentences, merged into deduplicated events."""

import dagster as dg
import duckdb
import pandas as pd

from assets._gates import gate_check, id_history_metadata, table_metadata, table_spec
from pipeline import storage
from pipeline.dedup import deduplicate
from pipeline.event_cache import KEY_SQL, SentenceEventCache
from pipeline.events import (
    ACTOR_LABELS,
    PLACE_LABELS,
    attach_participants,
    detect_sentence_events,
)
from pipeline.gathering_store import GatheringStore
from pipeline.id_history import moved_ids, record_changes
from pipeline.parallel import ordered_map, processes_for
from pipeline.progress import Progress
from pipeline.resources import Warehouse
from pipeline.schemas import (
    EVENT_ID_HISTORY,
    EVENT_MENTIONS,
    EVENTS,
    STORIES,
    STORY_ID_HISTORY,
)
from pipeline.story_features import LeadWeekdayCache
from pipeline.threads import build_stories, moved_story_ids, write_article_stories

EVENT_CANDIDATES = "event_candidates"
MENTION_KEY = ["article_id", "sentence_index", "trigger"]  # one mention of one event word
# Columns of event_candidates whose values repeat across rows (a sentence holds several).
REPEATED_CANDIDATE_COLUMNS = [
    "article_id",
    "sentence",
    "event_type",
    "mode",
    "trigger",
    "date_precision",
    "date_text",
    "tense",
]
DETECTION_CHUNK = 500  # articles per cached commit: a killed run loses at most this much work


@dg.asset(
    group_name="events",
    kinds={"python", "duckdb"},
    owners=["team:wirehouse"],
    deps=["entity_mentions", "entities"],
    description="Sentences that report a happening, with actors, place and resolved date "
    "(working table, not published).",
)
def event_candidates(
    context: dg.AssetExecutionContext, warehouse: Warehouse
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        arts = con.execute(
            f"SELECT article_id, text, published_date, {KEY_SQL} AS cache_key FROM articles "
            "WHERE duplicate_of IS NULL ORDER BY article_id"
        ).df()
        storage.release_cache(con)
        cache = SentenceEventCache(con)
        todo = (
            arts[~arts["cache_key"].isin(cache.known())]
            .drop_duplicates("cache_key")
            .drop(columns="article_id")
            .rename(columns={"cache_key": "article_id"})
        )
        progress = Progress("event detection", len(todo), context.log.info)
        chunks = [todo.iloc[s : s + DETECTION_CHUNK] for s in range(0, len(todo), DETECTION_CHUNK)]
        detected = ordered_map(detect_sentence_events, chunks, processes_for(len(todo)))
        for chunk, fresh in zip(chunks, detected, strict=True):
            with storage.transaction(con):
                cache.add(chunk["article_id"].tolist(), fresh)
            progress.advance(len(chunk))
        rows = cache.rows_for(arts)
        cands = attach_participants(rows, arts, _participant_mentions(con, rows))
        with storage.transaction(con):
            cache.prune(arts["cache_key"].tolist())
            storage.replace_untyped(
                con,
                EVENT_CANDIDATES,
                cands,
                ["article_id", "sentence_index", "trigger_start", "event_type", "mode"],
            )
    context.log.info(
        f"{len(cands)} event mentions in {len(arts)} articles; {len(todo)} article versions "
        "scanned for event words, the rest came from the cache"
    )
    return dg.MaterializeResult(
        metadata={
            **table_metadata(cands.drop(columns=["sentence"])),
            "articles_scanned": dg.MetadataValue.int(len(todo)),
            "by_type": dg.MetadataValue.json(cands["event_type"].value_counts().to_dict()),
        }
    )


def _participant_mentions(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame) -> pd.DataFrame:
    """The entity mentions ``attach_participants`` can use: those of an actor's or a place's
    label in a sentence that reports a happening. Chosen in DuckDB rather than in its loop over
    every mention (a million at 100,000 wire articles)."""
    columns = "m.article_id, m.sentence_index, m.start_char, m.entity_id, m.label"
    if rows.empty:
        return con.execute(f"SELECT {columns} FROM entity_mentions m LIMIT 0").df()
    labels = ", ".join(f"'{label}'" for label in sorted(ACTOR_LABELS | PLACE_LABELS))
    sentences = rows[["article_id", "sentence_index"]].drop_duplicates()
    with storage.registered(con, _sentences=sentences):
        return con.execute(
            f"SELECT {columns} FROM entity_mentions m SEMI JOIN _sentences s "
            "ON m.article_id = s.article_id AND m.sentence_index = s.sentence_index "
            f"WHERE m.label IN ({labels})"
        ).df()


@dg.multi_asset(
    specs=[
        table_spec(EVENTS, "events", ["event_candidates"]),
        table_spec(EVENT_MENTIONS, "events", ["event_candidates"]),
        table_spec(EVENT_ID_HISTORY, "events", ["event_candidates"]),
        table_spec(STORIES, "events", ["event_candidates"]),
        table_spec(STORY_ID_HISTORY, "events", ["event_candidates"]),
    ],
)
def deduplicated_events(context: dg.AssetExecutionContext, warehouse: Warehouse):
    with warehouse.connect() as con:
        cands = storage.read_table(con, EVENT_CANDIDATES)
        arts = con.execute(
            "SELECT article_id, published_date, source, title, text, duplicate_of FROM articles"
        ).df()
        entities = con.execute("SELECT entity_id, name, label FROM entities").df()
        named = con.execute(
            "SELECT article_id, entity_id, label, start_char, end_char, text FROM entity_mentions"
        ).df()
        storage.release_cache(con)  # the frames are in pandas now; the step's peak is ahead
        storage.share_strings(named, ["article_id", "entity_id", "label", "text"])
        storage.share_strings(cands, REPEATED_CANDIDATE_COLUMNS)
        # Lead weekdays per article version, kept between runs (pipeline/story_features.py).
        weekday_cache = LeadWeekdayCache(con)
        versions = weekday_cache.keys()
        weekdays = weekday_cache.read(versions)
        cached = set(weekdays)
        # The story gathering resumes from the last run's checkpoints (pipeline/gathering.py).
        gathering_store = GatheringStore(con)
        gathering = gathering_store.read()
        storage.release_cache(con)
        events, mentions = deduplicate(
            cands,
            arts,
            entities,
            entity_mentions=named,
            log=context.log.info,
            weekdays=weekdays,
            gathering=gathering,
        )
        context.log.info(
            f"story gathering: {gathering.total - gathering.resumed_at} of {gathering.total} "
            "articles gathered again: in date order, the first one new or changed since the "
            f"last run is number {gathering.first_changed}, the last checkpoint before it at "
            f"{gathering.resumed_at}"
        )
        # Incident threads: a happening and its follow-ups (pipeline/threads.py).
        stories, story_of_event, story_of_article = build_stories(events, mentions, arts, named)
        events["story_id"] = events["event_id"].map(story_of_event)
        moved_stories = moved_story_ids(con, mentions, story_of_event, MENTION_KEY)
        moved = moved_ids(con, EVENT_MENTIONS.name, mentions, "event_id", MENTION_KEY)
        with storage.transaction(con):  # all three tables or none
            record_changes(con, EVENT_ID_HISTORY, moved)
            storage.write_table(con, EVENTS, events, order_by=["event_id"])
            storage.write_table(
                con,
                EVENT_MENTIONS,
                mentions,
                order_by=["article_id", "sentence_index", "event_id"],
            )
            record_changes(con, STORY_ID_HISTORY, moved_stories)
            write_article_stories(con, story_of_article)
            storage.write_table(con, STORIES, stories, order_by=["story_id"])
            weekday_cache.store(versions, weekdays, cached)
            gathering_store.store(gathering)
    top = events.sort_values(["n_articles", "n_mentions"], ascending=False)
    yield dg.MaterializeResult(
        asset_key="events",
        metadata={
            **table_metadata(top, EVENTS),
            "multi_article_events": dg.MetadataValue.int(int((events["n_articles"] > 1).sum())),
            "articles_gathered_again": dg.MetadataValue.int(gathering.total - gathering.resumed_at),
        },
    )
    yield dg.MaterializeResult(
        asset_key="event_mentions", metadata=table_metadata(mentions, EVENT_MENTIONS)
    )
    yield dg.MaterializeResult(asset_key="event_id_history", metadata=id_history_metadata(moved))
    yield dg.MaterializeResult(
        asset_key="stories",
        metadata={
            **table_metadata(
                stories.sort_values(["n_articles", "n_events"], ascending=False), STORIES
            ),
            "multi_event_stories": dg.MetadataValue.int(int((stories["n_events"] > 1).sum())),
        },
    )
    yield dg.MaterializeResult(
        asset_key="story_id_history", metadata=id_history_metadata(moved_stories)
    )


event_candidates_quality = gate_check(
    "event_candidates",
    "Sentences cut exactly out of articles.text; known types; triggers inside their sentence.",
)
events_quality = gate_check(
    "events", "Unique ids; known types; every event has mentions and its counts reconcile."
)
event_id_history_quality = gate_check(
    "event_id_history", "Every moved id says why; only retired ids lack a successor."
)
stories_quality = gate_check(
    "stories",
    "Unique ids; every event in exactly one story; counts reconcile with events and mentions; "
    "every article carries its main happening's story.",
)
story_id_history_quality = gate_check(
    "story_id_history", "Every moved id says why; only retired ids lack a successor."
)
event_mentions_quality = gate_check(
    "event_mentions",
    "Sentences match articles.text at their offsets; exactly one primary mention per article.",
)
