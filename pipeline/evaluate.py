"""Scoring event dedup on labelled news: a corpus's gold labels against a published database.

A corpus folder holds ``articles/`` (the input files) and ``labels.csv`` (``doc,topic,...,cluster``
where ``doc`` is a file stem and ``cluster`` its gold happening), and may hold
``event_chains.csv`` (``chain,doc,sentence,mention``: gold event mentions, ``sentence`` being the
0-based line of the article file), which scores how the pipeline links single mentions too.
The real pipeline runs on the articles exactly as in production, then each document's predicted
cluster is the event of its primary event mention. Scores are printed next to those of a naive
TF-IDF clustering of the same cleaned texts, because a number alone says little: the pipeline
should beat bag-of-words.

Stories (incident threads, ``pipeline.threads``) are scored on the same gold clusters: each
document's ``articles.story_id``. Both corpora count a crime and its later charges, trial or plea
as one incident, while an event is one happening with one date window; event-level scores say
how well reports of one happening are gathered, story-level ones how well follow-ups join it.

``make eval`` runs the pipeline and scores it with ``python -m assets.evaluate`` (the running is
Dagster's business, so it lives in ``assets/``; this module only reads files and DuckDB).
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import storage
from pipeline.date_lines import parse_date_line
from pipeline.entity_evaluation import (
    EntityScores,
    GoldEntityMention,
    PublishedEntityMention,
    score_entities,
)
from pipeline.evaluation import (
    DEFAULT_TFIDF_THRESHOLD,
    GoldMention,
    PredictedMention,
    Scores,
    b_cubed,
    match_gold_mentions,
    pairwise,
    tfidf_average_linkage,
)

DATE_LINE_WINDOW = 6  # header lines searched for a date line when judging date extraction
ERRORS_SHOWN = 10  # merged and split gold clusters listed, worst first
MEMBERS_SHOWN = 8  # documents listed per cluster


class EvaluationError(Exception):
    """The corpus or the pipeline run is unusable; the message says why, for the terminal."""


@dataclass(frozen=True)
class TopicScore:
    topic: str
    n_docs: int
    pipeline: Scores
    peer: Scores
    stories: Scores | None = None  # B³ of story_id (incident threads) on the topic


@dataclass(frozen=True)
class MentionLinks:
    """How gold cross-document event mentions came out: found at all, and linked alike."""

    n_gold: int  # gold mentions in chains that span two or more documents
    n_found: int  # of those, published by the pipeline (same sentence, shared trigger word)
    found_b3: Scores  # B³ of event ids against chains, over the found mentions only
    all_b3: Scores  # the same with every mention not found counted as a singleton

    @property
    def found_share(self) -> float:
        return self.n_found / self.n_gold if self.n_gold else 0.0


@dataclass(frozen=True)
class ClusterError:
    """A predicted cluster holding several gold ones (merged), or a gold one cut (split).

    ``members`` are (label, publication date, doc, title): the gold cluster of each document of
    a merged cluster, the predicted one of each document of a split cluster.
    """

    kind: str  # "merged" or "split"
    cluster: str
    n_parts: int  # gold clusters merged, or predicted clusters a gold one is split into
    members: tuple[tuple[str, str, str, str], ...]


def cluster_errors(
    pred: dict[str, str], gold: dict[str, str], about: dict[str, tuple[str, str]]
) -> list[ClusterError]:
    """Merged and split gold clusters, worst first (most parts, then most documents).

    ``about``: doc -> (publication date, title). Documents without a prediction count as
    singletons, as in the scores.
    """
    out = []
    for kind, by, other in (("merged", pred, gold), ("split", gold, pred)):
        groups: dict[str, list[str]] = {}
        for doc in gold:
            groups.setdefault(by.get(doc, f"none:{doc}"), []).append(doc)
        found = []
        for cluster, docs in groups.items():
            parts = {other.get(d, f"none:{d}") for d in docs}
            if len(parts) < 2:
                continue
            docs.sort(key=lambda d: (other.get(d, ""), about.get(d, ("", ""))[0], d))
            members = tuple(
                (
                    other.get(d, "(no event)"),
                    about.get(d, ("", ""))[0],
                    d,
                    about.get(d, ("", ""))[1],
                )
                for d in docs
            )
            found.append(ClusterError(kind, cluster, len(parts), members))
        found.sort(key=lambda e: (-e.n_parts, -len(e.members), e.cluster))
        out.extend(found)
    return out


@dataclass
class EvaluationResult:
    """Everything the harness measured; ``report()`` renders it for humans."""

    corpus_dir: str
    n_docs: int
    n_missing: int  # gold docs with no published article (quarantined, e.g. not English)
    n_duplicates: int  # duplicate articles without a primary event of their own
    n_no_event: int  # published, non-duplicate articles with no primary event
    pipeline_b3: Scores
    pipeline_pairwise: Scores
    peer_b3: Scores
    peer_pairwise: Scores
    peer_threshold: float
    peer_n_clusters: int
    n_articles: int  # gold docs with a published article
    n_dated: int
    n_with_date_line: int
    n_dated_with_date_line: int
    n_events: int
    mean_articles_per_event: float
    n_pred_clusters: int  # distinct primary events among the gold docs
    n_gold_clusters: int
    run_seconds: float
    peer_seconds: float
    per_topic: list[TopicScore] = field(default_factory=list)
    links: MentionLinks | None = None  # when the corpus has event_chains.csv
    entities: EntityScores | None = None  # when the corpus has entity_chains.csv
    errors: list[ClusterError] = field(default_factory=list)
    # Incident threads (the stories table): each doc's story_id scored against the same gold
    # clusters, which count a crime and its later charges, trial or plea as one incident.
    story_b3: Scores | None = None
    story_pairwise: Scores | None = None
    n_story_clusters: int = 0
    n_stories: int = 0
    n_multi_event_stories: int = 0
    story_errors: list[ClusterError] = field(default_factory=list)

    @property
    def n_singletons(self) -> int:
        return self.n_missing + self.n_duplicates + self.n_no_event

    @property
    def date_share(self) -> float:
        return self.n_dated / self.n_articles if self.n_articles else 0.0

    @property
    def date_share_with_line(self) -> float:
        return self.n_dated_with_date_line / self.n_with_date_line if self.n_with_date_line else 0.0

    def report(self) -> str:
        lines = [
            f"Event dedup evaluation on {self.corpus_dir}",
            f"  docs scored                {self.n_docs}  ({self.n_gold_clusters} gold happenings)",
            f"  forced singletons          {self.n_singletons}  (no published article "
            f"{self.n_missing}, duplicate {self.n_duplicates}, no primary event {self.n_no_event})",
            f"Pipeline ({self.n_pred_clusters} predicted clusters among the docs)",
            f"  B3        {self.pipeline_b3}",
            f"  pairwise  {self.pipeline_pairwise}",
            f"Naive peer: TF-IDF + average linkage, threshold {self.peer_threshold} "
            f"({self.peer_n_clusters} clusters)",
            f"  B3        {self.peer_b3}",
            f"  pairwise  {self.peer_pairwise}",
            *self._story_lines(),
            "Publication dates",
            f"  found, all published articles       {self.date_share:.1%}  "
            f"({self.n_dated}/{self.n_articles})",
            f"  found, with a date line in first {DATE_LINE_WINDOW}  "
            f"{self.date_share_with_line:.1%}  ({self.n_dated_with_date_line}/"
            f"{self.n_with_date_line})",
            "Events",
            f"  events                     {self.n_events}",
            f"  mean articles per event    {self.mean_articles_per_event:.2f}",
            f"Time: pipeline run {self.run_seconds:.1f} s, peer {self.peer_seconds:.1f} s",
        ]
        if self.links is not None:
            lines += [
                "Mention links (event_chains.csv, chains across documents)",
                f"  gold mentions              {self.links.n_gold}",
                f"  found by the pipeline      {self.links.n_found}  "
                f"({self.links.found_share:.1%}; same sentence, shared trigger word)",
                f"  B3, found mentions         {self.links.found_b3}",
                f"  B3, all (missed=singleton) {self.links.all_b3}",
            ]
        if self.entities is not None:
            lines += self.entities.report()
        lines += [
            "Per-topic B3 F1 (worst first; clusters cut at topic borders)",
            "  topic  docs  pipeline  peer  stories",
        ]
        lines += [
            f"  {t.topic:>5}  {t.n_docs:>4}  {t.pipeline.f1:8.3f}  {t.peer.f1:.3f}"
            + (f"  {t.stories.f1:7.3f}" if t.stories is not None else "")
            for t in self.per_topic
        ]
        lines += self._error_lines(self.errors, "")
        if self.story_b3 is not None:
            lines += self._error_lines(self.story_errors, "Stories ")
        return "\n".join(lines)

    def _story_lines(self) -> list[str]:
        if self.story_b3 is None or self.story_pairwise is None:
            return ["Stories: none published (no stories table)"]
        return [
            f"Stories: incident threads ({self.n_story_clusters} predicted among the docs; "
            f"{self.n_stories} stories, {self.n_multi_event_stories} of several events)",
            f"  B3        {self.story_b3}",
            f"  pairwise  {self.story_pairwise}",
        ]

    @staticmethod
    def _error_lines(all_errors: list[ClusterError], prefix: str) -> list[str]:
        lines = []
        for kind, heading in (
            ("merged", "merged: predicted clusters holding several gold clusters (worst first)"),
            ("split", "split: gold clusters cut into several predicted ones (worst first)"),
        ):
            heading = (prefix + heading) if prefix else heading[0].upper() + heading[1:]
            errors = [e for e in all_errors if e.kind == kind]
            lines.append(f"{heading}: {len(errors)}")
            for e in errors[:ERRORS_SHOWN]:
                parts = "gold clusters" if kind == "merged" else "predicted clusters"
                lines.append(f"  {e.cluster}: {len(e.members)} docs, {e.n_parts} {parts}")
                label = "gold" if kind == "merged" else "pred"
                for part, day, doc, title in e.members[:MEMBERS_SHOWN]:
                    lines.append(
                        f"    {label} {part[:16]:<16} {day[:10]:<10} {doc[:24]:<24} {title[:70]}"
                    )
                if len(e.members) > MEMBERS_SHOWN:
                    lines.append(f"    … {len(e.members) - MEMBERS_SHOWN} more")
            if len(errors) > ERRORS_SHOWN:
                lines.append(f"  … {len(errors) - ERRORS_SHOWN} more")
        return lines


@dataclass(frozen=True)
class _Label:
    doc: str
    topic: str
    cluster: str


def read_labels(corpus: Path) -> list[_Label]:
    """Validate the corpus folder shape and read its labels, failing with a readable message."""
    articles_dir, labels_csv = corpus / "articles", corpus / "labels.csv"
    if not articles_dir.is_dir() or not labels_csv.is_file():
        raise EvaluationError(
            f"{corpus} is not an evaluation corpus: expected an articles/ folder and labels.csv "
            f"(columns doc,topic,cluster) inside it"
        )
    rows = _read_csv(labels_csv, ("doc", "topic", "cluster"))
    labels = [_Label(r["doc"], r["topic"], r["cluster"]) for r in rows]
    if not labels:
        raise EvaluationError(f"{labels_csv} has no rows")
    dup = [d for d, n in Counter(lab.doc for lab in labels).items() if n > 1]
    if dup:
        raise EvaluationError(f"{labels_csv} lists some docs twice: {', '.join(dup[:5])}")
    absent = [lab.doc for lab in labels if not (articles_dir / f"{lab.doc}.txt").is_file()]
    if absent:
        raise EvaluationError(
            f"{len(absent)} doc(s) of labels.csv have no articles/<doc>.txt: "
            f"{', '.join(absent[:5])}"
        )
    return labels


def _read_csv(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """The rows of a CSV file that must have ``columns``; a readable error when it lacks some."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing_cols = set(columns) - set(reader.fieldnames or [])
        if missing_cols:
            raise EvaluationError(f"{path} lacks column(s): {', '.join(sorted(missing_cols))}")
        return list(reader)


def read_chains(corpus: Path) -> list[GoldMention] | None:
    """Gold event mentions from ``event_chains.csv``, or None when the corpus has none."""
    path = corpus / "event_chains.csv"
    if not path.is_file():
        return None
    rows = _read_csv(path, ("chain", "doc", "sentence", "mention"))
    return [GoldMention(r["chain"], r["doc"], int(r["sentence"]), r["mention"]) for r in rows]


def read_entity_chains(corpus: Path) -> list[GoldEntityMention] | None:
    """Gold entity mentions from ``entity_chains.csv``, or None when the corpus has none."""
    path = corpus / "entity_chains.csv"
    if not path.is_file():
        return None
    rows = _read_csv(path, ("chain", "doc", "sentence", "mention"))
    return [
        GoldEntityMention(r["chain"], r["doc"], int(r["sentence"]), r["mention"], r.get("type", ""))
        for r in rows
    ]


def _score_entities(con: duckdb.DuckDBPyConnection, corpus: Path) -> EntityScores | None:
    gold = read_entity_chains(corpus)
    if gold is None:
        return None
    published = [
        PublishedEntityMention(Path(path).stem, text, entity_id)
        for path, text, entity_id in con.execute(
            "SELECT a.source_path, m.text, m.entity_id"
            " FROM entity_mentions m JOIN articles a USING (article_id)"
            " ORDER BY a.source_path, m.start_char, m.end_char"
        ).fetchall()
    ]
    names = dict(con.execute("SELECT entity_id, name FROM entities").fetchall())
    return score_entities(gold, published, names)


def _score_links(
    corpus: Path, chains: list[GoldMention], predicted: list[PredictedMention]
) -> MentionLinks:
    docs_of_chain: dict[str, set[str]] = {}
    for g in chains:
        docs_of_chain.setdefault(g.chain, set()).add(g.doc)
    cross = [g for g in chains if len(docs_of_chain[g.chain]) >= 2]
    lines = {}
    for doc in {g.doc for g in cross}:
        path = corpus / "articles" / f"{doc}.txt"
        if path.is_file():
            lines[doc] = path.read_text(encoding="utf-8", errors="replace").split("\n")
    found = match_gold_mentions(cross, lines, predicted)
    gold = {str(k): g.chain for k, g in enumerate(cross)}
    pred = {str(k): e for k, e in found.items()}
    return MentionLinks(
        n_gold=len(cross),
        n_found=len(found),
        found_b3=b_cubed(pred, {k: gold[k] for k in pred}),
        all_b3=b_cubed(pred, gold),
    )


def _has_date_line(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as fh:
        head = [line for _, line in zip(range(DATE_LINE_WINDOW), fh, strict=False)]
    return any(parse_date_line(line.strip()) is not None for line in head)


def score_corpus(
    corpus: Path, labels: list[_Label], db_path: Path, run_seconds: float
) -> EvaluationResult:
    with storage.connect(db_path, read_only=True) as con:
        articles = con.execute(
            "SELECT source_path, article_id, published_date IS NOT NULL, duplicate_of IS NOT NULL,"
            " text FROM articles"
        ).fetchall()
        primary = dict(
            con.execute(
                "SELECT article_id, event_id FROM event_mentions WHERE is_primary"
            ).fetchall()
        )
        n_events = con.execute("SELECT count(*) FROM events").fetchone()[0]
        has_stories = bool(
            con.execute(
                "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'articles' "
                "AND column_name = 'story_id'"
            ).fetchone()[0]
        )
        story_of = (
            dict(
                con.execute(
                    "SELECT article_id, story_id FROM articles WHERE story_id IS NOT NULL"
                ).fetchall()
            )
            if has_stories
            else {}
        )
        n_stories, n_multi = (
            con.execute(
                "SELECT count(*), count(*) FILTER (WHERE n_events > 1) FROM stories"
            ).fetchone()
            if has_stories
            else (0, 0)
        )
        mean_per_event = con.execute(
            "SELECT coalesce(avg(n), 0) FROM (SELECT count(DISTINCT article_id) AS n"
            " FROM event_mentions GROUP BY event_id)"
        ).fetchone()[0]
        chains = read_chains(corpus)
        published_mentions = (
            [
                PredictedMention(Path(path).stem, sentence, trigger, event_id)
                for path, sentence, trigger, event_id in con.execute(
                    "SELECT a.source_path, m.sentence, m.trigger, m.event_id"
                    " FROM event_mentions m JOIN articles a USING (article_id)"
                ).fetchall()
            ]
            if chains
            else []
        )
        entity_scores = _score_entities(con, corpus)
        about = {
            Path(path).stem: (str(day) if day is not None else "undated", title or "")
            for path, day, title in con.execute(
                "SELECT source_path, published_date, title FROM articles"
            ).fetchall()
        }
    by_path = {
        Path(sp).as_posix(): (aid, dated, dup, text) for sp, aid, dated, dup, text in articles
    }

    gold = {lab.doc: lab.cluster for lab in labels}
    pred: dict[str, str] = {}
    story_pred: dict[str, str] = {}  # doc -> story_id (a duplicate has its original's)
    present: dict[str, str] = {}  # doc -> cleaned text, for the peer
    n_missing = n_dup = n_no_event = 0
    n_dated = n_line = n_dated_line = 0
    for lab in labels:
        row = by_path.get(f"{lab.doc}.txt")
        if row is None:
            n_missing += 1
            continue
        aid, dated, dup, text = row
        present[lab.doc] = text
        if aid in story_of:
            story_pred[lab.doc] = story_of[aid]
        n_dated += dated
        if _has_date_line(corpus / "articles" / f"{lab.doc}.txt"):
            n_line += 1
            n_dated_line += dated
        if aid in primary:
            pred[lab.doc] = primary[aid]
        elif dup:
            n_dup += 1
        else:
            n_no_event += 1

    started = time.perf_counter()
    docs = list(present)
    peer_labels = tfidf_average_linkage([present[d] for d in docs], DEFAULT_TFIDF_THRESHOLD)
    peer = {d: str(c) for d, c in zip(docs, peer_labels, strict=True)}
    peer_seconds = time.perf_counter() - started

    topics: dict[str, list[str]] = {}
    for lab in labels:
        topics.setdefault(lab.topic, []).append(lab.doc)
    per_topic = []
    for topic, topic_docs in topics.items():
        g = {d: gold[d] for d in topic_docs}
        per_topic.append(
            TopicScore(
                topic,
                len(topic_docs),
                b_cubed(pred, g),
                b_cubed(peer, g),
                b_cubed(story_pred, g) if has_stories else None,
            )
        )
    per_topic.sort(key=lambda t: (t.pipeline.f1, t.topic))

    return EvaluationResult(
        corpus_dir=str(corpus),
        n_docs=len(labels),
        n_missing=n_missing,
        n_duplicates=n_dup,
        n_no_event=n_no_event,
        pipeline_b3=b_cubed(pred, gold),
        pipeline_pairwise=pairwise(pred, gold),
        peer_b3=b_cubed(peer, gold),
        peer_pairwise=pairwise(peer, gold),
        peer_threshold=DEFAULT_TFIDF_THRESHOLD,
        peer_n_clusters=len(set(peer_labels)),
        n_articles=len(present),
        n_dated=n_dated,
        n_with_date_line=n_line,
        n_dated_with_date_line=n_dated_line,
        n_events=n_events,
        mean_articles_per_event=float(mean_per_event),
        n_pred_clusters=len(set(pred.values())),
        n_gold_clusters=len(set(gold.values())),
        run_seconds=run_seconds,
        peer_seconds=peer_seconds,
        per_topic=per_topic,
        links=_score_links(corpus, chains, published_mentions) if chains else None,
        entities=entity_scores,
        errors=cluster_errors(pred, gold, about),
        story_b3=b_cubed(story_pred, gold) if has_stories else None,
        story_pairwise=pairwise(story_pred, gold) if has_stories else None,
        n_story_clusters=len(set(story_pred.values())),
        n_stories=int(n_stories),
        n_multi_event_stories=int(n_multi),
        story_errors=cluster_errors(story_pred, gold, about) if has_stories else [],
    )
