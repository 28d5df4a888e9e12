"""Article-level story clustering and its use for primary events; short-English acceptance."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import numpy as np
import pandas as pd

from benchmarks import whole_archive_linkage as linkage
from benchmarks.whole_archive_linkage import gather
from pipeline import stories
from pipeline.articles import _is_english
from pipeline.evaluation import ENGLISH_STOPWORDS as PEER_STOPWORDS
from pipeline.language import could_be_english, detect_language
from pipeline.similarity import tfidf_cosine, tfidf_matrix
from pipeline.stopwords import ENGLISH_STOPWORDS
from pipeline.stories import (
    RowCosines,
    bisect,
    lead_weekdays,
    normalized_cut,
    story_clusters,
)
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


def _two_blocks() -> np.ndarray:
    sim = np.full((6, 6), 0.05)
    sim[:3, :3] = sim[3:, 3:] = 0.5
    np.fill_diagonal(sim, 1.0)
    return sim


def test_halves_published_in_the_same_weeks_are_one_story_in_two_phases():
    shooting = [date(2007, 4, 9), date(2007, 4, 10), None]
    charge = [date(2007, 4, 11), None, date(2007, 4, 12)]
    parts = bisect(_two_blocks(), list(range(6)), 0.8, shooting + charge)
    assert parts == [list(range(6))]


def test_same_weeks_look_alikes_with_different_participants_are_still_split():
    dates = [date(2011, 3, 11)] * 3 + [date(2011, 3, 14)] * 3
    same_cast = [Counter({"ent_quake_a": 2, "ent_city_a": 1})] * 6
    other_cast = [Counter({"ent_quake_a": 2, "ent_city_a": 1})] * 3 + [
        Counter({"ent_quake_b": 2, "ent_city_b": 1})
    ] * 3
    assert bisect(_two_blocks(), list(range(6)), 0.8, dates, participants=same_cast) == [
        list(range(6))
    ]
    parts = bisect(_two_blocks(), list(range(6)), 0.8, dates, participants=other_cast)
    assert sorted(map(sorted, parts)) == [[0, 1, 2], [3, 4, 5]]


def test_halves_published_a_year_apart_or_undated_are_still_split():
    year_apart = [date(2007, 4, 9)] * 3 + [date(2008, 4, 9)] * 3
    assert sorted(map(sorted, bisect(_two_blocks(), list(range(6)), 0.8, year_apart))) == [
        [0, 1, 2],
        [3, 4, 5],
    ]
    one_half_undated = [date(2007, 4, 9)] * 3 + [None] * 3
    assert len(bisect(_two_blocks(), list(range(6)), 0.8, one_half_undated)) == 2
    assert len(bisect(_two_blocks(), list(range(6)), 0.8)) == 2


def test_a_half_with_one_dated_stray_says_nothing_about_when_it_came_out():
    # Half A: three undated reports and no date; half B: dated, with the same cast. A's one
    # dated member (a stray) used to make A "published the same week" as B and veto the split.
    dates = [date(2013, 6, 11), None, None] + [date(2013, 6, 11)] * 3
    same_cast = [Counter({"ent_vendor": 2})] * 6
    parts = bisect(_two_blocks(), list(range(6)), 0.8, dates, participants=same_cast)
    assert sorted(map(sorted, parts)) == [[0, 1, 2], [3, 4, 5]]
    mostly_dated = [date(2013, 6, 11), date(2013, 6, 12), None] + [date(2013, 6, 11)] * 3
    assert bisect(_two_blocks(), list(range(6)), 0.8, mostly_dated, participants=same_cast) == [
        list(range(6))
    ]


def _blocks_with_cross(cross: float) -> np.ndarray:
    """Two blocks of three; the normalized cut between them is 6c / (1 + 3c)."""
    sim = np.full((6, 6), cross)
    sim[:3, :3] = sim[3:, 3:] = 0.5
    np.fill_diagonal(sim, 1.0)
    return sim


def test_halves_naming_the_same_weekday_need_a_cleaner_cut_to_be_split():
    sim = _blocks_with_cross(0.2)  # ncut 0.75: a split at the default threshold
    assert abs(normalized_cut(sim)[0] - 0.75) < 1e-6
    assert len(bisect(sim, list(range(6)), 0.8)) == 2
    # "shot Friday" everywhere; one report of the second half also names Saturday's charge
    friday = [Counter({"friday": 1.0})] * 5 + [Counter({"friday": 0.5, "saturday": 0.5})]
    assert bisect(sim, list(range(6)), 0.8, weekdays=friday) == [list(range(6))]
    monday = [Counter({"friday": 1.0})] * 3 + [Counter({"monday": 1.0})] * 3
    assert len(bisect(sim, list(range(6)), 0.8, weekdays=monday)) == 2


def test_halves_naming_different_weekdays_are_split_on_a_weaker_cut():
    sim = _blocks_with_cross(0.25)  # ncut 0.857: one story at the default threshold
    assert bisect(sim, list(range(6)), 0.8) == [list(range(6))]
    other_days = [Counter({"wednesday": 1.0})] * 3 + [Counter({"tuesday": 1.0})] * 3
    parts = bisect(sim, list(range(6)), 0.8, weekdays=other_days)
    assert sorted(map(sorted, parts)) == [[0, 1, 2], [3, 4, 5]]
    # A half that names no weekday gives no evidence either way.
    one_silent = [Counter({"wednesday": 1.0})] * 3 + [Counter()] * 3
    assert bisect(sim, list(range(6)), 0.8, weekdays=one_silent) == [list(range(6))]


def test_lead_weekdays_reads_the_lead_not_the_date_line_or_the_tail():
    text = (
        "http://example.com/news/2009/01/16/shooting.html\n"
        "Gunman kills one at office party\n"
        "Saturday, January 17, 2009\n"
        "A fired worker shot a manager on Friday, police said Friday.\n"
        "He was charged on Saturday.\n"
        + "Colleagues were shocked.\n" * 5
        + "A vigil is planned for Tuesday.\n"
    )
    assert lead_weekdays(text) == Counter({"friday": 2 / 3, "saturday": 1 / 3})
    assert lead_weekdays("No day is named here.") == Counter()


def test_a_half_made_of_copies_of_one_report_is_not_split_off():
    sim = np.full((5, 5), 0.05)
    sim[2:, 2:] = 0.4
    sim[:2, :2] = 0.9  # one wire story printed twice
    np.fill_diagonal(sim, 1.0)
    assert bisect(sim, list(range(5)), 0.8) == [list(range(5))]
    sim[0, 1] = sim[1, 0] = 0.4  # two independent reports of something else
    assert sorted(map(sorted, bisect(sim, list(range(5)), 0.8))) == [[0, 1], [2, 3, 4]]


def test_story_clustering_drops_the_same_stopwords_as_the_peer():
    assert PEER_STOPWORDS is ENGLISH_STOPWORDS
    assert {"the", "which", "would"} <= ENGLISH_STOPWORDS
    assert not {"shooting", "rehab", "2008"} & ENGLISH_STOPWORDS


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


def _all_pairs_gather(sim, threshold, published, windows):
    """Average linkage by argmax over the full matrix: how gathering was done before it went
    sparse, kept here as the reference (cubic; small inputs only)."""
    n = sim.shape[0]
    avg = np.array(sim, dtype=np.float64, copy=True)
    np.fill_diagonal(avg, -np.inf)
    size = np.ones(n)
    members = {i: [i] for i in range(n)}
    clocks = [
        (
            linkage.MAX_PUBLISHED_GAP.days,
            {i: [p.toordinal()] if p else [] for i, p in enumerate(published)},
        ),
        (
            linkage.MAX_STATED_GAP.days,
            {
                i: [(w[0].toordinal() + w[1].toordinal()) / 2] if w else []
                for i, w in enumerate(windows)
            },
        ),
    ]
    medians = [
        np.array([float(d[0]) if d else np.nan for d in days.values()]) for _, days in clocks
    ]
    for (gap, _), when in zip(clocks, medians, strict=True):
        avg[np.abs(when[:, None] - when[None, :]) > gap] = -np.inf
    while len(members) > 1:
        i, j = divmod(int(np.argmax(avg)), n)
        if not avg[i, j] >= threshold:
            break
        i, j = min(i, j), max(i, j)
        merged = (size[i] * avg[i] + size[j] * avg[j]) / (size[i] + size[j])
        size[i] += size[j]
        members[i].extend(members.pop(j))
        avg[i, :] = avg[:, i] = merged
        avg[j, :] = avg[:, j] = -np.inf
        avg[i, i] = -np.inf
        for (gap, days), when in zip(clocks, medians, strict=True):
            days[i] = days[i] + days.pop(j)
            when[j] = np.nan
            when[i] = float(np.median(days[i])) if days[i] else np.nan
            far = np.abs(when - when[i]) > gap
            avg[i, far] = avg[far, i] = -np.inf
    return {frozenset(m) for m in members.values()}


def _feed(n: int, seed: int):
    """Articles of a few kinds of story over three years, some undated, some stating dates."""
    rng = np.random.default_rng(seed)
    kinds = [[f"k{k}w{w}" for w in range(15)] for k in range(6)]
    bags, published, windows = [], [], []
    for _ in range(n):
        kind = kinds[rng.integers(len(kinds))]
        words = list(rng.choice(kind, 5)) + [f"rare{rng.integers(n)}", "said"]
        bags.append(Counter({w: float(rng.integers(1, 3)) for w in words}))
        day = date(2010, 1, 1) + timedelta(days=int(rng.integers(0, 1100)))
        published.append(day if rng.random() < 0.7 else None)
        stated = rng.random() < 0.3
        windows.append((day - timedelta(days=1), day + timedelta(days=1)) if stated else None)
    return bags, published, windows


def _partition(labels):
    groups = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def test_gathering_on_candidate_pairs_matches_the_all_pairs_clustering(monkeypatch):
    # With every pair sharing a term as a candidate, both the per-component matrix and the
    # linked clustering of large components (forced here) give the all-pairs clusters.
    monkeypatch.setattr(linkage, "GATHER_MAX_DF", 10**6)
    monkeypatch.setattr(linkage, "GATHER_MIN_RARE", 0.0)
    monkeypatch.setattr(linkage, "GATHER_NEIGHBOURS", 10**6)
    for seed in range(3):
        bags, published, windows = _feed(150, seed)
        expected = _all_pairs_gather(tfidf_cosine(bags), 0.1, published, windows)
        rows = tfidf_matrix(bags)
        for dense_up_to in (10**6, 1):
            monkeypatch.setattr(linkage, "DENSE_COMPONENT", dense_up_to)
            assert _partition(gather(rows, 0.1, published, windows)) == expected


def test_gathering_with_the_default_candidates_stays_close_and_in_time():
    bags, published, windows = _feed(300, 7)
    expected = _all_pairs_gather(tfidf_cosine(bags), 0.1, published, windows)
    got = _partition(gather(tfidf_matrix(bags), 0.1, published, windows))
    assert len(got & expected) >= 0.9 * len(expected)
    for cluster in got:
        days = [published[i].toordinal() for i in cluster if published[i]]
        assert not days or max(days) - min(days) <= linkage.MAX_PUBLISHED_GAP.days


def test_the_cut_without_its_matrix_is_the_dense_cut():
    bags, _, _ = _feed(120, 1)
    rows = tfidf_matrix(bags)
    dense = (rows @ rows.T).toarray()
    value, mask = normalized_cut(dense)
    implicit_value, implicit_mask = normalized_cut(RowCosines(rows))
    assert abs(value - implicit_value) < 1e-9
    assert (mask == implicit_mask).all() or (mask == ~implicit_mask).all()
    items = list(range(120))
    assert sorted(map(sorted, bisect(dense, items, 0.8))) == sorted(
        map(sorted, bisect(RowCosines(rows), items, 0.8))
    )


def test_story_numbers_do_not_depend_on_the_order_of_the_rows():
    arts = _articles(REID + LOHAN, [None, None, None, date(2013, 6, 13), date(2013, 6, 13), None])
    stories_ = story_clusters(arts)
    shuffled = arts.sample(frac=1.0, random_state=3)
    assert story_clusters(shuffled) == stories_


def test_an_undated_feed_is_clustered_too():
    arts = _articles(REID + LOHAN, [None] * 6)
    found = story_clusters(arts)
    assert len({found[f"a{i}"] for i in range(3)}) == 1
    assert len({found[f"a{i}"] for i in range(3, 6)}) == 1


def test_a_large_group_is_cut_without_its_matrix_and_with_the_same_stories(monkeypatch):
    texts = (
        [
            f"{name} Corp quarter net\nShr {a} cts vs {b} cts\nNet {c} mln vs {d} mln"
            for name, a, b, c, d in zip(
                [f"Firm{chr(65 + i % 26)}{chr(65 + i // 26)}" for i in range(240)],
                range(240),
                range(3, 243),
                range(7, 247),
                range(11, 251),
                strict=True,
            )
        ]
        + REID
        + LOHAN
    )
    arts = _articles(texts, [date(1987, 3, 2)] * len(texts))
    expected = story_clusters(arts)
    monkeypatch.setattr(stories, "DENSE_GROUP", 3)
    assert story_clusters(arts) == expected


def test_a_look_alike_published_months_later_naming_other_people_is_a_story_of_its_own():
    from pipeline.stories import _late_strays

    published = [date(2015, 8, 25), date(2015, 8, 25), date(2016, 11, 6), date(2015, 12, 1)]
    people = [{"toddler", "uncle"}, {"toddler"}, {"father"}, {"uncle"}]
    # The report 14 months later names none of the others' people: a look-alike.
    assert _late_strays([0, 1, 2], published, people) == [[0, 1], [2]]
    # The hearing three months later names the suspect: a follow-up, kept.
    assert _late_strays([0, 1, 3], published, people) == [[0, 1, 3]]
    # Undated reports and reports of the same weeks are never strays.
    assert _late_strays([0, 1], [None, date(2015, 8, 25)], [set(), set()]) == [[0, 1]]
