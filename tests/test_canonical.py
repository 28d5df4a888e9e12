"""Entity canonicalization rules, on hand-made mentions with known answers."""

from __future__ import annotations

import pandas as pd

from pipeline.canonical import canonicalize, names_are_variants, normalize_name


def _mentions(text: str, spans: list[tuple[str, str]], article_id: str = "a1") -> pd.DataFrame:
    rows, pos = [], 0
    for surface, label in spans:
        start = text.index(surface, pos)
        rows.append(
            {
                "article_id": article_id,
                "sentence_index": 0,
                "start_char": start,
                "end_char": start + len(surface),
                "text": surface,
                "ner_label": label,
            }
        )
        pos = start + len(surface)
    return pd.DataFrame(rows)


def _entity_of(out: pd.DataFrame, surface: str) -> set[str]:
    return set(out.loc[out["text"] == surface, "entity_id"])


def test_normalize_name_strips_honorifics_possessives_and_accents():
    assert normalize_name("Mr. Blinken") == "blinken"
    assert normalize_name("José Martí's") == "jose marti"
    assert normalize_name("U.S.") == "us"


def test_given_name_variants():
    assert names_are_variants("anthony", "antony")
    assert names_are_variants("matt", "matthew")
    assert not names_are_variants("john", "mary")


def test_surname_honorific_and_spelling_variants_are_one_person():
    t1 = "Anthony Blinken met officials. Mr. Blinken said Blinken would return."
    t2 = "Antony Blinken arrived. Blinken spoke."
    m = pd.concat(
        [
            _mentions(
                t1, [("Anthony Blinken", "PERSON"), ("Blinken", "PERSON"), ("Blinken", "GPE")], "a1"
            ),
            _mentions(t2, [("Antony Blinken", "PERSON"), ("Blinken", "GPE")], "a2"),
        ],
        ignore_index=True,
    )
    out, entities = canonicalize(m, {"a1": t1, "a2": t2})
    assert out["entity_id"].nunique() == 1
    assert len(entities) == 1
    row = entities.iloc[0]
    assert row["label"] == "PERSON"  # GPE tags on the surname are outvoted
    assert row["n_mentions"] == 5 and row["n_articles"] == 2
    assert set(row["aliases"]) == {"Anthony Blinken", "Antony Blinken", "Blinken"}


def test_different_people_with_same_surname_stay_apart_by_article():
    t1 = "George Bush spoke. Bush left."
    t2 = "Laura Bush spoke. Bush smiled."
    m = pd.concat(
        [
            _mentions(t1, [("George Bush", "PERSON"), ("Bush", "PERSON")], "a1"),
            _mentions(t2, [("Laura Bush", "PERSON"), ("Bush", "PERSON")], "a2"),
        ],
        ignore_index=True,
    )
    out, entities = canonicalize(m, {"a1": t1, "a2": t2})
    assert len(entities) == 2
    a1 = out[out["article_id"] == "a1"]["entity_id"].unique()
    a2 = out[out["article_id"] == "a2"]["entity_id"].unique()
    assert len(a1) == 1 and len(a2) == 1 and a1[0] != a2[0]


def test_garbled_name_with_same_role_joins_majority_form():
    t1 = "Foreign Minister Chen Gang called."
    t2 = "Foreign Minister Qin Gang called. Foreign Minister Qin Gang spoke."
    m = pd.concat(
        [
            _mentions(t1, [("Chen Gang", "PERSON")], "a1"),
            _mentions(t2, [("Qin Gang", "PERSON"), ("Qin Gang", "PERSON")], "a2"),
        ],
        ignore_index=True,
    )
    out, entities = canonicalize(m, {"a1": t1, "a2": t2})
    assert entities["name"].tolist() == ["Qin Gang"]


def test_same_surname_without_shared_role_is_not_merged():
    t1 = "Coach Tony Smith resigned."
    t2 = "Senator Jane Smith voted."
    m = pd.concat(
        [
            _mentions(t1, [("Tony Smith", "PERSON")], "a1"),
            _mentions(t2, [("Jane Smith", "PERSON")], "a2"),
        ],
        ignore_index=True,
    )
    _, entities = canonicalize(m, {"a1": t1, "a2": t2})
    assert sorted(entities["name"]) == ["Jane Smith", "Tony Smith"]


def test_acronym_joins_expansion_and_place_keeps_its_label():
    t = "The United States and the US government met in Washington."
    m = _mentions(t, [("United States", "GPE"), ("US", "GPE"), ("Washington", "GPE")])
    out, entities = canonicalize(m, {"a1": t})
    assert _entity_of(out, "US") == _entity_of(out, "United States")
    names = dict(zip(entities["name"], entities["label"], strict=True))
    assert names == {"United States": "GPE", "Washington": "GPE"}


def _one_entity_each(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Canonical names when each text mentions its one PERSON once, per article."""
    frames, texts = [], {}
    for i, (text, surface) in enumerate(pairs):
        frames.append(_mentions(text, [(surface, "PERSON")], f"a{i}"))
        texts[f"a{i}"] = text
    return canonicalize(pd.concat(frames, ignore_index=True), texts)


def test_suffixes_spacing_and_descriptors_do_not_make_new_people():
    out, entities = _one_entity_each(
        [
            ("Anthony LaCalamita III was arrested.", "Anthony LaCalamita III"),
            ("Anthony LaCalamita was charged.", "Anthony LaCalamita"),
            ("Vincent Del Giudice ruled.", "Vincent Del Giudice"),
            ("Vincent DelGiudice sentenced him.", "Vincent DelGiudice"),
            ("Constable Tim Fanning said so.", "Constable Tim Fanning"),
            ("Tim Fanning spoke.", "Tim Fanning"),
            ("Kurbanguly Berdymukhamedov won.", "Kurbanguly Berdymukhamedov"),
            ("Gurbanguli Berdymukhamedov won.", "Gurbanguli Berdymukhamedov"),
        ]
    )
    assert len(entities) == 4
    # Not just four entities: the right mentions in each (pairs a0/a1, a2/a3, a4/a5, a6/a7).
    entity_of = dict(zip(out["article_id"], out["entity_id"], strict=True))
    groups = [{entity_of[f"a{i}"], entity_of[f"a{i + 1}"]} for i in range(0, 8, 2)]
    assert all(len(g) == 1 for g in groups)
    assert len(set().union(*groups)) == 4
    assert normalize_name("Martin Luther King Jr.") == "martin luther king"
    assert normalize_name("Jr.") == "jr"


def test_short_given_names_that_differ_in_the_first_letter_stay_apart():
    assert not names_are_variants("jon", "ron")
    assert names_are_variants("kurbanguly", "gurbanguli")
    _, entities = _one_entity_each(
        [("Jon Smith resigned.", "Jon Smith"), ("Ron Smith stayed.", "Ron Smith")]
    )
    assert sorted(entities["name"]) == ["Jon Smith", "Ron Smith"]
