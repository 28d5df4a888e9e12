"""`make bench` runs end to end on 30 Reuters articles; its figures are never asserted on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpora" / "reuters-21578" / "reuters.jsonl.gz"
BENCH_KEYS = [
    "articles",
    "wirehouse_s",
    "naive_s",
    "ceiling_s",
    "speedup_vs_naive",
    "fraction_of_ceiling",
    "incremental_ratio",
    "one_file_s",
    "peak_rss_mb",
]


@pytest.mark.slow
def test_bench_runs_on_30_articles(tmp_path: Path) -> None:
    if not CORPUS.is_file():
        pytest.skip(f"Reuters corpus not found at {CORPUS}")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench", "--n", "30", "--workdir", str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    last = lines[-1]
    assert last.startswith("bench: articles=30 "), last

    pairs = dict(item.split("=", 1) for item in last.removeprefix("bench: ").split())
    assert set(BENCH_KEYS) <= set(pairs), last
    for key in BENCH_KEYS[1:]:
        float(pairs[key])  # every figure is a number

    # Each run says how much of the story gathering it did again; the cold run all of it.
    again = {
        line.split(":")[0].strip(): re.search(r"(\d+) of (\d+) articles gathered again", line)
        for line in lines
        if "articles gathered again" in line
    }
    assert set(again) == {"cold", "incremental", "one-file"}, again
    assert again["cold"][1] == again["cold"][2]
    assert int(again["one-file"][1]) <= int(again["one-file"][2])

    published = next(line for line in lines if line.startswith("published: "))
    counts = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", published)}
    # Every input is either a published article or quarantined with a reason.
    assert counts["articles"] + counts["quarantine"] == 30, published
