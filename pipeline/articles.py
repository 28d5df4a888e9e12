"""From raw articles to cleaned English articles, or to quarantine with a reason."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from datetime import datetime

import pandas as pd

from pipeline.cleaning import clean_article, find_repeated_lines
from pipeline.dates import as_date
from pipeline.language import could_be_english, detect_language

MIN_LANGUAGE_CONFIDENCE = 0.5
# Longest cleaned article accepted. The dev corpora's longest is 16k characters and a long
# feature runs to ~60k; spaCy's memory grows with the text, and a 4.9 MB one-word "article"
# drove it past 9 GB. Longer texts are quarantined, so memory stays flat whatever arrives.
MAX_ARTICLE_CHARS = 200_000
_FINGERPRINT_WORDS = re.compile(r"[a-z0-9]+")


@dataclass
class CleaningResult:
    articles: pd.DataFrame
    rejects: pd.DataFrame


def content_fingerprint(text: str) -> str:
    """Same words in the same order: the same article, whatever its spacing or quotes."""
    words = _FINGERPRINT_WORDS.findall(text.casefold())
    return hashlib.sha256(" ".join(words).encode()).hexdigest()


def clean_raw_articles(raw: pd.DataFrame) -> CleaningResult:
    """Clean every raw article; non-English or contentless ones are rejected.

    An article whose cleaned content equals an earlier one (by source path order) keeps its
    row but gets ``duplicate_of``, so nothing downstream counts it twice.
    """
    ordered = raw.sort_values("source_path", kind="stable").reset_index(drop=True)
    repeated = find_repeated_lines(ordered["raw_text"].tolist())
    outcomes = [
        clean_one(rec.raw_text, repeated, rec.record_published_at, rec.record_url, rec.record_title)
        for rec in ordered.itertuples(index=False)
    ]
    return assemble(ordered, outcomes)


@dataclass(frozen=True)
class CleaningOutcome:
    """What cleaning makes of one raw text: an article, or a rejection with its reason."""

    reason: str | None = None
    detail: str | None = None
    url: str | None = None
    source: str | None = None
    title: str | None = None
    published_date: object = None
    published_date_origin: str | None = None
    language: str | None = None
    text: str | None = None
    n_chars: int | None = None
    fingerprint: str | None = None


OUTCOME_COLUMNS = [f.name for f in fields(CleaningOutcome)]


def clean_one(
    raw_text: str,
    repeated: frozenset[str],
    record_published_at: object = None,
    record_url: object = None,
    record_title: object = None,
) -> CleaningOutcome:
    """Clean one raw text given the corpus furniture it contains (``repeated``)."""
    cleaned = clean_article(
        raw_text,
        repeated_lines=repeated,
        published_at=as_date(record_published_at),
        url=_text_or_none(record_url),
        title=_text_or_none(record_title),
    )
    if not cleaned.text.strip():
        return CleaningOutcome("no_content", "nothing left after removing page furniture")
    if len(cleaned.text) > MAX_ARTICLE_CHARS:
        return CleaningOutcome(
            "too_long",
            f"{len(cleaned.text):,} characters after cleaning is over the "
            f"{MAX_ARTICLE_CHARS:,}-character limit for one article; split it into articles",
        )
    language, confidence = detect_language(cleaned.text)
    if not _is_english(language, confidence, cleaned.text):
        what = "undetermined" if language == "und" else f"'{language}'"
        return CleaningOutcome(
            "not_english",
            f"language {what} (confidence {confidence:.2f}); only English is processed",
        )
    return CleaningOutcome(
        url=cleaned.url,
        source=cleaned.source,
        title=cleaned.title,
        published_date=cleaned.published_date,
        published_date_origin=cleaned.published_date_origin,
        language="en",
        text=cleaned.text,
        n_chars=len(cleaned.text),
        fingerprint=content_fingerprint(cleaned.text),
    )


def assemble(ordered: pd.DataFrame, outcomes: list[CleaningOutcome]) -> CleaningResult:
    """Articles and rejects from per-article outcomes, in source path order.

    ``ordered`` (article_id, source_path, record_source) is sorted by source_path; the first
    article with a content fingerprint is the original, later ones point at it.
    """
    rows, rejects = [], []
    first_by_fingerprint: dict[str, str] = {}
    for rec, out in zip(ordered.itertuples(index=False), outcomes, strict=True):
        if out.reason is not None:
            rejects.append(_reject(rec.source_path, out.reason, out.detail or ""))
            continue
        duplicate_of = first_by_fingerprint.setdefault(out.fingerprint, rec.article_id)
        rows.append(
            {
                "article_id": rec.article_id,
                "source_path": rec.source_path,
                "url": out.url,
                "source": _text_or_none(rec.record_source) or out.source,
                "title": out.title,
                "published_date": as_date(out.published_date),
                "published_date_origin": out.published_date_origin,
                "language": out.language,
                "text": out.text,
                "n_chars": out.n_chars,
                "duplicate_of": None if duplicate_of == rec.article_id else duplicate_of,
            }
        )
    return CleaningResult(
        articles=pd.DataFrame(rows, columns=_ARTICLE_COLUMNS),
        rejects=pd.DataFrame(rejects, columns=["source_path", "stage", "reason", "detail"]),
    )


_ARTICLE_COLUMNS = [
    "article_id",
    "source_path",
    "url",
    "source",
    "title",
    "published_date",
    "published_date_origin",
    "language",
    "text",
    "n_chars",
    "duplicate_of",
    "story_id",  # set by the events step (pipeline.threads), once stories are known
]


def _is_english(language: str, confidence: float, text: str) -> bool:
    """Confidently English, or too short to tell and nothing says it is another language.

    Headlines and one-line briefs carry too few function words for a confident verdict; rejecting
    them would silently drop real English reports, while ``could_be_english`` still turns away
    text in another script or with a clear majority of another language's function words.
    """
    if language == "en" and confidence >= MIN_LANGUAGE_CONFIDENCE:
        return True
    return language in ("en", "und") and could_be_english(text)


def _reject(path: str, reason: str, detail: str) -> dict:
    return {"source_path": path, "stage": "cleaning", "reason": reason, "detail": detail}


def _text_or_none(value: object) -> str | None:
    """DuckDB hands missing strings to pandas as NaN; the cleaners expect None."""
    return value if isinstance(value, str) and value.strip() else None


def carry_first_seen(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    keys: list[str],
    column: str,
    now: datetime,
) -> pd.DataFrame:
    """Keep the timestamp a row first got, so re-running on the same input changes nothing."""
    out = current.copy()
    out[column] = pd.Timestamp(now)
    if previous is None or previous.empty or column not in previous.columns:
        return out
    old = previous[[*keys, column]].drop_duplicates(keys).rename(columns={column: "_old"})
    out = out.merge(old, on=keys, how="left")
    out[column] = out["_old"].where(out["_old"].notna(), out[column])
    return out.drop(columns="_old")
