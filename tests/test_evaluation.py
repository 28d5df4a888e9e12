"""The evaluation harness: metrics on hand-computed cases, the TF-IDF peer, one end-to-end run."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from assets.evaluate import evaluate_corpus, main
from pipeline.evaluate import EvaluationError, read_labels
from pipeline.evaluation import (
    GoldMention,
    PredictedMention,
    Scores,
    average_linkage,
    b_cubed,
    match_gold_mentions,
    pairwise,
    tfidf_average_linkage,
    tfidf_similarity,
)

GOLD = {"a": 1, "b": 1, "c": 2}


def test_b_cubed_hand_computed() -> None:
    # a: pred {a}, gold {a,b} -> P 1, R 1/2; b: pred {b,c}, gold {a,b} -> P 1/2, R 1/2;
    # c: pred {b,c}, gold {c} -> P 1/2, R 1.  P = R = (1 + 1/2 + 1/2)/3 = 2/3.
    s = b_cubed({"a": "x", "b": "y", "c": "y"}, GOLD)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 / 3)


def test_b_cubed_perfect_and_all_merged() -> None:
    assert b_cubed({"a": 0, "b": 0, "c": 5}, GOLD) == Scores(1.0, 1.0, 1.0)
    s = b_cubed({"a": 0, "b": 0, "c": 0}, GOLD)
    # Everything in one cluster: P = (2/3 + 2/3 + 1/3)/3 = 5/9, R = 1.
    assert s.precision == pytest.approx(5 / 9)
    assert s.recall == pytest.approx(1.0)
    assert s.f1 == pytest.approx(2 * (5 / 9) / (5 / 9 + 1))


def test_missing_items_are_singletons_and_extra_items_ignored() -> None:
    # a missing -> singleton; "z" is not in gold and must not affect c's cluster size.
    s = b_cubed({"b": "y", "c": "y", "z": "y"}, GOLD)
    assert s == b_cubed({"a": "x", "b": "y", "c": "y"}, GOLD)
    # All missing: every item a singleton -> P 1, R = (1/2 + 1/2 + 1)/3 = 2/3.
    s = b_cubed({}, GOLD)
    assert s.precision == pytest.approx(1.0)
    assert s.recall == pytest.approx(2 / 3)


def test_pairwise_hand_computed() -> None:
    # Gold pairs {ab}; predicted pairs {bc}: no true positive.
    assert pairwise({"a": "x", "b": "y", "c": "y"}, GOLD) == Scores(0.0, 0.0, 0.0)
    # All merged: predicted pairs ab, ac, bc; one is right.
    s = pairwise({"a": 0, "b": 0, "c": 0}, GOLD)
    assert s.precision == pytest.approx(1 / 3)
    assert s.recall == pytest.approx(1.0)
    assert s.f1 == pytest.approx(0.5)
    # Gold {a,b,c,d} in one cluster, pred {a,b}{c,d}: 2 of 6 pairs found, both right.
    g4 = {"a": 1, "b": 1, "c": 1, "d": 1}
    s = pairwise({"a": 0, "b": 0, "c": 1, "d": 1}, g4)
    assert (s.precision, s.recall) == (pytest.approx(1.0), pytest.approx(2 / 6))
    # No predicted pairs: nothing wrongly merged, so precision is 1 by convention.
    assert pairwise({}, GOLD).precision == 1.0


def test_scores_str() -> None:
    assert str(Scores(0.5, 0.25, 1 / 3)) == "P=0.500 R=0.250 F1=0.333"


def test_tfidf_peer_finds_two_groups() -> None:
    texts = [
        "A magnitude 7.1 earthquake struck southern Chile, collapsing buildings in Concepcion.",
        "Rescuers searched collapsed buildings in Concepcion after the Chile earthquake.",
        "The earthquake in Chile killed dozens; Concepcion buildings collapsed.",
        "The central bank raised interest rates to fight inflation, the governor said.",
        "Inflation pushed the central bank to raise interest rates again.",
    ]
    labels = tfidf_average_linkage(texts, threshold=0.2)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] == labels[4]
    assert labels[0] != labels[3]
    assert labels == [0, 0, 0, 1, 1]  # numbered by first appearance


def test_tfidf_similarity_is_cosine() -> None:
    sim = tfidf_similarity(["red apples", "red apples", "green pears", ""])
    assert sim[0, 1] == pytest.approx(1.0)
    assert sim[0, 2] == pytest.approx(0.0)
    assert sim[3, 3] == 0.0  # an empty text is similar to nothing, not even itself
    assert np.allclose(sim, sim.T)


def test_average_linkage_uses_the_average() -> None:
    # 0-2 merge first (0.9); then 1 joins {0,2} only if avg(0.8, 0.1) = 0.45 clears the bar,
    # although single linkage would see 0.8 and complete linkage 0.1.
    sim = np.array([[1, 0.8, 0.9], [0.8, 1, 0.1], [0.9, 0.1, 1]])
    assert average_linkage(sim, 0.5) == [0, 1, 0]
    assert average_linkage(sim, 0.4) == [0, 0, 0]
    assert average_linkage(sim, 0.95) == [0, 1, 2]
    assert average_linkage(np.zeros((0, 0)), 0.2) == []
    assert tfidf_average_linkage([]) == []


def test_gold_mentions_match_by_sentence_and_trigger_word() -> None:
    lines = {
        "d1": ["Quake hits Chile", "A magnitude 8.8 earthquake struck Chile on Saturday ."],
        "d2": ["The quake 's toll rose to 700.", "Aid arrived."],
    }
    gold = [
        GoldMention("c1", "d1", 1, "earthquake"),  # cleaning re-spaced the line: still found
        GoldMention("c1", "d2", 0, "quake"),
        GoldMention("c2", "d2", 1, "arrived"),  # no published mention in that sentence
        GoldMention("c1", "d1", 7, "earthquake"),  # no such line
        GoldMention("c3", "d1", 1, "struck"),  # the sentence matches, the trigger does not
    ]
    predicted = [
        PredictedMention(
            "d1", "A magnitude 8.8 earthquake struck Chile on Saturday.", "earthquake", "e1"
        ),
        PredictedMention("d2", "The quake's toll rose to 700.", "quake", "e1"),
        PredictedMention("d3", "Aid arrived.", "arrived", "e9"),  # other document
    ]
    assert match_gold_mentions(gold, lines, predicted) == {0: "e1", 1: "e1"}


# --- end to end -------------------------------------------------------------------------------

_CHILE = [
    (
        "Strong earthquake shakes central Chile",
        "March 3, 2010",
        "A magnitude 8.8 earthquake struck central Chile on Saturday, President Michelle "
        "Bachelet said. The quake hit near the city of Concepcion before dawn. Officials in "
        "Santiago said at least 300 people were killed. Bachelet declared a state of "
        "catastrophe in the Maule and Biobio regions. Rescue teams searched collapsed "
        "buildings in Concepcion on Sunday.",
    ),
    (
        "Chile quake death toll rises",
        "March 4, 2010",
        "The death toll from Saturday's magnitude 8.8 earthquake in Chile rose to 700, "
        "President Michelle Bachelet said on Wednesday. Soldiers patrolled the streets of "
        "Concepcion to stop looting. The quake was centred off the coast of the Maule region. "
        "Bachelet said aid from the United Nations would arrive in Santiago this week.",
    ),
    (
        "Survivors of Chile earthquake wait for aid",
        "March 5, 2010",
        "Survivors of the magnitude 8.8 earthquake that struck Chile last Saturday waited for "
        "food and water in Concepcion. President Michelle Bachelet visited the Biobio region on "
        "Thursday. Officials said the quake destroyed 500,000 homes. Engineers inspected "
        "damaged bridges on the highway south of Santiago.",
    ),
]
_JAPAN = [
    (
        "Powerful earthquake hits northern Japan",
        "April 8, 2004",
        "A magnitude 6.9 earthquake hit northern Japan on Wednesday, Prime Minister Junichiro "
        "Koizumi said. The quake struck near the city of Sendai in Miyagi prefecture. Officials "
        "in Tokyo said four people were killed. Koizumi sent troops to Miyagi to help with the "
        "rescue. Trains to Sendai were halted for several hours.",
    ),
    (
        "Japan quake toll climbs",
        "April 9, 2004",
        "The number of people killed by Wednesday's magnitude 6.9 earthquake in northern Japan "
        "rose to nine, officials in Tokyo said on Thursday. Prime Minister Junichiro Koizumi "
        "promised money to rebuild homes in Sendai. Landslides blocked roads in Miyagi "
        "prefecture after the quake.",
    ),
    (
        "Sendai cleans up after earthquake",
        "April 10, 2004",
        "Residents of Sendai cleaned up on Friday after the magnitude 6.9 earthquake that "
        "struck Miyagi prefecture on Wednesday. Junichiro Koizumi visited shelters in Sendai. "
        "Engineers from Tokyo checked the Onagawa nuclear plant for damage after the quake. "
        "Officials said 2,000 homes were damaged.",
    ),
]


def _write_corpus(root: Path) -> Path:
    articles = root / "articles"
    articles.mkdir(parents=True)
    rows = []
    for topic_docs, cluster in ((_CHILE, "chile2010"), (_JAPAN, "japan2004")):
        for n, (headline, day, body) in enumerate(topic_docs):
            doc = f"{cluster}_{n}"
            sentences = body.replace(". ", ".\n")
            (articles / f"{doc}.txt").write_text(f"{headline}\n{day}\n{sentences}\n")
            rows.append({"doc": doc, "topic": "1", "subtopic": cluster, "cluster": cluster})
    with (root / "labels.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["doc", "topic", "subtopic", "cluster"])
        writer.writeheader()
        writer.writerows(rows)
    # Each quake's main report sentence in its first two articles (line 2: after headline, date).
    chains = [
        {"chain": "quake_chile", "doc": "chile2010_0", "sentence": 2, "mention": "earthquake"},
        {"chain": "quake_chile", "doc": "chile2010_1", "sentence": 2, "mention": "earthquake"},
        {"chain": "quake_japan", "doc": "japan2004_0", "sentence": 2, "mention": "earthquake"},
        {"chain": "quake_japan", "doc": "japan2004_1", "sentence": 2, "mention": "earthquake"},
        {"chain": "one_doc", "doc": "japan2004_2", "sentence": 2, "mention": "earthquake"},
    ]
    with (root / "event_chains.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["chain", "doc", "sentence", "mention"])
        writer.writeheader()
        writer.writerows(chains)
    return root


def test_read_labels_rejects_a_wrong_folder(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="articles/ folder and labels.csv"):
        read_labels(tmp_path)
    assert main([str(tmp_path)]) == 1


def test_missing_corpus_is_a_skip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    assert main([str(missing)]) == 0
    assert capsys.readouterr().out.strip() == f"skipped: {missing} not found"


@pytest.mark.slow
def test_end_to_end_on_a_tiny_labelled_corpus(tmp_path: Path) -> None:
    corpus = _write_corpus(tmp_path / "corpus")
    kept = tmp_path / "kept" / "eval.duckdb"
    result = evaluate_corpus(corpus, keep=str(kept))
    assert kept.exists()  # --keep publishes where asked
    assert result.n_docs == 6
    assert result.n_gold_clusters == 2
    # Two clearly different happenings, three reports each: the pipeline must get them exactly.
    for s in (result.pipeline_b3, result.pipeline_pairwise):
        assert (s.precision, s.recall, s.f1) == (1.0, 1.0, 1.0)
    for s in (result.peer_b3, result.peer_pairwise):
        for v in (s.precision, s.recall, s.f1):
            assert 0.0 <= v <= 1.0
    assert result.n_with_date_line == 6  # every article has a "March 3, 2010" line
    assert result.date_share == result.date_share_with_line == 1.0
    assert result.n_events >= 1
    assert result.mean_articles_per_event >= 1.0
    assert result.run_seconds > 0
    assert len(result.per_topic) == 1 and result.per_topic[0].n_docs == 6
    # The naive peer separates two earthquakes that share little but the word "earthquake".
    assert result.peer_b3 == Scores(1.0, 1.0, 1.0)
    # Gold chains across documents: 4 mentions; each quake's two are linked to one event.
    assert result.links is not None
    assert (result.links.n_gold, result.links.n_found) == (4, 4)
    assert result.links.found_b3 == Scores(1.0, 1.0, 1.0)
    text = result.report()
    assert "found by the pipeline      4  (100.0%" in text
    assert "docs scored                6" in text
    assert "Naive peer: TF-IDF" in text
    assert str(result.peer_b3) in text and str(result.pipeline_b3) in text


def test_cluster_errors_list_merged_and_split_gold_clusters_worst_first() -> None:
    from pipeline.evaluate import cluster_errors

    gold = {"a": "g1", "b": "g2", "c": "g2", "d": "g3", "e": "g3", "f": "g3"}
    pred = {"a": "p1", "b": "p1", "c": "p2", "d": "p3", "e": "p4", "f": "p5"}
    about = {"a": ("2016-12-04", "Girl shot in Toledo"), "b": ("2016-12-07", "Boy shot")}
    errors = cluster_errors(pred, gold, about)
    assert [(e.kind, e.cluster, e.n_parts) for e in errors] == [
        ("merged", "p1", 2),
        ("split", "g3", 3),
        ("split", "g2", 2),
    ]
    assert errors[0].members[0] == ("g1", "2016-12-04", "a", "Girl shot in Toledo")
