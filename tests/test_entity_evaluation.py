"""Entity scoring against gold chains: matching rules and scores on hand-made cases."""

from __future__ import annotations

import pytest

from pipeline.entity_evaluation import GoldEntityMention as G  # noqa: N817
from pipeline.entity_evaluation import PublishedEntityMention as P  # noqa: N817
from pipeline.entity_evaluation import (
    cross_document,
    is_named,
    is_proper_name,
    match_entity_mentions,
    score_entities,
    surface_key,
)


def test_named_mentions_of_chains_across_documents_only():
    gold = [
        G("c1", "1_1ecb", 0, "Tara Reid"),
        G("c1", "1_2ecb", 0, "the actress"),  # a nominal: not named
        G("c1", "1_2ecb", 1, "Reid"),
        G("c2", "1_1ecb", 2, "Promises"),  # one document only
    ]
    assert [g.mention for g in cross_document(gold)] == ["Tara Reid", "Reid"]
    assert is_named("He") and not is_named("the girl")  # the measure keeps "He"
    assert is_proper_name("Gulf of Aden") and not is_proper_name("a store in central Paris")
    assert not is_proper_name("He")


def test_match_same_text_else_longest_containing_or_contained():
    gold = [G("c", "d", 0, "Apple"), G("c", "d", 1, "Apple Inc."), G("c", "d", 2, "IBM")]
    published = [P("d", "Apple Inc", "e1"), P("d", "apple", "e2"), P("d", "Apple Inc.", "e3")]
    found = match_entity_mentions(gold, published)
    assert found[0].entity_id == "e2"  # same text (case aside) first
    assert found[1].entity_id == "e3"
    assert 2 not in found
    # Contained, longest wins: "the U.S. Geological Survey" holds both spans.
    found = match_entity_mentions(
        [G("c", "d", 0, "the U.S. Geological Survey")],
        [P("d", "U.S.", "us"), P("d", "U.S. Geological Survey", "usgs")],
    )
    assert found[0].entity_id == "usgs"


def test_containment_is_by_whole_words():
    gold = [G("c", "d", 0, "I"), G("c", "d", 1, "He"), G("c", "d", 2, "Obama's team")]
    published = [
        P("d", "Los Angeles Times", "lat"),
        P("d", "Mark Heller", "mh"),
        P("d", "Obama", "o"),
    ]
    found = match_entity_mentions(gold, published)
    assert 0 not in found and 1 not in found  # letters inside a name, not the name
    assert found[2].entity_id == "o"


def test_scores_against_chains_and_the_surface_peer():
    gold = [
        G("obama", "1_1ecb", 0, "Barack Obama"),
        G("obama", "1_2ecb", 0, "Obama"),
        G("obama", "2_1ecb", 0, "Obama"),
        G("bush", "2_2ecb", 0, "Bush"),
        G("bush", "2_3ecb", 0, "George W. Bush"),
    ]
    published = [
        P("1_1ecb", "Barack Obama", "o"),
        P("1_2ecb", "Obama", "o"),
        P("2_1ecb", "Obama", "o"),
        P("2_2ecb", "Bush", "b"),
        P("2_3ecb", "George W. Bush", "b"),
    ]
    s = score_entities(gold, published)
    assert s.n_gold == 5 and s.n_matched == 5 and s.coverage == 1.0
    assert s.b3.f1 == pytest.approx(1.0)
    # The peer splits by string: Obama {Barack Obama} {Obama, Obama}; Bush {Bush} {G. W. Bush}.
    assert s.peer_b3.precision == pytest.approx(1.0)
    assert s.peer_b3.recall == pytest.approx((1 / 3 + 2 / 3 + 2 / 3 + 1 / 2 + 1 / 2) / 5)
    assert set(s.halves) == {"odd", "even"}
    assert surface_key("The U.S.") == "us"


def test_report_lists_split_chains_by_their_gold_mention():
    gold = [
        G("c1", "1_1ecb", 0, "Advanced Micro Devices"),
        G("c1", "1_2ecb", 0, "AMD"),
        G("c1", "2_1ecb", 0, "AMD"),
    ]
    published = [
        P("1_1ecb", "Advanced Micro Devices", "x"),
        P("1_2ecb", "AMD", "y"),
        P("2_1ecb", "AMD", "y"),
    ]
    s = score_entities(gold, published, {"x": "Advanced Micro Devices", "y": "AMD"})
    text = "\n".join(s.report())
    assert '"AMD": AMD | Advanced Micro Devices' in text
    assert "matched to a published one 3  (100.0%)" in text
    assert s.b3.precision == pytest.approx(1.0) and s.b3.recall < 1.0
