"""A folder full of hostile files completes: good files processed, the rest quarantined."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import SEEDS, run_pipeline

FRENCH = (
    "Le secrétaire d'État américain est arrivé dimanche à Pékin pour une visite de deux jours. "
    "Il doit rencontrer les responsables chinois afin de relancer le dialogue entre les deux "
    "pays, selon le département d'État. Les relations entre la Chine et les États-Unis sont "
    "tendues depuis des mois, et cette visite est la première depuis cinq ans."
)


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    folder = base / "inbox"
    folder.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    (folder / "plain article.txt").write_text(texts[0], encoding="utf-8")
    (folder / "ünïcode – name (1).txt").write_text(texts[1], encoding="utf-8")
    (folder / "utf16.txt").write_bytes(texts[2].encode("utf-16"))
    (folder / "-cp1252.txt").write_bytes(texts[3].encode("cp1252"))
    (folder / "copy of plain article.txt").write_text(texts[0], encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.txt").write_text("   \n\n  \n")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    (folder / "nul padded.txt").write_bytes(b"\x00" * 4096)
    (folder / "page.html").write_text(
        "<!DOCTYPE html><html><head><title>News</title></head><body><p>"
        + texts[4][:500]
        + "</p></body></html>"
    )
    (folder / "french.txt").write_text(FRENCH, encoding="utf-8")
    (folder / "huge.txt").write_bytes(b"word " * (4 * 1024 * 1024))  # 20 MiB
    records = [
        {
            "id": "r1",
            "text": texts[4],
            "url": "https://www.example.org/news/blinken",
            "published_at": "2023-06-18T09:00:00Z",
            "title": "Blinken in Beijing",
        },
        {"id": "r2", "title": "no text here"},
    ]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    # Paths that lead outside the folder or never end: listed, quarantined, never opened.
    outside = base / "private memo.txt"
    outside.write_text(texts[2] + "\nZebulon Quartermaine signed the memo.\n", encoding="utf-8")
    (folder / "memo link.txt").symlink_to(outside)
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "up.txt").symlink_to("../../../../../../etc/hostname")
    (folder / "linked folder").symlink_to(base, target_is_directory=True)
    os.mkfifo(folder / "pipe.txt")
    (folder / "deep.json").write_text("[" * 10_000 + "]" * 10_000)
    (folder / "one word.txt").write_text("Buffalo " * 40_000 + "\n")  # 320k characters
    run = run_pipeline(folder, base / "news.duckdb")
    return run


def test_run_completes(hostile_run):
    assert hostile_run.result.success


def test_good_files_become_articles(hostile_run):
    arts = hostile_run.query("SELECT * FROM articles ORDER BY source_path")
    assert set(arts["source_path"]) == {
        "plain article.txt",
        "ünïcode – name (1).txt",
        "utf16.txt",
        "-cp1252.txt",
        "copy of plain article.txt",
        "feed.jsonl#1",
    }
    cp1252 = arts.set_index("source_path").loc["-cp1252.txt", "text"]
    assert "Secretary of State Antony Blinken" in cp1252
    assert "\ufffd" not in "".join(arts["text"])
    record = arts.set_index("source_path").loc["feed.jsonl#1"]
    assert str(record["published_date"])[:10] == "2023-06-18"
    assert record["published_date_origin"] == "metadata"
    assert record["source"] == "example.org"
    raw = hostile_run.query("SELECT source_path, encoding FROM raw_articles").set_index(
        "source_path"
    )["encoding"]
    assert raw["utf16.txt"].startswith("utf-16")
    assert raw["-cp1252.txt"] == "cp1252"


def test_duplicate_is_flagged_and_not_counted_twice(hostile_run):
    arts = hostile_run.query("SELECT source_path, article_id, duplicate_of FROM articles")
    by_path = arts.set_index("source_path")
    original = by_path.loc["copy of plain article.txt"]
    copy = by_path.loc["plain article.txt"]
    flagged = [
        r
        for r in (original, copy)
        if r["duplicate_of"] is not None and str(r["duplicate_of"]) != "nan"
    ]
    assert len(flagged) == 1
    dup_id = flagged[0]["article_id"]
    n = hostile_run.query(
        f"SELECT count(*) AS n FROM entity_mentions WHERE article_id = '{dup_id}'"
    )["n"].iloc[0]
    assert n == 0
    assert hostile_run.query("SELECT sum(n_articles) AS n FROM source_coverage")["n"].iloc[0] == 5


def test_bad_files_quarantined_with_reasons(hostile_run):
    q = hostile_run.query("SELECT source_path, stage, reason, detail FROM quarantine")
    reasons = dict(zip(q["source_path"], q["reason"], strict=True))
    assert reasons == {
        "empty.txt": "empty",
        "blank.txt": "empty",
        "scan.pdf": "binary",
        "nul padded.txt": "binary",
        "page.html": "html_markup",
        "french.txt": "not_english",
        "huge.txt": "too_large",
        "feed.jsonl#2": "missing_text",
        "memo link.txt": "symlink",
        "passwd.txt": "symlink",
        "up.txt": "symlink",
        "linked folder": "symlink",
        "pipe.txt": "not_a_regular_file",
        "deep.json": "invalid_json",
        "one word.txt": "too_long",
    }
    assert q["detail"].str.len().min() > 5
    assert set(q.loc[q["reason"] == "not_english", "stage"]) == {"cleaning"}


def test_nothing_from_outside_the_folder_is_read(hostile_run):
    raw = " ".join(hostile_run.query("SELECT raw_text FROM raw_articles")["raw_text"])
    assert "root:" not in raw  # /etc/passwd
    assert "Quartermaine" not in raw  # the memo outside the folder
    names = " ".join(hostile_run.query("SELECT name FROM entities")["name"])
    assert "Quartermaine" not in names


def test_every_input_accounted_for(hostile_run):
    files = {p.name for p in hostile_run.articles_dir.iterdir()}
    seen = set(
        hostile_run.query(
            "SELECT source_path FROM articles UNION ALL SELECT source_path FROM quarantine"
        )["source_path"].str.replace(r"#\d+$", "", regex=True)
    )
    assert seen == files
