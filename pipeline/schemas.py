"""Column contracts of every table in the DuckDB file.

One place defines names, DuckDB types and meaning, so that the tables created, the Dagster column
schemas shown in the UI and the README all agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class TableSchema:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if not c.nullable]

    def create_sql(self, qualified_name: str | None = None) -> str:
        cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in self.columns)
        return f"CREATE OR REPLACE TABLE {qualified_name or self.name} ({cols})"

    def create_if_missing_sql(self) -> str:
        """For the append-only tables, which keep their rows from run to run."""
        cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in self.columns)
        return f'CREATE TABLE IF NOT EXISTS "{self.name}" ({cols})'


def _c(name: str, sql_type: str, description: str, nullable: bool = True) -> Column:
    return Column(name, sql_type, description, nullable)


RAW_ARTICLES = TableSchema(
    "raw_articles",
    "One row per readable input file, exactly as decoded.",
    (
        _c("article_id", "VARCHAR", "Stable id: hash of the decoded content.", False),
        _c(
            "source_path",
            "VARCHAR",
            "Path relative to the input folder (plus #n for JSONL).",
            False,
        ),
        _c("raw_text", "VARCHAR", "Decoded text before cleaning.", False),
        _c("n_bytes", "BIGINT", "Size of the input in bytes.", False),
        _c("sha256", "VARCHAR", "SHA-256 of the input bytes.", False),
        _c("encoding", "VARCHAR", "Encoding the bytes were decoded with."),
        _c("record_url", "VARCHAR", "URL given by a JSON record."),
        _c("record_source", "VARCHAR", "Source given by a JSON record."),
        _c("record_title", "VARCHAR", "Title given by a JSON record."),
        _c("record_published_at", "DATE", "Publication date given by a JSON record."),
        _c("ingested_at", "TIMESTAMP", "When the input was first read (kept across re-runs)."),
    ),
)

INPUT_FILES = TableSchema(
    "input_files",
    "Working table: every input file read so far and its fingerprint when it was read. The one "
    "record of what is processed, shared by make run, backfills, the sensor and the schedule.",
    (
        _c("relative_path", "VARCHAR", "Path relative to the input folder.", False),
        _c("fingerprint", "VARCHAR", "Size and modification time when it was read.", False),
        _c("read_at", "TIMESTAMP", "When it was last read.", False),
    ),
)

ARTICLES = TableSchema(
    "articles",
    "Cleaned English articles: page furniture removed, metadata extracted.",
    (
        _c("article_id", "VARCHAR", "Id from raw_articles.", False),
        _c("source_path", "VARCHAR", "Path relative to the input folder.", False),
        _c("url", "VARCHAR", "Article URL, when the text or record carries one."),
        _c("source", "VARCHAR", "Publishing outlet (domain or site name)."),
        _c("title", "VARCHAR", "Headline."),
        _c("published_date", "DATE", "Publication date."),
        _c(
            "published_date_origin",
            "VARCHAR",
            "Where the date came from: metadata, date_line, dateline.",
        ),
        _c("language", "VARCHAR", "Detected language (ISO 639-1).", False),
        _c("text", "VARCHAR", "Cleaned text; every offset in other tables points into it.", False),
        _c("n_chars", "INTEGER", "Length of text.", False),
        _c("duplicate_of", "VARCHAR", "article_id of the earlier article with the same content."),
        _c(
            "story_id",
            "VARCHAR",
            "Incident thread (stories) of the article's main happening; a duplicate takes its "
            "original's; NULL when the article reports no happening.",
        ),
    ),
)

QUARANTINE = TableSchema(
    "quarantine",
    "Every input that could not be processed, with the reason.",
    (
        _c("source_path", "VARCHAR", "Path relative to the input folder.", False),
        _c("stage", "VARCHAR", "Step that rejected it: ingest or cleaning.", False),
        _c("reason", "VARCHAR", "Reason code: empty, binary, undecodable, too_large, ...", False),
        _c("detail", "VARCHAR", "Human-readable explanation.", False),
        _c("first_seen", "TIMESTAMP", "When the input was first rejected.", False),
    ),
)

ENTITY_MENTIONS = TableSchema(
    "entity_mentions",
    "Every named-entity span found by spaCy, linked to its canonical entity.",
    (
        _c("article_id", "VARCHAR", "Article the mention is in.", False),
        _c("sentence_index", "INTEGER", "0-based sentence number in articles.text.", False),
        _c("start_char", "INTEGER", "Start offset into articles.text.", False),
        _c("end_char", "INTEGER", "End offset (exclusive) into articles.text.", False),
        _c("text", "VARCHAR", "The span as it appears in the text.", False),
        _c("label", "VARCHAR", "Label of the canonical entity (corpus vote).", False),
        _c("ner_label", "VARCHAR", "Label spaCy gave this span.", False),
        _c("entity_id", "VARCHAR", "Canonical entity.", False),
    ),
)

ENTITIES = TableSchema(
    "entities",
    "Canonical entities across the whole corpus.",
    (
        _c(
            "entity_id",
            "VARCHAR",
            "Id derived from the entity's earliest mention (publication date, undated last): "
            "kept as later articles and fuller names join, the same in a rebuild; "
            "entity_id_history follows it when it moves.",
            False,
        ),
        _c("name", "VARCHAR", "Canonical (most complete, most frequent) name.", False),
        _c("label", "VARCHAR", "PERSON, ORG, GPE, LOC, NORP, FAC, EVENT, ...", False),
        _c("aliases", "VARCHAR[]", "Every surface form that resolved to this entity.", False),
        _c("n_mentions", "INTEGER", "Number of mentions.", False),
        _c("n_articles", "INTEGER", "Number of distinct (non-duplicate) articles.", False),
    ),
)

EVENTS = TableSchema(
    "events",
    "Deduplicated events: one row per real-world happening.",
    (
        _c(
            "event_id",
            "VARCHAR",
            "Id of the happening, anchored on its earliest report: kept as follow-ups arrive, "
            "equal in a full rebuild; event_id_history follows it when it moves.",
            False,
        ),
        _c("event_type", "VARCHAR", "Type from the event vocabulary (see README).", False),
        _c("event_mode", "VARCHAR", "Refinement of the type (phone, visit, meet), if any."),
        _c("title", "VARCHAR", "Short description: actors, verb, date.", False),
        _c("actors", "VARCHAR[]", "Canonical names of the participants.", False),
        _c("location", "VARCHAR", "Main place, when known."),
        _c("event_date", "DATE", "When it happened (first day of month/year if coarser)."),
        _c("date_precision", "VARCHAR", "day, month or year; NULL when unknown."),
        _c("n_mentions", "INTEGER", "Sentences reporting it.", False),
        _c("n_articles", "INTEGER", "Distinct articles reporting it.", False),
        _c("n_sources", "INTEGER", "Distinct outlets reporting it.", False),
        _c("first_reported", "DATE", "Earliest publication date among its articles."),
        _c("representative_sentence", "VARCHAR", "The clearest sentence reporting it.", False),
        _c("story_id", "VARCHAR", "Incident thread (stories) the happening belongs to.", False),
    ),
)

STORIES = TableSchema(
    "stories",
    "Incident threads: a happening and its follow-ups (arrest, charges, trial, plea, "
    "anniversary), one row per thread; most are a single event.",
    (
        _c(
            "story_id",
            "VARCHAR",
            "Id of the thread, a hash of its earliest event's id: kept as follow-ups join, equal "
            "in a full rebuild; story_id_history follows it when it moves.",
            False,
        ),
        _c("title", "VARCHAR", "Headline of the earliest report of its first happening.", False),
        _c("first_date", "DATE", "Earliest event date or publication date in the thread."),
        _c("last_date", "DATE", "Latest event date or publication date in the thread."),
        _c("n_events", "INTEGER", "Events in the thread.", False),
        _c("n_articles", "INTEGER", "Distinct articles reporting any of its events.", False),
        _c("n_sources", "INTEGER", "Distinct outlets among those articles.", False),
        _c("event_ids", "VARCHAR[]", "Its events, earliest first.", False),
    ),
)

EVENT_MENTIONS = TableSchema(
    "event_mentions",
    "Every sentence that reports an event, with provenance.",
    (
        _c("event_id", "VARCHAR", "Event reported.", False),
        _c("article_id", "VARCHAR", "Article containing the sentence.", False),
        _c("sentence_index", "INTEGER", "0-based sentence number in articles.text.", False),
        _c("start_char", "INTEGER", "Sentence start offset into articles.text.", False),
        _c("end_char", "INTEGER", "Sentence end offset into articles.text.", False),
        _c("sentence", "VARCHAR", "The sentence.", False),
        _c(
            "trigger",
            "VARCHAR",
            "Word that signalled the event; empty when an article's main mention is its "
            "headline and the headline has no event word.",
            False,
        ),
        _c(
            "is_primary",
            "BOOLEAN",
            "True for the article's main happening (one per article).",
            False,
        ),
    ),
)

DAILY_ENTITY_COUNTS = TableSchema(
    "daily_entity_counts",
    "Mentions and articles per entity per publication day.",
    (
        _c("day", "DATE", "Publication date of the articles.", False),
        _c("entity_id", "VARCHAR", "Entity.", False),
        _c("name", "VARCHAR", "Entity name.", False),
        _c("label", "VARCHAR", "Entity label.", False),
        _c("n_mentions", "INTEGER", "Mentions that day.", False),
        _c("n_articles", "INTEGER", "Articles mentioning it that day.", False),
    ),
)

EVENT_TIMELINE = TableSchema(
    "event_timeline",
    "Events per day and type, by event date.",
    (
        _c("day", "DATE", "Event date (start of period for coarse dates).", False),
        _c("event_type", "VARCHAR", "Event type.", False),
        _c("n_events", "INTEGER", "Distinct events.", False),
        _c("n_articles", "INTEGER", "Distinct articles reporting them.", False),
        _c("event_ids", "VARCHAR[]", "The events.", False),
    ),
)

SOURCE_COVERAGE = TableSchema(
    "source_coverage",
    "What each outlet covered.",
    (
        _c("source", "VARCHAR", "Outlet ('unknown' when not found).", False),
        _c("n_articles", "INTEGER", "Distinct articles.", False),
        _c("n_events", "INTEGER", "Distinct events reported.", False),
        _c("first_published", "DATE", "Earliest publication date."),
        _c("last_published", "DATE", "Latest publication date."),
    ),
)

ENTITY_COOCCURRENCE = TableSchema(
    "entity_cooccurrence",
    "Pairs of entities named in the same article (entity_a < entity_b).",
    (
        _c("entity_a", "VARCHAR", "First entity id (lexicographically smaller).", False),
        _c("name_a", "VARCHAR", "Its name.", False),
        _c("entity_b", "VARCHAR", "Second entity id.", False),
        _c("name_b", "VARCHAR", "Its name.", False),
        _c("n_articles", "INTEGER", "Articles naming both.", False),
        _c("n_sentences", "INTEGER", "Sentences naming both.", False),
    ),
)


def _id_history(name: str, what: str) -> TableSchema:
    return TableSchema(
        name,
        f"Where a saved {what} id went: one row each time an id disappeared (append-only).",
        (
            _c("old_id", "VARCHAR", f"The {what} id that no longer exists.", False),
            _c(
                "new_id",
                "VARCHAR",
                f"The {what} id holding most of what it held; NULL when retired. Follow the "
                "chain: this id may itself have moved later.",
            ),
            _c(
                "changed_at",
                "TIMESTAMP",
                "When the run that moved it wrote its tables (UTC).",
                False,
            ),
            _c(
                "reason",
                "VARCHAR",
                "merged (into an existing id), split (the larger part), re-anchored (an older "
                "report or a better name), retired (its articles are gone).",
                False,
            ),
        ),
    )


EVENT_ID_HISTORY = _id_history("event_id_history", "event")
ENTITY_ID_HISTORY = _id_history("entity_id_history", "entity")
STORY_ID_HISTORY = _id_history("story_id_history", "story")

PUBLISHED_TABLES: tuple[TableSchema, ...] = (
    RAW_ARTICLES,
    ARTICLES,
    QUARANTINE,
    ENTITY_MENTIONS,
    ENTITIES,
    EVENTS,
    EVENT_MENTIONS,
    STORIES,
    DAILY_ENTITY_COUNTS,
    EVENT_TIMELINE,
    SOURCE_COVERAGE,
    ENTITY_COOCCURRENCE,
    EVENT_ID_HISTORY,
    ENTITY_ID_HISTORY,
    STORY_ID_HISTORY,
)

BY_NAME = {t.name: t for t in PUBLISHED_TABLES}
