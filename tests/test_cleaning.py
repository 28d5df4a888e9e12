"""Unit tests for pipeline.cleaning."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.cleaning import (
    CleanedArticle,
    clean_article,
    find_repeated_lines,
    normalize_text,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


# --- normalize_text --------------------------------------------------------------------------


def test_normalize_quotes_spaces_dashes_and_lines() -> None:
    raw = (
        "\u201cHello\u201d \u2018world\u2019\u00a0 and\u200b  more\r\n\r\n"
        "  Scores 20\u201313 in 2010\u20132012\u2014then trade\u2014and Taiwan \n\n\n"
        "Cafe\u0301 r\u00e9sum\u00e9"
    )
    assert normalize_text(raw) == (
        "\"Hello\" 'world' and more\n"
        "Scores 20-13 in 2010-2012 - then trade - and Taiwan\n"
        "Café résumé"
    )


# --- find_repeated_lines ---------------------------------------------------------------------


def test_find_repeated_lines_thresholds_and_long_lines() -> None:
    long_line = " ".join(["word"] * 30) + "."
    texts = [
        f"Story {i} body sentence here.\nSubscribe  to the Daily Brief\n{long_line}"
        for i in range(5)
    ] + ["Unrelated text.", "Other text."]
    repeated = find_repeated_lines(texts, min_articles=3, min_share=0.2)
    assert repeated == frozenset({"subscribe to the daily brief"})
    # 5 of 7 articles is below a 0.8 share, so nothing qualifies.
    assert find_repeated_lines(texts, min_articles=3, min_share=0.8) == frozenset()
    # Repetition inside one article counts once.
    assert find_repeated_lines(["x\nx\nx\nx", "y"], min_articles=2, min_share=0.0) == frozenset()


# --- clean_article: metadata header ------------------------------------------------------------

ECB_STYLE = (
    "http://www.news.example.co.uk/world/2013/quake-story.html\n"
    "Strong earthquake hits southern region\n"
    "Ten people are killed and about 50 hurt\n"
    "Published: Sunday, November 27, 2005 8: 20 AM ET\n"
    "An earthquake with a magnitude of 5.9 hit the region on Sunday, killing ten people.\n"
    "Rescue teams were sent to the area, officials said.\n"
)


def test_header_url_title_date_and_deck() -> None:
    result = clean_article(ECB_STYLE)
    assert isinstance(result, CleanedArticle)
    assert result.url == "http://www.news.example.co.uk/world/2013/quake-story.html"
    assert result.source == "example.co.uk"
    assert result.title == "Strong earthquake hits southern region"
    assert result.published_date == date(2005, 11, 27)
    assert result.published_date_origin == "date_line"
    assert result.text.split("\n") == [
        "Strong earthquake hits southern region",
        "Ten people are killed and about 50 hurt",  # deck: kept although short and unpunctuated
        "An earthquake with a magnitude of 5.9 hit the region on Sunday, killing ten people.",
        "Rescue teams were sent to the area, officials said.",
    ]
    assert "Published: Sunday, November 27, 2005 8: 20 AM ET" in result.removed_lines


def test_metadata_arguments_win() -> None:
    result = clean_article(
        ECB_STYLE,
        published_at=date(2005, 11, 28),
        url="https://edition.example.com/a",
        title="Given title",
    )
    assert result.published_date == date(2005, 11, 28)
    assert result.published_date_origin == "metadata"
    assert result.url == "https://edition.example.com/a"
    assert result.source == "example.com"
    assert result.title == "Given title"
    lines = result.text.split("\n")
    assert lines[0] == "Given title"
    assert "Strong earthquake hits southern region" in lines  # the text's own headline stays


def test_dateline_with_date_gives_origin_dateline_and_stays_in_text() -> None:
    text = "Storm hits coast\nWASHINGTON, April 28, 2009 - The storm hit the coast on Tuesday.\n"
    result = clean_article(text)
    assert result.published_date == date(2009, 4, 28)
    assert result.published_date_origin == "dateline"
    assert "WASHINGTON, April 28, 2009 - The storm hit the coast on Tuesday." in result.text


def test_no_header_first_sentence_is_not_a_title() -> None:
    text = "The storm hit the coast on Tuesday, officials said.\nNobody was hurt."
    result = clean_article(text)
    assert result.title is None
    assert result.published_date is None and result.published_date_origin is None
    assert result.text == text


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("http://www.bbc.co.uk/news/uk-england-23419896", "bbc.co.uk"),
        ("http://boston.redsox.mlb.com/news/article.jsp?ymd=20081216", "mlb.com"),
        ("https://news.example.com.au/x", "example.com.au"),
        ("www.example.org/story", "example.org"),
    ],
)
def test_source_is_registrable_domain(url: str, domain: str) -> None:
    assert clean_article(f"{url}\nHeadline here\nBody sentence one.").source == domain


# --- clean_article: furniture --------------------------------------------------------------

GENERIC = """World
Council approves new budget for city schools
By Jane Doe
Share on Facebook | Tweet | Email this
The city council approved a new budget on Monday after a long debate.
John Smith/Jane Roe/Getty Images
Budget details
Officials said the plan adds 200 teachers, Mayor Ann Lee said.
Advertisement
Also read: Ten things to know about the budget
By the time the vote ended, dozens of parents had left the chamber.
More news is expected later today.
Photo: City council press office
Leave a Reply
Your email address will not be published. Required fields are marked *
Back to top button
source site-12
"""


def test_generic_furniture_removed_and_sentences_kept() -> None:
    result = clean_article(GENERIC)
    assert result.title == "Council approves new budget for city schools"
    assert result.text.split("\n") == [
        "Council approves new budget for city schools",
        "The city council approved a new budget on Monday after a long debate.",
        "Officials said the plan adds 200 teachers, Mayor Ann Lee said.",
        "By the time the vote ended, dozens of parents had left the chamber.",
        "More news is expected later today.",
    ]
    assert "World" in result.removed_lines
    assert "Budget details" in result.removed_lines
    assert "By Jane Doe" in result.removed_lines
    assert result.source is None


def test_repeated_lines_and_in_article_repeats() -> None:
    text = (
        "Headline of the story\n"
        "First sentence of the story.\n"
        "continued after the break\n"
        "Second sentence of the story.\n"
        "continued after the break\n"
        "Third sentence.\n"
        "continued after the break\n"
        "Site wide footer line\n"
    )
    result = clean_article(text, repeated_lines=frozenset({"site  wide FOOTER line"}))
    assert result.text.split("\n") == [
        "Headline of the story",
        "First sentence of the story.",
        "Second sentence of the story.",
        "Third sentence.",
    ]
    assert result.removed_lines.count("continued after the break") == 3


def test_breadcrumb_duplicating_headline_is_dropped() -> None:
    text = "Home News Prices rise again in June\nPrices rise again in June\nBy admin\nBody text."
    result = clean_article(text)
    assert result.title == "Prices rise again in June"
    assert result.text == "Prices rise again in June\nBody text."


def test_stamp_gives_source_name_when_no_url() -> None:
    result = clean_article("Headline here\nBody sentence one.\nSource: Example Times")
    assert result.source == "Example Times"
    assert result.text == "Headline here\nBody sentence one."


def test_empty_input() -> None:
    result = clean_article("  \n\n ")
    assert result.text == "" and result.title is None and result.removed_lines == ()


# --- seeds -----------------------------------------------------------------------------------

FURNITURE = [
    "Leave a Reply",
    "Your email address",
    "Back to top button",
    "icon-facebook",
    "source site-59",
    "Also read",
    "Related News",
    "Leave a Comment",
    "by admin",
    "Getty Images",
    "sequel after announcement",
    "Home News",
]
MUST_KEEP = [
    "US Secretary of State Anthony Blinken spoke by phone with Chinese Foreign Minister Qin Gang"
    " on Wednesday.",
    "Blinken canceled a planned visit to Beijing in February due to suspicions that China"
    " launched a spy balloon over the United States.",
    "China considers Taiwan one of its provinces to be reunited, by force if necessary.",
    "The two leaders had agreed to cooperate on certain issues during their discussions.",
]


def test_seeds_are_cleaned() -> None:
    texts = _seed_texts()
    assert len(texts) == 5
    repeated = find_repeated_lines(texts, min_articles=3)
    cleaned = [clean_article(t, repeated) for t in texts]
    joined = "\n".join(c.text for c in cleaned).lower()
    for phrase in FURNITURE:
        assert phrase.lower() not in joined, phrase
    for sentence in MUST_KEEP:
        assert sentence in "\n".join(c.text for c in cleaned), sentence
    # Every line that reads as a sentence survives.
    for raw, result in zip(texts, cleaned, strict=True):
        kept = set(result.text.split("\n"))
        for line in normalize_text(raw).split("\n"):
            if line.rstrip("\"')").endswith((".", "!", "?")) and len(line.split()) > 6:
                assert line in kept, line
    assert [c.title for c in cleaned][:2] == [
        "Blinken's visit to Beijing will discuss managing strained relations",
        "Blinken speaks with the Chinese foreign minister ahead of a high-level visit to Beijing",
    ]
    assert cleaned[3].published_date == date(2023, 6, 14)
    assert cleaned[3].published_date_origin == "date_line"
    assert cleaned[4].title == (
        'Washington welcomes the "constructive" talks from Blinken to Beijing'
    )
    assert all("\n\n" not in c.text for c in cleaned)


def test_given_title_is_not_duplicated() -> None:
    text = "Palin appointee under federal indictment.\nA woman was indicted on Friday."
    result = clean_article(text, title="Palin appointee under federal indictment.")
    assert result.text == text
    assert result.title == "Palin appointee under federal indictment."


def test_a_date_line_shared_by_a_whole_wire_batch_still_dates_each_item():
    """Dropped as furniture of the batch (every item repeats it), read as the item's date."""
    text = "ACME CORP <ACM> 1ST QTR NET\nMar 04, 1987\n\nShr 10 cts vs 8 cts. Net 1.2 mln dlrs.\n"
    cleaned = clean_article(text, repeated_lines=frozenset({"Mar 04, 1987"}))
    assert cleaned.published_date == date(1987, 3, 4)
    assert cleaned.published_date_origin == "date_line"
    assert "Mar 04" not in cleaned.text
