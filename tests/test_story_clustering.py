"""Article-level story clustering and its use for primary events; short-English acceptance."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from pipeline.articles import _is_english
from pipeline.language import could_be_english, detect_language
from pipeline.stories import normalized_cut, story_clusters
from tests.test_dedup import _corpus, _primary_event
from tests.test_hostile_inputs import FRENCH

REID = [
    "Tara Reid checked into Promises rehab in Malibu, her publicist Jack Ketsoyan said.\n"
    "The American Pie actress, 33, is receiving treatment at Promises.",
    "Actress Tara Reid has entered Promises Treatment Center in Malibu.\n"
    "Her representative Jack Ketsoyan confirmed the American Pie star's stay.",
    "Tara Reid, 33, is in rehab at Promises in Malibu, says rep Jack Ketsoyan.\n"
    "The American Pie actress asked for privacy.",
]
LOHAN = [
    "Lindsay Lohan left the Betty Ford Center for Cliffside rehab in Malibu.\n"
    "A judge allowed the transfer, attorney Shawn Holley said of the court-ordered stay.",
    "Lindsay Lohan moves from Betty Ford to Cliffside rehab in Malibu.\n"
    "Her attorney Shawn Holley said Lohan is grateful for the Betty Ford treatment.",
    "A judge let Lindsay Lohan transfer from the Betty Ford Center to Cliffside in Malibu.\n"
    "Shawn Holley, her attorney, confirmed the court-ordered rehab move.",
]


def _articles(texts: list[str], dates: list[date | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "article_id": [f"a{i}" for i in range(len(texts))],
            "text": texts,
            "published_date": dates,
        }
    )


def test_look_alike_rehab_stories_in_different_years_are_two_stories():
    arts = _articles(REID + LOHAN, [None, None, None, date(2013, 6, 13), date(2013, 6, 13), None])
    stories = story_clusters(arts)
    reid = {stories[f"a{i}"] for i in range(3)}
    lohan = {stories[f"a{i}"] for i in range(3, 6)}
    assert len(reid) == 1 and len(lohan) == 1
    assert reid != lohan


def test_normalized_cut_finds_two_blocks_and_rates_them_low():
    sim = np.full((6, 6), 0.05)
    sim[:3, :3] = sim[3:, 3:] = 0.6
    np.fill_diagonal(sim, 1.0)
    value, mask = normalized_cut(sim)
    assert value < 0.3
    assert set(mask[:3]) == {bool(mask[0])} and set(mask[3:]) == {not mask[0]}
    one_block = np.full((4, 4), 0.6)
    assert normalized_cut(one_block)[0] > 1.0


def test_reports_with_different_event_words_share_one_primary_event():
    events, mentions = _corpus(
        {
            "r1": (
                "Tara Reid checked into rehab at Promises in Malibu on Tuesday.\n"
                "Her publicist Jack Ketsoyan confirmed the American Pie actress's stay.",
                date(2008, 12, 17),
            ),
            "r2": (
                "Tara Reid is receiving treatment at Promises in Malibu.\n"
                "The American Pie actress was hospitalized, publicist Jack Ketsoyan said.",
                date(2008, 12, 17),
            ),
            "r3": (
                "Publicist Jack Ketsoyan announced American Pie actress Tara Reid is at Promises "
                "in Malibu.\nHe asked that her privacy be respected.",
                date(2008, 12, 18),
            ),
        }
    )
    r3 = mentions[(mentions["article_id"] == "r3") & mentions["is_primary"]].iloc[0]
    assert r3["trigger"] == "announced"  # on its own r3 would be a BUSINESS event
    primary = {_primary_event(mentions, a) for a in ("r1", "r2", "r3")}
    assert len(primary) == 1
    row = events.set_index("event_id").loc[primary.pop()]
    assert row["event_type"] == "HEALTH" and row["n_articles"] == 3


def test_article_without_event_word_reports_its_story_through_its_headline():
    events, mentions = _corpus(
        {
            "r1": (
                "Tara Reid checked into rehab at Promises in Malibu.\n"
                "Publicist Jack Ketsoyan confirmed the American Pie actress's stay.",
                date(2008, 12, 17),
            ),
            "r2": (
                "Tara Reid entered rehab at Promises in Malibu.\n"
                "The American Pie actress's publicist Jack Ketsoyan spoke.",
                date(2008, 12, 17),
            ),
            "r3": (
                "Tara Reid at Promises in Malibu, says publicist Jack Ketsoyan.",
                date(2008, 12, 17),
            ),
        }
    )
    assert _primary_event(mentions, "r3") == _primary_event(mentions, "r1")
    headline = mentions[(mentions["article_id"] == "r3") & mentions["is_primary"]].iloc[0]
    assert headline["sentence_index"] == 0


def test_short_english_headlines_are_accepted_foreign_text_is_not():
    headline = "Esther Williams, swimming star, dies at 91"
    assert detect_language(headline)[0] == "und"
    assert _is_english(*detect_language(headline), headline)
    brief = "The parliament election is over in Turkmenistan."
    assert _is_english(*detect_language(brief), brief)
    assert not could_be_english(FRENCH)
    assert not _is_english(*detect_language(FRENCH), FRENCH)
    assert not could_be_english("Правительство объявило новые меры против инфляции.")
