"""Summary tables, computed in SQL from the detail tables they summarise.

Kept as queries so that a user can read in one place exactly how each figure is derived, and
so the quality gates can recompute them independently.
"""

from __future__ import annotations

import duckdb
import pandas as pd

SUMMARY_QUERIES: dict[str, str] = {
    "daily_entity_counts": """
        SELECT a.published_date AS day, m.entity_id, e.name, e.label,
               count(*) AS n_mentions, count(DISTINCT m.article_id) AS n_articles
        FROM entity_mentions m
        JOIN articles a USING (article_id)
        JOIN entities e USING (entity_id)
        WHERE a.published_date IS NOT NULL
        GROUP BY ALL
        ORDER BY day, entity_id""",
    "event_timeline": """
        SELECT e.event_date AS day, e.event_type, count(*) AS n_events,
               (SELECT count(DISTINCT m.article_id) FROM event_mentions m
                JOIN events e2 USING (event_id)
                WHERE e2.event_date = e.event_date AND e2.event_type = e.event_type) AS n_articles,
               list(e.event_id ORDER BY e.event_id) AS event_ids
        FROM events e
        WHERE e.event_date IS NOT NULL
        GROUP BY ALL
        ORDER BY day, event_type""",
    "source_coverage": """
        SELECT coalesce(a.source, 'unknown') AS source,
               count(DISTINCT a.article_id) AS n_articles,
               count(DISTINCT m.event_id) AS n_events,
               min(a.published_date) AS first_published,
               max(a.published_date) AS last_published
        FROM articles a
        LEFT JOIN event_mentions m USING (article_id)
        WHERE a.duplicate_of IS NULL
        GROUP BY ALL
        ORDER BY source""",
    "entity_cooccurrence": """
        WITH per_article AS (
            SELECT DISTINCT article_id, entity_id FROM entity_mentions
        ), per_sentence AS (
            SELECT DISTINCT article_id, sentence_index, entity_id FROM entity_mentions
        ), article_pairs AS (
            SELECT x.entity_id AS entity_a, y.entity_id AS entity_b, count(*) AS n_articles
            FROM per_article x JOIN per_article y
              ON x.article_id = y.article_id AND x.entity_id < y.entity_id
            GROUP BY ALL
        ), sentence_pairs AS (
            SELECT x.entity_id AS entity_a, y.entity_id AS entity_b, count(*) AS n_sentences
            FROM per_sentence x JOIN per_sentence y
              ON x.article_id = y.article_id AND x.sentence_index = y.sentence_index
             AND x.entity_id < y.entity_id
            GROUP BY ALL
        )
        SELECT ap.entity_a, ea.name AS name_a, ap.entity_b, eb.name AS name_b, ap.n_articles,
               coalesce(sp.n_sentences, 0) AS n_sentences
        FROM article_pairs ap
        LEFT JOIN sentence_pairs sp USING (entity_a, entity_b)
        JOIN entities ea ON ea.entity_id = ap.entity_a
        JOIN entities eb ON eb.entity_id = ap.entity_b
        ORDER BY n_articles DESC, entity_a, entity_b""",
}


def compute_summary(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    return con.execute(SUMMARY_QUERIES[name]).df()
