"""How story clustering and event dedup scale with the archive, and whether they still agree.

    .venv/bin/python benchmarks/dedup_scaling.py scale WORK.duckdb [--sizes 1000,2000,4000]
        [--rev REV] [--old-up-to 4000]
    .venv/bin/python benchmarks/dedup_scaling.py compare WORK.duckdb [WORK.duckdb ...] --rev REV
    .venv/bin/python benchmarks/dedup_scaling.py caps WORK.duckdb [--sizes ...]
    .venv/bin/python benchmarks/dedup_scaling.py briefs [--sizes 1000,2000,4000,8000]
    .venv/bin/python benchmarks/dedup_scaling.py reuters OUT_FOLDER [--n 4000]

``WORK.duckdb`` is the working database a run leaves beside its published file
(``.news.work.duckdb``; ``python -m assets.evaluate CORPUS --keep DIR/eval.duckdb`` leaves
``DIR/.eval.work.duckdb``): its tables event_candidates, articles, entities and entity_mentions
are what ``deduplicate`` reads in assets/events.py.

``scale`` takes the first N articles in feed order (source_path) for each size and times
``story_clusters`` and then ``deduplicate`` (which clusters stories again), each size in a fresh
process, with that process's peak resident memory (VmHWM, reset before each step). ``--rev``
also runs pipeline/{similarity,stories,dedup}.py as they were at that git revision (the dense
all-pairs code before the sparse rewrite, e.g. ``--rev eb8104d``), up to ``--old-up-to``
articles: it needs n x n matrices. The growth exponent is log(time ratio) / log(size ratio).

``compare`` runs both versions on whole working databases and lists every difference in the
events and event_mentions tables and in the primary-event clusters.

``caps`` measures what the rare-term candidate index misses: for each cap on a term's document
frequency, the share of pairs above a threshold that share no term that rare, and the number of
candidate pairs (the cost).

``briefs`` clusters synthetic look-alike quarterly-results briefs, the case where gathering
makes one huge group for the normalized cut.

``reuters`` writes Reuters-21578 records (``../shared/corpora/reuters-21578``) as article files
(title, date line, blank line, text) for a realistic wire archive: run the pipeline on the folder
(``NEWS_ARTICLES_DIR=OUT_FOLDER NEWS_DUCKDB_PATH=/tmp/x/news.duckdb python -m assets.run``) and
keep its ``.news.work.duckdb``.

Figures, not assertions: nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from pipeline import storage  # noqa: E402

REUTERS = REPO.parent / "shared" / "corpora" / "reuters-21578" / "reuters.jsonl.gz"
MODULES = ("similarity", "stories", "dedup")


# ---- inputs -------------------------------------------------------------------------------


def load(db: Path, size: int | None = None) -> dict[str, pd.DataFrame]:
    """The inputs of ``deduplicate`` from a working database, for the first ``size`` articles."""
    with storage.connect(db, read_only=True) as con:
        arts = con.execute(
            "SELECT article_id, published_date, source, text, duplicate_of FROM articles"
            " ORDER BY source_path, article_id"
        ).df()
        if size is not None:
            arts = arts.iloc[:size]
        keep = set(arts["article_id"])
        cands = con.execute("SELECT * FROM event_candidates").df()
        named = con.execute("SELECT article_id, entity_id, label FROM entity_mentions").df()
        return {
            "articles": arts.reset_index(drop=True),
            "candidates": cands[cands["article_id"].isin(keep)].reset_index(drop=True),
            "entities": con.execute("SELECT entity_id, name, label FROM entities").df(),
            "entity_mentions": named[named["article_id"].isin(keep)].reset_index(drop=True),
        }


def implementation(rev: str | None, tmp: Path) -> dict[str, object]:
    """The three modules as they are now, or as they were at git revision ``rev``."""
    if rev is None:
        return {name: importlib.import_module(f"pipeline.{name}") for name in MODULES}
    package = tmp / "wirehouse_at_rev"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    for name in MODULES:
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:pipeline/{name}.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for other in MODULES:
            source = source.replace(f"from pipeline.{other} ", f"from wirehouse_at_rev.{other} ")
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(tmp))
    return {name: importlib.import_module(f"wirehouse_at_rev.{name}") for name in MODULES}


def story_inputs(dedup, tables: dict[str, pd.DataFrame]) -> tuple:
    """What ``deduplicate`` hands ``story_clusters``: live articles, mentions, stated windows."""
    cand = tables["candidates"].reset_index(drop=True)
    primary = dedup._primary_local_events(dedup.build_local_events(cand))
    windows = {a: w for a, ev in primary.items() if (w := dedup._stated_window(cand, ev))}
    arts = tables["articles"]
    live = arts[arts["duplicate_of"].isna()][["article_id", "text", "published_date"]]
    return live, tables["entity_mentions"], windows


# ---- scale --------------------------------------------------------------------------------


def _peak_reset() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _status(field: str) -> float:
    """A memory figure of /proc/self/status in MB (NaN where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


def run_one(db: Path, size: int, rev: str | None) -> dict[str, float]:
    """Time story clustering and dedup on the first ``size`` articles, in this process."""
    with tempfile.TemporaryDirectory(prefix="dedup-scaling-") as tmp:
        mods = implementation(rev, Path(tmp))
        tables = load(db, size)
        out: dict[str, float] = {
            "articles": len(tables["articles"]),
            "candidates": len(tables["candidates"]),
        }
        live, named, windows = story_inputs(mods["dedup"], tables)
        base = _status("VmRSS")
        _peak_reset()
        started = time.perf_counter()
        mods["stories"].story_clusters(live, named, windows)
        out["stories_s"] = time.perf_counter() - started
        out["stories_peak_mb"] = _status("VmHWM") - base
        _peak_reset()
        started = time.perf_counter()
        mods["dedup"].deduplicate(
            tables["candidates"],
            tables["articles"],
            tables["entities"],
            entity_mentions=tables["entity_mentions"],
        )
        out["dedup_s"] = time.perf_counter() - started
        out["dedup_peak_mb"] = _status("VmHWM") - base
        out["base_rss_mb"] = base
        out["peak_rss_mb"] = _status("VmHWM")
    return out


def scale(db: Path, sizes: list[int], rev: str | None, old_up_to: int) -> None:
    rows = []
    versions = [("new", None)] + ([(f"at {rev}", rev)] if rev else [])
    for size in sizes:
        for label, version in versions:
            if version is not None and size > old_up_to:
                continue
            command = [sys.executable, __file__, "_one", str(db), str(size)]
            if version:
                command += ["--rev", version]
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{label} at {size}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append({"version": label, **result})
            print(_row(rows[-1]), flush=True)
    print()
    for label, _ in versions:
        mine = [r for r in rows if r["version"] == label]
        for a, b in zip(mine, mine[1:], strict=False):
            ratio = b["articles"] / a["articles"]
            print(
                f"{label}: {a['articles']:.0f} -> {b['articles']:.0f} articles (x{ratio:.2f}): "
                + ", ".join(
                    f"{step} x{b[step] / a[step]:.2f} "
                    f"(exponent {math.log(b[step] / a[step]) / math.log(ratio):.2f})"
                    for step in ("stories_s", "dedup_s")
                )
            )


def _row(r: dict) -> str:
    return (
        f"{r['version']:>14} {r['articles']:6.0f} articles {r['candidates']:7.0f} mentions  "
        f"stories {r['stories_s']:7.1f} s {r['stories_peak_mb']:7.0f} MB   "
        f"dedup {r['dedup_s']:7.1f} s {r['dedup_peak_mb']:7.0f} MB   "
        f"(RSS before {r['base_rss_mb']:.0f} MB, peak {r['peak_rss_mb']:.0f} MB)"
    )


# ---- compare ------------------------------------------------------------------------------


def compare(db: Path, rev: str, size: int | None = None) -> None:
    """Differences between the current code and revision ``rev`` on one working database."""
    tables = load(db, size)
    with tempfile.TemporaryDirectory(prefix="dedup-compare-") as tmp:
        results = {}
        for label, version in (("new", None), ("old", rev)):
            mods = implementation(version, Path(tmp))
            started = time.perf_counter()
            results[label] = mods["dedup"].deduplicate(
                tables["candidates"],
                tables["articles"],
                tables["entities"],
                entity_mentions=tables["entity_mentions"],
            )
            print(f"{db}: {label} deduplicate {time.perf_counter() - started:.1f} s", flush=True)
    (old_events, old_mentions), (new_events, new_mentions) = results["old"], results["new"]
    same_events = _frames_equal(old_events, new_events)
    same_mentions = _frames_equal(old_mentions, new_mentions)
    print(
        f"  events {len(old_events)} -> {len(new_events)} (identical: {same_events}); "
        f"mentions {len(old_mentions)} -> {len(new_mentions)} (identical: {same_mentions})"
    )
    for what, old, new in (
        ("primary-event clusters", _clusters(old_mentions, True), _clusters(new_mentions, True)),
        ("all-mention clusters", _clusters(old_mentions, False), _clusters(new_mentions, False)),
    ):
        gone, came = old - new, new - old
        print(
            f"  {what}: {len(old)} -> {len(new)}; only old {len(gone)}, only new {len(came)}; "
            f"B-cubed F1 of new against old {_b_cubed(old, new):.4f}"
        )
        for cluster in sorted(gone, key=len, reverse=True)[:10]:
            print(f"    only old ({len(cluster)}): {sorted(cluster)[:4]}")
        for cluster in sorted(came, key=len, reverse=True)[:10]:
            print(f"    only new ({len(cluster)}): {sorted(cluster)[:4]}")


def _b_cubed(reference: set[frozenset], other: set[frozenset]) -> float:
    """B-cubed F1 of one clustering against another, over the items both cover."""
    ref = {item: cluster for cluster in reference for item in cluster}
    got = {item: cluster for cluster in other for item in cluster}
    items = ref.keys() & got.keys()
    if not items:
        return 1.0
    precision = sum(len(ref[i] & got[i]) / len(got[i]) for i in items) / len(items)
    recall = sum(len(ref[i] & got[i]) / len(ref[i]) for i in items) / len(items)
    return 2 * precision * recall / (precision + recall)


def _frames_equal(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    return all(
        [str(x) for x in a[c].tolist()] == [str(y) for y in b[c].tolist()] for c in a.columns
    )


def _clusters(mentions: pd.DataFrame, primary: bool) -> set[frozenset]:
    """Events as sets of mentions (article, sentence, trigger), or of articles by primary event."""
    rows = mentions[mentions["is_primary"]] if primary else mentions
    keys = (
        rows["article_id"]
        if primary
        else rows["article_id"] + "#" + rows["sentence_index"].astype(str) + "#" + rows["trigger"]
    )
    groups: dict[str, set] = {}
    for event, key in zip(rows["event_id"], keys, strict=True):
        groups.setdefault(event, set()).add(key)
    return {frozenset(g) for g in groups.values()}


# ---- caps ---------------------------------------------------------------------------------


def caps(db: Path, sizes: list[int] | None, thresholds: list[float], cap_values: list[int]):
    """What the rare-term index misses, for story gathering (coarse bags) and event merging."""
    from pipeline import dedup, stories
    from pipeline.similarity import TermTable, tfidf_matrix

    for size in sizes or [None]:
        tables = load(db, size)
        live, named, _ = story_inputs(dedup, tables)
        by_article: dict[str, list] = {}
        for a, e, lab in zip(named["article_id"], named["entity_id"], named["label"], strict=True):
            by_article.setdefault(a, []).append((e, lab))
        coarse = TermTable()
        for a, text in zip(live["article_id"], live["text"], strict=True):
            text = text if isinstance(text, str) else ""
            coarse.add(stories.article_bags(text, by_article.get(a, ()))[0])
        print(f"{len(live)} articles: story gathering (coarse bags), no time blocks")
        _cap_table(coarse.matrix(), thresholds, cap_values)
        events = dedup.build_local_events(tables["candidates"])
        blocks: dict[tuple, list] = {}
        for ev in events:
            blocks.setdefault((ev.event_type, ev.mode), []).append(ev)
        biggest = max(blocks.values(), key=len)
        print(
            f"{len(events)} local events; largest type/mode block "
            f"{biggest[0].event_type}/{biggest[0].mode or '-'}: {len(biggest)}, no time blocks"
        )
        parts = [
            (dedup.ACTOR_WEIGHT, [ev.actors for ev in biggest], True),
            (dedup.PLACE_WEIGHT, [ev.places for ev in biggest], True),
            (dedup.TEXT_WEIGHT, [ev.words for ev in biggest], False),
        ]
        rows = sp.hstack(
            [
                math.sqrt(weight) * tfidf_matrix(bags, binary=binary, sharp_idf=True)
                for weight, bags, binary in parts
            ],
            format="csr",
        )
        _cap_table(rows, [dedup.MERGE_THRESHOLD], cap_values)


def _cap_table(rows, thresholds: list[float], cap_values: list[int]) -> None:
    """Pairs at or above each threshold (all pairs, by brute force) that the candidates miss."""
    from pipeline.similarity import candidate_pairs

    n = rows.shape[0]
    exact: dict[float, set] = {t: set() for t in thresholds}
    for start in range(0, n, 500):
        product = (rows[start : start + 500] @ rows.T).tocoo()
        upper = product.row + start < product.col
        for t in thresholds:
            keep = upper & (product.data >= t)
            pairs = zip(
                (product.row[keep] + start).tolist(), product.col[keep].tolist(), strict=True
            )
            exact[t].update(pairs)
    for cap in cap_values:
        started = time.perf_counter()
        first, second = candidate_pairs(rows, cap)
        seconds = time.perf_counter() - started
        found = set(zip(first.tolist(), second.tolist(), strict=True))
        missed = ", ".join(
            f">={t}: {len(exact[t] - found)}/{len(exact[t])} missed "
            f"({len(exact[t] - found) / max(len(exact[t]), 1):.2%})"
            for t in thresholds
        )
        print(f"  cap {cap:5d}: {len(found):9d} candidate pairs, {seconds:5.1f} s; {missed}")


# ---- briefs -------------------------------------------------------------------------------


def briefs(sizes: list[int]) -> None:
    """Story clustering of look-alike quarterly-results briefs, which gather into huge groups.

    Each brief names its own company; the figures come from a range that grows with the feed so
    that they stay rare enough to link briefs, the worst case for one gathered group.
    """
    import random
    from datetime import date, timedelta

    from pipeline import stories

    for size in sizes:
        rng = random.Random(0)
        spread = max(30, size // 40)
        rows = []
        for i in range(size):
            name = "".join(rng.choice("BCDFGHKLMNPRSTVZ") + rng.choice("AEIOU") for _ in range(3))
            figures = [rng.randint(1, spread) for _ in range(6)]
            text = (
                f"{name} CORP 1ST QTR NET\nShr {figures[0]} cts vs {figures[1]} cts\n"
                f"Net {figures[2]} mln vs {figures[3]} mln\nRevs {figures[4]} mln vs "
                f"{figures[5]} mln"
            )
            day = date(1987, 3, 1) + timedelta(days=rng.randint(0, 40))
            rows.append({"article_id": f"b{i:06d}", "text": text, "published_date": day})
        arts = pd.DataFrame(rows)
        largest = []
        bisect = stories.bisect

        def watched(sim, items, *args, seen=largest, cut=bisect, **kwargs):
            seen.append(len(items))
            return cut(sim, items, *args, **kwargs)

        stories.bisect = watched
        _peak_reset()
        base = _status("VmRSS")
        started = time.perf_counter()
        labels = stories.story_clusters(arts)
        seconds = time.perf_counter() - started
        stories.bisect = bisect
        print(
            f"{size:6d} briefs: {seconds:6.1f} s, peak +{_status('VmHWM') - base:.0f} MB, "
            f"largest gathered group {max(largest, default=1)}, {len(set(labels.values()))} "
            f"stories"
        )


# ---- reuters ------------------------------------------------------------------------------


def reuters(out: Path, n: int) -> None:
    """Write the first ``n`` Reuters-21578 records as article files of the feed's format."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    with gzip.open(REUTERS, "rt") as handle:
        for line in handle:
            if written >= n:
                break
            record = json.loads(line)
            number = int(record["id"].split("-")[1])
            when = record.get("published_at")
            date_line = ""
            if when:
                day = datetime.fromisoformat(when)
                date_line = f"{day:%b} {day.day}, {day.year}"
            text = f"{record['title']}\n{date_line}\n\n{record['text']}\n"
            (out / f"r{number:05d}.txt").write_text(text)
            written += 1
    print(f"wrote {written} articles to {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("scale")
    p.add_argument("db", type=Path)
    p.add_argument("--sizes", default="1000,2000,4000")
    p.add_argument("--rev")
    p.add_argument("--old-up-to", type=int, default=4000)
    p = sub.add_parser("_one")
    p.add_argument("db", type=Path)
    p.add_argument("size", type=int)
    p.add_argument("--rev")
    p = sub.add_parser("compare")
    p.add_argument("dbs", type=Path, nargs="+")
    p.add_argument("--rev", required=True)
    p.add_argument("--size", type=int, help="only the first SIZE articles")
    p = sub.add_parser("caps")
    p.add_argument("db", type=Path)
    p.add_argument("--sizes", default="")
    p.add_argument("--thresholds", default="0.1,0.3")
    p.add_argument("--caps", default="50,100,200,400,800")
    p = sub.add_parser("briefs")
    p.add_argument("--sizes", default="1000,2000,4000,8000")
    p = sub.add_parser("reuters")
    p.add_argument("out", type=Path)
    p.add_argument("--n", type=int, default=4000)
    args = parser.parse_args()
    if args.command == "scale":
        scale(args.db, [int(s) for s in args.sizes.split(",")], args.rev, args.old_up_to)
    elif args.command == "_one":
        print(json.dumps(run_one(args.db, args.size, args.rev)))
    elif args.command == "compare":
        for db in args.dbs:
            compare(db, args.rev, args.size)
    elif args.command == "caps":
        caps(
            args.db,
            [int(s) for s in args.sizes.split(",") if s],
            [float(t) for t in args.thresholds.split(",")],
            [int(c) for c in args.caps.split(",")],
        )
    elif args.command == "briefs":
        briefs([int(s) for s in args.sizes.split(",")])
    else:
        reuters(args.out, args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
