"""Unit tests for pipeline.sentences."""

from __future__ import annotations

from pipeline.sentences import split_sentences


def _split(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_basic_split_and_spans_point_into_text() -> None:
    text = "  The fire started at noon. Crews arrived quickly!  Was anyone hurt? No.  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "The fire started at noon.",
        "Crews arrived quickly!",
        "Was anyone hurt?",
        "No.",
    ]
    assert spans[0] == (2, 27)


def test_newlines_always_end_a_sentence() -> None:
    text = "Headline without a period\n\nFirst line of body\nSecond line. Third one."
    assert _split(text) == [
        "Headline without a period",
        "First line of body",
        "Second line.",
        "Third one.",
    ]


def test_abbreviations_and_initials_do_not_split() -> None:
    text = (
        "Mr. Smith met Dr. J. D. Drew and Gen. Lee at St. Mary's on Jan. 5 with Acme Inc. "
        "He left. Gov. Brown vs. Sen. Jones, etc. It was No. 1 in the U.K. Parliament."
    )
    assert _split(text) == [
        "Mr. Smith met Dr. J. D. Drew and Gen. Lee at St. Mary's on Jan. 5 with Acme Inc. He left.",
        "Gov. Brown vs. Sen. Jones, etc. It was No. 1 in the U.K. Parliament.",
    ]


def test_decimals_and_tokenised_initials() -> None:
    assert _split("Prices rose 3.5 percent. The U. S. Navy said 4: 08 p. m. ET was late.") == [
        "Prices rose 3.5 percent.",
        "The U. S. Navy said 4: 08 p. m. ET was late.",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = 'He said: "It is over." (They agreed.) “Fine.” The end... Next one. 2020 was hard.'
    assert _split(text) == [
        'He said: "It is over."',
        "(They agreed.)",
        "“Fine.”",
        "The end...",
        "Next one.",
        "2020 was hard.",
    ]


def test_dotted_acronym_before_sentence_opener_splits() -> None:
    assert _split("It was sold in the U.S. The price rose.") == [
        "It was sold in the U.S.",
        "The price rose.",
    ]


def test_lowercase_continuation_does_not_split() -> None:
    assert _split("It costs approx. five dollars. She said no. Then left.") == [
        "It costs approx. five dollars.",
        "She said no.",
        "Then left.",
    ]


def test_empty_and_blank() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n \n") == []


def test_a_megabyte_splits_into_every_sentence() -> None:
    """Speed on a megabyte is measured by benchmarks/sentence_speed.py, not asserted here."""
    para = 'Mr. Smith met Dr. Jones in the U.S. Senate. He said: "It is over." Then he left!\n'
    text = para * (1_000_000 // len(para) + 1)
    spans = split_sentences(text)
    assert len(spans) == 3 * text.count("\n")


def test_tokenised_text_artifacts() -> None:
    text = (
        'Drake shot 35. 0 percent, a $2. 6 million gap. He called it "a cold-blooded murder. " '
        "Then left."
    )
    assert _split(text) == [
        "Drake shot 35. 0 percent, a $2. 6 million gap.",
        'He called it "a cold-blooded murder. "',
        "Then left.",
    ]
