"""Per-article story features: the bags as parts give the table of the joined bags."""

import numpy as np

from pipeline.similarity import TermTable
from pipeline.stories import article_bags, article_terms

TEXTS = [
    "PIRATES SEIZE TANKER IN GULF\nPirates in the Gulf of Aden seized a tanker on Friday.\n"
    "The tanker, carrying 2,000 tonnes of oil, was seized by pirates.",
    "Tanker freed\nhttp://example.com/x\nThe tanker seized in the Gulf was freed on Monday.",
    "",
]
ENTITIES = [[("ent_1", "ORG"), ("ent_2", "GPE"), ("ent_1", "ORG")], [("ent_2", "GPE")], []]


def test_fine_bag_is_the_coarse_terms_then_the_pairs():
    for text, entities in zip(TEXTS, ENTITIES, strict=True):
        coarse, fine = article_bags(text, entities)
        terms, pairs = article_terms(text, entities)
        assert list(coarse.items()) == list(terms.items())
        assert list(fine.items()) == [*terms.items(), *pairs.items()]
        assert not set(terms) & set(pairs)
    coarse, _ = article_bags(TEXTS[0], ENTITIES[0])
    assert coarse["w:pirates"] == 3 * 2.0  # the first LEAD_LINES lines weigh double
    assert coarse["e:ent_1"] == 8.0


def test_a_bag_added_in_parts_is_the_joined_bag():
    whole, parted = TermTable(), TermTable()
    for text, entities in zip(TEXTS * 2, ENTITIES * 2, strict=True):
        terms, pairs = article_terms(text, entities)
        whole.add({**terms, **pairs})
        parted.add(terms, pairs)
    assert list(whole.vocabulary.items()) == list(parted.vocabulary.items())
    assert whole.columns == parted.columns and whole.lengths == parted.lengths
    a, b = whole.matrix(), parted.matrix()
    assert np.array_equal(a.data, b.data) and np.array_equal(a.indices, b.indices)


def test_a_hashed_table_gives_the_same_matrix():
    """The fine table keeps term hashes instead of terms; its matrix must not change."""
    plain, hashed = TermTable(), TermTable(hashed=True)
    for text, entities in zip(TEXTS * 2, ENTITIES * 2, strict=True):
        terms, pairs = article_terms(text, entities)
        plain.add(terms, pairs)
        hashed.add(terms, pairs)
    assert not hashed.vocabulary and len(plain.vocabulary) > 20
    a, b = plain.matrix(), hashed.matrix()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
