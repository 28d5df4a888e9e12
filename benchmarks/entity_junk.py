"""Entity quality on an unlabelled wire feed: junk people and over-merged names (figures only).

    .venv/bin/python -m benchmarks.entity_junk [--n 2000] [--keep DB_PATH]

Runs the whole pipeline on the first N dated Reuters-21578 items (written as articles by
``benchmarks/bench.py``) and prints:

- PERSON entities whose name holds digits, a currency/unit word or "vs" (table rows, amounts);
- the entities with the most aliases (where over-merging shows first);
- entities whose aliases include another entity's full name, or two full names with the same
  surname and different given names ("Nancy Reagan" absorbing "Ronald Reagan").

Nothing is asserted: this is a measurement, and the corpus is absent on most machines (skip).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench import CORPUS, _parse_timestamp, article_file, load_records


def dated_records(n: int) -> list[dict]:
    """The first ``n`` records that carry a publication date."""
    records = load_records(4 * n)
    return [r for r in records if _parse_timestamp(r.get("published_at"))][:n]


def _name_tokens(name: str) -> list[str]:
    from pipeline.canonical import normalize_name

    return normalize_name(name).split()


def _different_people(a: list[str], b: list[str]) -> bool:
    """Two full names with one surname and given names that cannot be one person's.

    A form that ends with the other ("De Graaf" / "Louw de Graaf", "Ross Perot" / "Texan H.
    Ross Perot") is the same name with more or less of it, not another person.
    """
    from pipeline.canonical import names_are_variants

    if len(a) < 2 or len(b) < 2 or a[-1] != b[-1]:
        return False
    short, long_ = sorted((a, b), key=len)
    if long_[len(long_) - len(short) :] == short:
        return False
    return not names_are_variants(a[0], b[0])


def conflicting_names(entities) -> list[tuple[str, str, str]]:
    """(entity, aliases, why) for entities whose aliases name two different people.

    An alias that is another PERSON entity's full name with a different given name, or two
    full-name aliases with one surname and given names that are not variants of each other.
    """
    persons = entities[entities["label"] == "PERSON"]
    owner = {" ".join(_name_tokens(n)): n for n in persons["name"]}
    found = []
    for name, aliases in zip(persons["name"], persons["aliases"], strict=True):
        own = _name_tokens(name)
        full = [(a, _name_tokens(a)) for a in aliases if len(_name_tokens(a)) >= 2]
        for a, ta in full:
            other = owner.get(" ".join(ta))
            if other is not None and other != name and _different_people(ta, own):
                found.append((name, a, f"is the name of entity {other!r}"))
        for i, (a, ta) in enumerate(full):
            for b, tb in full[i + 1 :]:
                if _different_people(ta, tb):
                    found.append((name, f"{a} / {b}", "same surname, different given names"))
    return found


def report(db_path: Path, top: int = 15) -> None:
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        entities = con.execute(
            "SELECT entity_id, name, label, aliases, n_mentions, n_articles FROM entities"
        ).df()
    finally:
        con.close()
    report_entities(entities, top)


def report_entities(entities, top: int = 15) -> None:
    """Print the figures for an ``entities`` table (a DataFrame)."""
    from pipeline.ner import has_figure

    persons = entities[entities["label"] == "PERSON"]
    junk = persons[persons["name"].map(has_figure)]
    print(f"entities {len(entities)}, PERSON {len(persons)}")
    print(f"PERSON entities with digits, currency/unit words or 'vs': {len(junk)}")
    for row in junk.head(top).itertuples():
        print(f"  {row.name!r}  ({len(row.aliases)} aliases, {row.n_mentions} mentions)")
    by_aliases = entities.assign(n_aliases=entities["aliases"].map(len)).sort_values(
        ["n_aliases", "n_mentions"], ascending=False
    )
    print(f"Most aliases (top {top})")
    for row in by_aliases.head(top).itertuples():
        shown = ", ".join(list(row.aliases)[:8])
        print(f"  {row.n_aliases:3d}  {row.label:7s} {row.name!r}: {shown}")
    conflicts = conflicting_names(entities)
    print(f"Entities whose aliases name another person: {len({c[0] for c in conflicts})}")
    for name, alias, why in conflicts[:top]:
        print(f"  {name!r}: {alias!r} {why}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.entity_junk")
    parser.add_argument("--n", type=int, default=2000, help="dated wire items (default 2000)")
    parser.add_argument("--keep", metavar="DB_PATH", help="publish here and keep the database")
    args = parser.parse_args(argv)
    if not CORPUS.is_file():
        print(f"skipped: {CORPUS} not found")
        return 0
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")
    from assets.run import materialize_all

    records = dated_records(args.n)
    with tempfile.TemporaryDirectory(prefix="wirehouse-entjunk-") as tmp:
        folder = Path(tmp) / "articles"
        folder.mkdir()
        for i in range(len(records)):
            name, content = article_file(records, i)
            (folder / name).write_text(content, encoding="utf-8")
        db_path = Path(args.keep) if args.keep else Path(tmp) / "junk.duckdb"
        db_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        result = materialize_all(articles_dir=str(folder), duckdb_path=str(db_path))
        if not result.success:
            print("pipeline run failed", file=sys.stderr)
            return 1
        print(
            f"Reuters-21578, first {len(records)} dated items: pipeline run "
            f"{time.perf_counter() - started:.1f} s"
        )
        report(db_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
