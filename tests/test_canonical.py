"""Entity canonicalization rules, on hand-made mentions with known answers."""

from __future__ import annotations

import pandas as pd

from pipeline.canonical import canonicalize, names_are_variants, normalize_name
from pipeline.ner import (
    _body_forms,
    _complete_names,
    _refine_span,
    headline_line,
    refine_spans,
    word_case,
)
from tests.conftest import span_rows


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
            span_rows(
                t1, [("Anthony Blinken", "PERSON"), ("Blinken", "PERSON"), ("Blinken", "GPE")], "a1"
            ),
            span_rows(t2, [("Antony Blinken", "PERSON"), ("Blinken", "GPE")], "a2"),
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
            span_rows(t1, [("George Bush", "PERSON"), ("Bush", "PERSON")], "a1"),
            span_rows(t2, [("Laura Bush", "PERSON"), ("Bush", "PERSON")], "a2"),
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
            span_rows(t1, [("Chen Gang", "PERSON")], "a1"),
            span_rows(t2, [("Qin Gang", "PERSON"), ("Qin Gang", "PERSON")], "a2"),
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
            span_rows(t1, [("Tony Smith", "PERSON")], "a1"),
            span_rows(t2, [("Jane Smith", "PERSON")], "a2"),
        ],
        ignore_index=True,
    )
    _, entities = canonicalize(m, {"a1": t1, "a2": t2})
    assert sorted(entities["name"]) == ["Jane Smith", "Tony Smith"]


def test_acronym_joins_expansion_and_place_keeps_its_label():
    t = "The United States and the US government met in Washington."
    m = span_rows(t, [("United States", "GPE"), ("US", "GPE"), ("Washington", "GPE")])
    out, entities = canonicalize(m, {"a1": t})
    assert _entity_of(out, "US") == _entity_of(out, "United States")
    names = dict(zip(entities["name"], entities["label"], strict=True))
    assert names == {"United States": "GPE", "Washington": "GPE"}


def _one_entity_each(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Canonical names when each text mentions its one PERSON once, per article."""
    frames, texts = [], {}
    for i, (text, surface) in enumerate(pairs):
        frames.append(span_rows(text, [(surface, "PERSON")], f"a{i}"))
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


def _corpus(docs: dict[str, tuple[str, list[tuple[str, str]]]]):
    """canonicalize over several articles: {article_id: (text, [(surface, label), ...])}."""
    frames = [span_rows(text, spans, aid) for aid, (text, spans) in docs.items()]
    texts = {aid: text for aid, (text, _) in docs.items()}
    return canonicalize(pd.concat(frames, ignore_index=True), texts)


def _same(out: pd.DataFrame, a: str, b: str) -> bool:
    ea, eb = _entity_of(out, a), _entity_of(out, b)
    assert ea and eb, (a, b)
    return ea == eb


def test_legal_suffix_and_the_do_not_make_a_new_organisation():
    out, _ = _corpus(
        {
            "a1": (
                "Apple Inc said sales rose. Microsoft Corp closed the deal.",
                [("Apple Inc", "ORG"), ("Microsoft Corp", "ORG")],
            ),
            "a2": ("Apple and Microsoft talked.", [("Apple", "ORG"), ("Microsoft", "ORG")]),
        }
    )
    assert _same(out, "Apple Inc", "Apple")
    assert _same(out, "Microsoft Corp", "Microsoft")
    assert not _same(out, "Apple", "Microsoft")


def test_acronym_joins_expansion_with_spacing_and_dot_variants():
    out, _ = _corpus(
        {
            "a1": ("The U. S. Geological Survey said so.", [("U. S. Geological Survey", "ORG")]),
            "a2": (
                "The USGS measured it for the United States Geological Survey in the "
                "United States, the US.",
                [
                    ("USGS", "ORG"),
                    ("United States Geological Survey", "ORG"),
                    ("United States", "GPE"),
                    ("US", "GPE"),
                ],
            ),
            "a3": (
                "The U.S. Geological Survey and the US Geological Survey agree.",
                [("U.S. Geological Survey", "ORG"), ("US Geological Survey", "ORG")],
            ),
        }
    )
    entity = _entity_of(out, "USGS")
    for form in (
        "U. S. Geological Survey",
        "U.S. Geological Survey",
        "US Geological Survey",
        "United States Geological Survey",
    ):
        assert _entity_of(out, form) == entity, form
    assert normalize_name("U. S.") == normalize_name("U.S.") == normalize_name("US") == "us"


def test_headline_verbs_and_descriptors_are_cut_off_names():
    body = (
        "AMD buys chips and buys time. It was acquiring rivals while acquiring talent. "
        "The startup grew; every startup does. AMD said SeaMicro would help. "
        "EYP Mission Critical Facilities is a firm."
    )
    headline_1 = "AMD Buys SeaMicro In Server Push"
    headline_2 = "HP Acquiring EYP Mission Critical Facilities"
    headline_3 = "Microserver Startup SeaMicro Sold"
    text = f"{headline_1}\n{headline_2}\n{headline_3}\n{body}"
    out, entities = _corpus(
        {
            "a1": (
                text,
                [
                    ("Buys SeaMicro", "ORG"),
                    ("Acquiring EYP Mission Critical Facilities", "ORG"),
                    ("Startup SeaMicro", "ORG"),
                    ("SeaMicro", "ORG"),
                    ("EYP Mission Critical Facilities", "ORG"),
                ],
            ),
        }
    )
    assert set(out["text"]) == {"SeaMicro", "EYP Mission Critical Facilities"}
    assert sorted(entities["name"]) == ["EYP Mission Critical Facilities", "SeaMicro"]
    # A headline span of common words only names nothing; in body text it is kept.
    text2 = (
        "Swimmer And Actress Dies Aged 91\nThe swimmer and actress dies, aged 91, the family "
        "said. Every swimmer and actress dies, aged or not."
    )
    out2, _ = _corpus({"b1": (text2, [("Swimmer And Actress Dies", "PERSON")])})
    assert out2.empty


def test_figures_currency_and_vs_are_never_a_person():
    text = (
        "Shr 1.20 dlrs vs 1.10 dlrs\nRevs 1,080,068 vs 1,000,000\nProfit was 5 mln U.S. Dlrs.\n"
        "March 3 - KeyCorp said net rose. Evansville 51-50 won."
    )
    out, entities = _corpus(
        {
            "a1": (
                text,
                [
                    ("Revs 1,080,068 vs", "PERSON"),
                    ("U.S. Dlrs", "PERSON"),
                    ("March 3 - KeyCorp", "ORG"),
                    ("Evansville 51-50", "ORG"),
                ],
            ),
        }
    )
    assert "PERSON" not in set(entities["label"])
    assert set(out["text"]) == {"KeyCorp", "Evansville"}


def test_glued_honorific_is_not_a_person_name():
    text = "Blinken put off a visit by MrBeijing This weekend. Beijing agreed. Beijing said so."
    spans = [("MrBeijing", "PERSON"), ("Beijing", "GPE"), ("Beijing", "GPE")]
    out, _ = _corpus({"a1": (text, spans)})
    assert set(out["text"]) == {"Beijing"}
    assert set(out["label"]) == {"GPE"}


def test_all_caps_form_folds_into_the_mixed_case_entity():
    out, entities = _corpus(
        {
            "a1": (
                "CREIGHTON WINS AGAIN\nCreighton beat Drake.",
                [("CREIGHTON", "ORG"), ("Creighton", "ORG")],
            ),
            "a2": ("Creighton won.", [("Creighton", "ORG")]),
        }
    )
    assert _same(out, "CREIGHTON", "Creighton")
    assert "Creighton" in set(entities["name"])


def test_bare_surname_without_a_clear_majority_bearer_stays_its_own_entity():
    docs = {"n1": ("Nancy Reagan visited a school.", [("Nancy Reagan", "PERSON")])}
    for i in range(5):
        docs[f"r{i}"] = (f"Reagan said the budget {i} was fine.", [("Reagan", "PERSON")])
    out, entities = _corpus(docs)
    assert not _same(out, "Reagan", "Nancy Reagan")
    assert "Reagan" in set(entities["name"])
    # ... while a bare surname whose full name dominates the corpus joins it.
    docs = {f"b{i}": ("Antony Blinken flew in.", [("Antony Blinken", "PERSON")]) for i in range(3)}
    docs["s1"] = ("Blinken spoke.", [("Blinken", "PERSON")])
    out, _ = _corpus(docs)
    assert _same(out, "Blinken", "Antony Blinken")


def test_surname_joins_the_full_name_of_the_same_story():
    docs = {
        "g1": (
            "George W. Bush met Laura Bush in Crawford with Dick Cheney.",
            [
                ("George W. Bush", "PERSON"),
                ("Laura Bush", "PERSON"),
                ("Crawford", "GPE"),
                ("Dick Cheney", "PERSON"),
            ],
        ),
        "g2": (
            "Reggie Bush ran for the Saints in New Orleans.",
            [("Reggie Bush", "PERSON"), ("Saints", "ORG"), ("New Orleans", "GPE")],
        ),
        "g3": (
            "Bush scored for the Saints in New Orleans.",
            [("Bush", "PERSON"), ("Saints", "ORG"), ("New Orleans", "GPE")],
        ),
    }
    out, _ = _corpus(docs)
    assert _entity_of(out, "Bush") == _entity_of(out, "Reggie Bush")


def test_different_given_names_initials_and_markers_are_different_people():
    assert not names_are_variants("chris", "christine")
    assert not names_are_variants("chris", "christina")
    assert names_are_variants("chris", "christopher")
    assert not names_are_variants("w", "hw")
    out, _ = _one_entity_each(
        [
            ("George H. W. Bush spoke.", "George H. W. Bush"),
            ("George W. Bush spoke.", "George W. Bush"),
            ("Chris Evans acted.", "Chris Evans"),
            ("Christine Evans sang.", "Christine Evans"),
            ("Head Coach Tony Smith resigned.", "Head Coach Tony Smith"),
            ("Head Coach Bob Smith stayed.", "Head Coach Bob Smith"),
            ("Ken Griffey Jr. hit.", "Ken Griffey Jr."),
            ("Ken Griffey Sr. watched.", "Ken Griffey Sr."),
        ]
    )
    entity_of = dict(zip(out["article_id"], out["entity_id"], strict=True))
    for i in range(0, 8, 2):
        assert entity_of[f"a{i}"] != entity_of[f"a{i + 1}"], out.loc[i, "text"]


def test_same_role_with_no_clear_majority_is_two_people():
    docs = {}
    for i in range(2):
        docs[f"k{i}"] = ("Prime Minister Kim Lee spoke.", [("Kim Lee", "PERSON")])
        docs[f"p{i}"] = ("Prime Minister Park Lee spoke.", [("Park Lee", "PERSON")])
    out, _ = _corpus(docs)
    assert not _same(out, "Kim Lee", "Park Lee")


def test_team_named_without_its_city_joins_the_full_name_when_the_city_is_near():
    out, _ = _corpus(
        {
            "a1": (
                "The New Orleans Saints won in New Orleans.",
                [("New Orleans Saints", "ORG"), ("New Orleans", "GPE")],
            ),
            "a2": (
                "The New Orleans Saints won. The Saints lead.",
                [("New Orleans Saints", "ORG"), ("Saints", "ORG")],
            ),
            "a3": ("The Saints won again.", [("Saints", "ORG")]),
            "b1": (
                "The New York Fed said so in New York.",
                [("New York Fed", "ORG"), ("New York", "GPE")],
            ),
            "b2": ("The Fed raised rates.", [("Fed", "ORG")]),
            "b3": ("The Fed cut rates.", [("Fed", "ORG")]),
        }
    )
    assert _same(out, "Saints", "New Orleans Saints")
    assert not _same(out, "New Orleans", "New Orleans Saints")
    assert not _same(out, "Fed", "New York Fed")  # never named beside it


def test_a_place_after_a_company_name_is_a_subsidiary():
    out, _ = _corpus(
        {
            "a1": (
                "Ford Canada said Ford would cut jobs in Canada.",
                [("Ford Canada", "ORG"), ("Ford", "ORG"), ("Canada", "GPE")],
            ),
        }
    )
    assert not _same(out, "Ford", "Ford Canada")


def test_one_word_spelt_two_ways_is_one_name_but_not_a_demonym_or_another_word():
    out, _ = _corpus(
        {
            "a1": (
                "Betty Ford Center admitted her. Betty Ford Center said so.",
                [("Betty Ford Center", "ORG"), ("Betty Ford Center", "ORG")],
            ),
            "a2": ("The Betty Ford Centre agreed.", [("Betty Ford Centre", "ORG")]),
            "a3": (
                "South Korea and South Korean firms; Eastern Airlines, Western Airlines.",
                [
                    ("South Korea", "GPE"),
                    ("South Korean", "NORP"),
                    ("Eastern Airlines", "ORG"),
                    ("Western Airlines", "ORG"),
                ],
            ),
        }
    )
    assert _same(out, "Betty Ford Centre", "Betty Ford Center")
    assert not _same(out, "South Korea", "South Korean")
    assert not _same(out, "Eastern Airlines", "Western Airlines")


def test_a_rare_misspelling_of_a_surname_joins_the_person():
    docs = {
        f"k{i}": (
            "Wladimir Klitschko won. Klitschko smiled.",
            [("Wladimir Klitschko", "PERSON"), ("Klitschko", "PERSON")],
        )
        for i in range(3)
    }
    docs["m1"] = ("Klistchko defended the title.", [("Klistchko", "PERSON")])
    docs["b1"] = ("Rush spoke; Bush listened.", [("Rush", "PERSON"), ("Bush", "PERSON")])
    out, _ = _corpus(docs)
    assert _same(out, "Klistchko", "Wladimir Klitschko")
    assert not _same(out, "Rush", "Bush")


def test_feature_word_does_not_make_a_new_place():
    out, _ = _corpus(
        {
            "a1": ("Ships crossed the Mediterranean Sea.", [("Mediterranean Sea", "LOC")]),
            "a2": ("Boats sank in the Mediterranean.", [("Mediterranean", "LOC")]),
        }
    )
    assert _same(out, "Mediterranean Sea", "Mediterranean")


def test_majority_bearer_is_judged_in_the_same_period():
    docs, dates = {}, {}
    # First quarter: Nancy Reagan is the only Reagan named in full; later, Ronald Reagan is.
    for i in range(3):
        docs[f"n{i}"] = ("Nancy Reagan visited.", [("Nancy Reagan", "PERSON")])
        dates[f"n{i}"] = "1987-02-0" + str(i + 1)
        docs[f"r{i}"] = ("Ronald Reagan spoke.", [("Ronald Reagan", "PERSON")])
        dates[f"r{i}"] = "1987-08-0" + str(i + 1)
    docs["b1"] = ("Reagan said so in February.", [("Reagan", "PERSON")])
    dates["b1"] = "1987-02-10"
    docs["b2"] = ("Reagan said so in August.", [("Reagan", "PERSON")])
    dates["b2"] = "1987-08-10"
    frames = [span_rows(text, spans, aid) for aid, (text, spans) in docs.items()]
    out, _ = canonicalize(
        pd.concat(frames, ignore_index=True), {a: t for a, (t, _) in docs.items()}, dates
    )
    entity = dict(zip(out["article_id"], out["entity_id"], strict=True))
    assert entity["b1"] == entity["n0"]
    assert entity["b2"] == entity["r0"]
    # Without dates, neither full name is the clear majority: "Reagan" stays its own entity.
    out, _ = canonicalize(
        pd.concat(frames, ignore_index=True), {a: t for a, (t, _) in docs.items()}
    )
    entity = dict(zip(out["article_id"], out["entity_id"], strict=True))
    assert entity["b1"] not in {entity["n0"], entity["r0"]}


def test_an_acronym_joins_only_an_expansion_named_beside_it():
    out, _ = _corpus(
        {
            "a1": ("Cardiff University opened a lab.", [("Cardiff University", "ORG")]),
            "b1": ("CU beat Drake on Sunday.", [("CU", "ORG"), ("Drake", "ORG")]),
            "b2": ("CU lost to Drake.", [("CU", "ORG"), ("Drake", "ORG")]),
            "c1": (
                "The National Transportation Safety Board (NTSB) said the NTSB would report.",
                [("National Transportation Safety Board", "ORG"), ("NTSB", "ORG")],
            ),
            "c2": ("The NTSB blamed the pilot.", [("NTSB", "ORG")]),
        }
    )
    assert not _same(out, "CU", "Cardiff University")  # never in one article: another CU
    assert _same(out, "NTSB", "National Transportation Safety Board")


def test_a_word_tagged_as_a_place_is_no_ones_given_name():
    out, _ = _corpus(
        {
            "a1": (
                "Palmer Fire crews came. The blaze in Palmer spread.",
                [("Palmer Fire", "PERSON"), ("Palmer", "GPE")],
            ),
            "a2": (
                "Jordan Smith spoke. Smith left Jordan.",
                [("Jordan Smith", "PERSON"), ("Smith", "GPE"), ("Jordan", "GPE")],
            ),
        }
    )
    assert not _same(out, "Palmer", "Palmer Fire")
    assert not _same(out, "Jordan", "Jordan Smith")
    assert _same(out, "Smith", "Jordan Smith")  # tagged a place, it can still be a surname


def test_a_team_tagged_as_a_product_or_person_joins_its_place_prefixed_name():
    out, _ = _corpus(
        {
            "a1": (
                "The San Diego Chargers beat the Jacksonville Jaguars. The Chargers led.",
                [
                    ("San Diego Chargers", "ORG"),
                    ("Jacksonville Jaguars", "FAC"),
                    ("Chargers", "PRODUCT"),
                ],
            ),
            "a2": (
                "The Chargers and Jaguars met in San Diego.",
                [("Chargers", "PRODUCT"), ("Jaguars", "PERSON"), ("San Diego", "GPE")],
            ),
            "a3": (
                "The Jacksonville Jaguars won in Jacksonville. The Jaguars lead.",
                [("Jacksonville Jaguars", "FAC"), ("Jacksonville", "GPE"), ("Jaguars", "PERSON")],
            ),
        }
    )
    assert _same(out, "Chargers", "San Diego Chargers")
    assert _same(out, "Jaguars", "Jacksonville Jaguars")
    assert not _same(out, "San Diego", "San Diego Chargers")


def test_a_one_word_nickname_is_a_given_name_the_person_goes_by():
    out, _ = _corpus(
        {
            "a1": (
                'Luis Gerardo "Jerry" Ortiz was killed.',
                [('Luis Gerardo "Jerry" Ortiz', "PERSON")],
            ),
            "a2": ("Jerry Ortiz was a deputy.", [("Jerry Ortiz", "PERSON")]),
            "a3": ("Kimani (Kiki) Gray was shot.", [("Kimani (Kiki) Gray", "PERSON")]),
            "a4": ("Kimani Gray was 16.", [("Kimani Gray", "PERSON")]),
            "a5": ('Vincent "The Chin" Gigante died.', [('Vincent "The Chin" Gigante', "PERSON")]),
            "a6": ("Chin Gigante is someone else.", [("Chin Gigante", "PERSON")]),
        }
    )
    assert _same(out, 'Luis Gerardo "Jerry" Ortiz', "Jerry Ortiz")
    assert _same(out, "Kimani (Kiki) Gray", "Kimani Gray")
    assert not _same(out, 'Vincent "The Chin" Gigante', "Chin Gigante")  # two words: no name
    assert normalize_name("Mt. Cook") == normalize_name("Mount Cook") == "mount cook"


def test_a_persons_full_names_decide_the_label_and_a_legal_form_is_never_a_person():
    out, entities = _corpus(
        {
            "a1": (
                "Tony Thompson fights. Thompson trained. Thompson won. Thompson left.",
                [
                    ("Tony Thompson", "PERSON"),
                    ("Thompson", "ORG"),
                    ("Thompson", "ORG"),
                    ("Thompson", "ORG"),
                ],
            ),
            "a2": ("Airgas Inc said so.", [("Airgas Inc", "PERSON")]),
        }
    )
    labels = dict(zip(entities["name"], entities["label"], strict=True))
    assert labels == {"Tony Thompson": "PERSON", "Airgas Inc": "ORG"}
    assert out["entity_id"].nunique() == 2


def test_a_name_the_tagger_cut_short_is_completed_where_the_corpus_names_it_whole():
    out, entities = _corpus(
        {
            "a1": ("The Philadelphia 76ers won again.", [("Philadelphia 76ers", "ORG")]),
            "a2": (
                "Cheeks is out as Philadelphia 76ers coach. Philadelphia Eagles fans in "
                "Philadelphia cheered.",
                [("Cheeks", "PERSON"), ("Philadelphia", "GPE"), ("Philadelphia", "GPE")],
            ),
            "a3": ("He moved to Philadelphia.", [("Philadelphia", "GPE")]),
        }
    )
    a2 = out[out["article_id"] == "a2"].sort_values("start_char")
    # The first place span takes "76ers" (the corpus tags "Philadelphia 76ers" as a team) and
    # the team's label; "Philadelphia Eagles" is named nowhere whole, so that span stays a place.
    assert a2["text"].tolist() == ["Cheeks", "Philadelphia 76ers", "Philadelphia"]
    assert a2["start_char"].tolist()[1] == 17 and a2["end_char"].tolist()[1] == 35
    assert _same(out, "Philadelphia 76ers", "Philadelphia 76ers")
    assert len(_entity_of(out, "Philadelphia 76ers")) == 1
    team = entities[entities["name"] == "Philadelphia 76ers"]
    assert team["label"].tolist() == ["ORG"] and team["n_mentions"].tolist() == [2]
    assert not _same(out, "Philadelphia", "Philadelphia 76ers")


def test_a_full_name_misspelt_by_a_letter_joins_when_one_article_writes_both_surnames():
    out, _ = _corpus(
        {
            "a1": (
                "Duncan Rait fell on the mountain. Raite was 35.",
                [("Duncan Rait", "PERSON"), ("Raite", "PERSON")],
            ),
            "a2": ("Climber Duncan Raite died.", [("Duncan Raite", "PERSON")]),
            "a3": ("Duncan Rait was found.", [("Duncan Rait", "PERSON")]),
            # Never written in one article: relatives as likely as a typo.
            "b1": ("John Smith spoke.", [("John Smith", "PERSON")]),
            "b2": ("John Smyth answered.", [("John Smyth", "PERSON")]),
            # One article, but other given names or a first letter apart: other people.
            "c1": (
                "Anna Rait and Mark Raite met Tom Bush and Tom Rush.",
                [
                    ("Anna Rait", "PERSON"),
                    ("Mark Raite", "PERSON"),
                    ("Tom Bush", "PERSON"),
                    ("Tom Rush", "PERSON"),
                ],
            ),
        }
    )
    assert _same(out, "Duncan Raite", "Duncan Rait")
    assert _same(out, "Raite", "Duncan Rait")
    assert not _same(out, "John Smith", "John Smyth")
    assert not _same(out, "Anna Rait", "Mark Raite")
    assert not _same(out, "Tom Bush", "Tom Rush")


def test_a_the_written_inside_a_name_counts_in_its_acronym():
    out, _ = _corpus(
        {
            "a1": (
                "Ratings rose, said The Hollywood Reporter. THR added more.",
                [("Hollywood Reporter", "ORG"), ("THR", "ORG")],
            ),
            "a2": ("THR said so.", [("THR", "ORG")]),
            # "The" opens the sentence: not evidence that it belongs to the name.
            "b1": (
                "The Home Run Society met. THRS members came.",
                [("Home Run Society", "ORG"), ("THRS", "ORG")],
            ),
        }
    )
    assert _same(out, "THR", "Hollywood Reporter")
    assert not _same(out, "THRS", "Home Run Society")


def test_the_title_before_a_name_is_its_last_two_words_ending_in_a_role():
    from pipeline.canonical import role_before

    def before(prefix: str) -> str | None:
        text = prefix + "Qin Gang arrived."
        return role_before(text, len(prefix))

    assert before("talks with Foreign Minister ") == "foreign minister"
    assert before("talks with Chinese Foreign Minister ") == "foreign minister"
    assert before("talks with Prime Minister ") == "prime minister"
    assert before("said Minister ") is None  # one capitalised word: no title to tell apart
    assert before("talks with Foreign Minister, ") is None  # the title does not touch the name
    assert before("Foreign Minister") is None  # no space: glued to the name
    assert before("talks with Foreign Office ") is None  # not a role word
    assert before("talks with foreign minister ") is None  # not capitalised
    assert before("xMinister ") is None


def test_canonicalization_leaves_its_surface_caches_empty_and_answers_the_same_again():
    """The caches are dropped when a pass ends (they held ~80 MB at 19k articles into the
    event step); a second pass refills them and gives the same table."""
    t1 = "Anthony Blinken met officials. Mr. Blinken said Blinken would return."
    m = span_rows(t1, [("Anthony Blinken", "PERSON"), ("Blinken", "PERSON")], "a1")
    first, _ = canonicalize(m, {"a1": t1})
    assert normalize_name.cache_info().currsize == 0
    again, _ = canonicalize(m, {"a1": t1})
    pd.testing.assert_frame_equal(first, again)
    assert first["entity_id"].nunique() == 1


def test_spans_refined_once_per_surface_and_context_as_each_on_its_own():
    """refine_spans refines a surface once per label, headline and (for a person's name of
    two words or more) the characters before it; each span refined on its own agrees."""
    texts = {
        "a1": "AMD Buys SeaMicro In Server Push\nMark Felt spoke. Without Felt, nothing moved. "
        "AMD said SeaMicro would help; AMD buys chips.",
        "a2": "Without Felt the case stalled, Mark Felt said. SeaMicro grew.\n"
        "Shr 1.20 dlrs vs 1.10 dlrs\nMarch 3 - KeyCorp said net rose.",
        "a3": "HP Buys SeaMicro Rival\nMrBeijing met Mark Felt. KeyCorp said so.",
    }
    found = {
        "a1": [
            ("Buys SeaMicro", "ORG"),
            ("Mark Felt", "PERSON"),
            ("Without Felt", "PERSON"),
            ("AMD", "ORG"),
            ("SeaMicro", "ORG"),
            ("AMD", "ORG"),
        ],
        "a2": [
            ("Without Felt", "PERSON"),
            ("Mark Felt", "PERSON"),
            ("SeaMicro", "ORG"),
            ("Shr 1.20 dlrs vs", "PERSON"),
            ("March 3 - KeyCorp", "ORG"),
        ],
        "a3": [
            ("Buys SeaMicro", "ORG"),
            ("MrBeijing", "PERSON"),
            ("Mark Felt", "PERSON"),
            ("KeyCorp", "ORG"),
        ],
    }
    spans = pd.concat([span_rows(texts[a], found[a], a) for a in texts], ignore_index=True)
    case = word_case(spans, texts)
    got = refine_spans(spans, texts, case)

    rows = list(spans.itertuples())
    lines: dict = {}
    heads = [headline_line(texts[r.article_id], r.start_char, r.end_char, lines) for r in rows]
    body_forms, body_inner = _body_forms(rows, heads, texts)
    keep = []
    for r, h in zip(rows, heads, strict=True):
        text = texts[r.article_id]
        cut = _refine_span(
            text, r.start_char, r.end_char, r.ner_label, h, case, body_forms, body_inner
        )
        if cut is not None:
            keep.append(
                (
                    r.article_id,
                    r.sentence_index,
                    *cut,
                    text[cut[0] : cut[1]],
                    r.ner_label,
                    r.start_char,
                    r.end_char,
                )
            )
    expected = pd.DataFrame(_complete_names(keep, texts), columns=got.columns)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    assert {"SeaMicro", "KeyCorp", "Mark Felt"} <= set(got["text"])
    assert not any("dlrs" in t for t in got["text"])  # a table row is no one's name
