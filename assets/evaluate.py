"""``python -m assets.evaluate CORPUS_DIR [--keep DB_PATH]``: run the pipeline on labelled news
and score its event dedup (``pipeline.evaluate``).

The real pipeline runs on the corpus's ``articles/`` exactly as in production, into a temporary
folder, then the published tables are scored against the gold labels. This is what ``make eval``
calls. A missing corpus folder is a skip, not a failure, so the target can run on machines that
do not have the (separately licensed) corpus.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pipeline.evaluate import EvaluationError, EvaluationResult, read_labels, score_corpus


def _run_failure(result: object) -> str:
    """Which steps and gates failed, in words, so a failed evaluation points at the culprit."""
    parts = []
    for ev in result.get_step_failure_events():  # type: ignore[attr-defined]
        err = ev.step_failure_data.error
        msg = err.message.strip().splitlines()[-1] if err else "unknown error"
        parts.append(f"step {ev.step_key} failed: {msg}")
    for ev in result.all_events:  # type: ignore[attr-defined]
        if ev.event_type_value == "ASSET_CHECK_EVALUATION":
            data = ev.asset_check_evaluation_data
            if not data.passed:
                parts.append(f"gate failed: {data.asset_key.to_user_string()} / {data.check_name}")
    return "; ".join(parts) or "the run did not succeed (no failed step reported)"


def evaluate_corpus(
    corpus_dir: str | os.PathLike[str], keep: str | None = None
) -> EvaluationResult:
    """Run the pipeline on a labelled corpus and score it; raise EvaluationError when unusable.

    The DuckDB files go to a temporary folder so an evaluation never touches the production
    database; ``keep`` names a path to publish to instead, for digging into the tables later.
    """
    from assets.run import materialize_all  # imported late: loading Dagster + spaCy is slow

    corpus = Path(corpus_dir)
    labels = read_labels(corpus)
    with tempfile.TemporaryDirectory(prefix="wirehouse-eval-") as tmp:
        db_path = Path(keep) if keep else Path(tmp) / "eval.duckdb"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        result = materialize_all(articles_dir=str(corpus / "articles"), duckdb_path=str(db_path))
        run_seconds = time.perf_counter() - started
        if not result.success or not db_path.exists():
            raise EvaluationError(f"pipeline run failed: {_run_failure(result)}")
        return score_corpus(corpus, labels, db_path, run_seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assets.evaluate", description="Score event dedup on a labelled corpus."
    )
    parser.add_argument("corpus_dir", help="folder with articles/ and labels.csv")
    parser.add_argument(
        "--keep", metavar="DB_PATH", help="publish the DuckDB file here and keep it"
    )
    args = parser.parse_args(argv)
    if not Path(args.corpus_dir).exists():
        print(f"skipped: {args.corpus_dir} not found")
        return 0
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    try:
        result = evaluate_corpus(args.corpus_dir, keep=args.keep)
    except EvaluationError as exc:
        print(f"evaluation failed: {exc}", file=sys.stderr)
        return 1
    print(result.report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
