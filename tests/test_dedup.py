"""Event detection and cross-article merging on small hand-written articles."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipeline import dedup
from pipeline.dedup import (
    LocalEvent,
    cluster_local_events,
    deduplicate,
    intersect,
    mention_interval,
)
from pipeline.events import detect_event_mentions
from pipeline.similarity import tfidf_cosine

PEOPLE = {
    "Antony Blinken": "PERSON",
    "Qin Gang": "PERSON",
    "Beijing": "GPE",
    "Tara Reid": "PERSON",
    "Lindsay Lohan": "PERSON",
    "Malibu": "GPE",
}


def _corpus(articles: dict[str, tuple[str, date | None]]):
    arts = pd.DataFrame(
        [
            {"article_id": a, "text": t, "published_date": d, "source": f"site{i}.com"}
            for i, (a, (t, d)) in enumerate(articles.items())
        ]
    )
    rows = []
    for a, (text, _) in articles.items():
        lines = text.split("\n")
        offset = 0
        for i, line in enumerate(lines):
            for name, label in PEOPLE.items():
                for m in re.finditer(re.escape(name), line):
                    rows.append(
                        {
                            "article_id": a,
                            "sentence_index": i,
                            "start_char": offset + m.start(),
                            "entity_id": name,
                            "label": label,
                        }
                    )
            offset += len(line) + 1
    mentions = pd.DataFrame(rows)
    entities = pd.DataFrame(
        [{"entity_id": n, "name": n, "label": lab} for n, lab in PEOPLE.items()]
    )
    candidates = detect_event_mentions(arts, mentions)
    return deduplicate(candidates, arts, entities)


def _primary_event(mentions: pd.DataFrame, article_id: str) -> str:
    rows = mentions[(mentions["article_id"] == article_id) & mentions["is_primary"]]
    assert len(rows) == 1
    return rows["event_id"].iloc[0]


def test_interval_logic():
    june = mention_interval(date(2023, 6, 18), "day", None, "past")
    assert june == (date(2023, 6, 17), date(2023, 6, 19))
    feb = mention_interval(date(2023, 2, 1), "month", None, "past")
    assert feb == (date(2023, 2, 1), date(2023, 2, 28))
    assert intersect(june, feb) is None
    undated = mention_interval(None, None, date(2023, 6, 14), "future")
    assert intersect(undated, june) == june


def test_same_call_reported_by_three_outlets_is_one_event():
    events, mentions = _corpus(
        {
            "a": (
                "Antony Blinken spoke by phone with Qin Gang on Wednesday.\n"
                "The call covered Taiwan.",
                date(2023, 6, 14),
            ),
            "b": (
                "In a phone call, Qin Gang told Antony Blinken to respect China.\n"
                "Analysts were cautious.",
                date(2023, 6, 14),
            ),
            "c": (
                "Qin Gang and Antony Blinken held a telephone conversation on June 14.\n"
                "It lasted an hour.",
                date(2023, 6, 15),
            ),
        }
    )
    call = {_primary_event(mentions, a) for a in "abc"}
    assert len(call) == 1
    row = events.set_index("event_id").loc[call.pop()]
    assert (row["event_type"], row["event_mode"]) == ("CONSULT", "phone")
    assert row["n_articles"] == 3 and row["n_sources"] == 3
    assert row["event_date"] == date(2023, 6, 14) and row["date_precision"] == "day"
    assert row["actors"][:2] == ["Antony Blinken", "Qin Gang"]


def test_look_alike_visits_in_february_and_june_stay_apart():
    events, mentions = _corpus(
        {
            "feb1": (
                "Antony Blinken will visit Beijing on February 5, 2023.\n"
                "The visit aims to ease tensions.",
                date(2023, 2, 1),
            ),
            "feb2": (
                "Antony Blinken is set to visit Beijing this weekend.\n"
                "The trip was announced on Wednesday.",
                date(2023, 2, 1),
            ),
            "jun1": (
                "Antony Blinken will visit Beijing on June 18, 2023.\n"
                "The visit aims to ease tensions.",
                date(2023, 6, 14),
            ),
            "jun2": (
                "Antony Blinken is set to visit Beijing this weekend.\n"
                "The trip was announced on Wednesday.",
                date(2023, 6, 14),
            ),
        }
    )
    feb = {_primary_event(mentions, a) for a in ("feb1", "feb2")}
    jun = {_primary_event(mentions, a) for a in ("jun1", "jun2")}
    assert len(feb) == 1 and len(jun) == 1
    assert feb != jun
    dates = events.set_index("event_id")["event_date"]
    # "June 18" and "this weekend" (Saturday the 17th) are both day-precise and consistent.
    assert dates[jun.pop()] in {date(2023, 6, 17), date(2023, 6, 18)}
    assert dates[feb.pop()].month == 2


def test_look_alike_rehab_stories_years_apart_stay_apart():
    events, mentions = _corpus(
        {
            "r1": (
                "Tara Reid checked into rehab in Malibu.\nHer publicist confirmed the stay.",
                date(2008, 12, 16),
            ),
            "r2": (
                "Tara Reid has entered rehab in Malibu, her representative said.\n"
                "She is doing well.",
                date(2008, 12, 17),
            ),
            "l1": (
                "Lindsay Lohan checked into rehab in Malibu.\nHer publicist confirmed the stay.",
                date(2013, 5, 3),
            ),
        }
    )
    reid = {_primary_event(mentions, a) for a in ("r1", "r2")}
    assert len(reid) == 1
    assert _primary_event(mentions, "l1") not in reid
    assert len(events) >= 2


def test_background_mention_of_earlier_visit_is_its_own_event():
    events, mentions = _corpus(
        {
            "x": (
                "Antony Blinken will visit Beijing this weekend.\n"
                "Antony Blinken had planned to visit Beijing in February but cancelled.",
                date(2023, 6, 14),
            ),
        }
    )
    visits = events[(events["event_type"] == "CONSULT") & (events["event_mode"] == "visit")]
    assert len(visits) == 2
    assert _primary_event(mentions, "x") in set(visits["event_id"])


def _all_pairs_merge(events, threshold):
    """Greedy union over the full similarity matrix of each type/mode: how background events
    were merged before candidate pairs, kept here as the reference (small inputs only)."""
    parent = list(range(len(events)))
    window = [ev.interval for ev in events]
    articles = [{ev.article_id} for ev in events]

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i

    blocks = {}
    for i, ev in enumerate(events):
        blocks.setdefault((ev.event_type, ev.mode), []).append(i)
    for members in blocks.values():
        group = [events[i] for i in members]
        sharp = {"sharp_idf": True}
        sims = (
            dedup.ACTOR_WEIGHT * tfidf_cosine([e.actors for e in group], binary=True, **sharp)
            + dedup.PLACE_WEIGHT * tfidf_cosine([e.places for e in group], binary=True, **sharp)
            + dedup.TEXT_WEIGHT * tfidf_cosine([e.words for e in group], **sharp)
        )
        pairs = np.argwhere(np.triu(sims, k=1) >= threshold)
        for a, b in sorted(pairs.tolist(), key=lambda p: (-sims[p[0], p[1]], p[0], p[1])):
            ia, ib = members[a], members[b]
            ra, rb = find(ia), find(ib)
            if events[ia].article_id == events[ib].article_id or ra == rb:
                continue
            if articles[ra] & articles[rb]:
                continue
            joint = intersect(window[ra], window[rb])
            if joint is None:
                continue
            root, child = min(ra, rb), max(ra, rb)
            parent[child] = root
            window[root] = joint
            articles[root] = articles[root] | articles[child]
    return [find(i) for i in range(len(events))]


def _local_events(n, seed):
    """Local events of two types over a year, with overlapping and disjoint windows."""
    rng = np.random.default_rng(seed)
    people = [f"person{k}" for k in range(25)]
    places = [f"place{k}" for k in range(6)]
    words = [f"word{k}" for k in range(40)]
    events = []
    for i in range(n):
        start = date(2020, 1, 1) + timedelta(days=int(rng.integers(0, 365)))
        span = int(rng.choice([2, 22, 30, 365]))
        interval = (None, None) if rng.random() < 0.1 else (start, start + timedelta(days=span))
        ev = LocalEvent(
            f"art{rng.integers(n // 2)}", str(rng.choice(["MEET", "DEAL"])), "", [i], interval
        )
        ev.actors.update(rng.choice(people, 2).tolist())
        ev.places.update(rng.choice(places, 1).tolist())
        ev.words.update(rng.choice(words, 5).tolist())
        events.append(ev)
    return events


def test_merging_on_candidate_pairs_matches_the_all_pairs_merging(monkeypatch):
    for seed in range(3):
        events = _local_events(300, seed)
        expected = _all_pairs_merge(events, dedup.MERGE_THRESHOLD)
        assert cluster_local_events(events) == expected
        monkeypatch.setattr(dedup, "EVENT_MAX_DF", 10**6)
        assert cluster_local_events(events) == expected
        monkeypatch.undo()


def test_row_order_of_the_candidates_does_not_change_the_events():
    articles = {
        "a": (
            "Antony Blinken spoke by phone with Qin Gang on Wednesday.\nThe call covered Taiwan.",
            date(2023, 6, 14),
        ),
        "b": (
            "In a phone call, Qin Gang told Antony Blinken to respect China.\n"
            "Analysts were cautious.",
            date(2023, 6, 14),
        ),
        "c": ("Tara Reid checked into rehab at Promises in Malibu.", None),
    }
    events, mentions = _corpus(articles)
    reversed_events, reversed_mentions = _corpus(dict(reversed(list(articles.items()))))
    assert set(events["event_id"]) == set(reversed_events["event_id"])
    assert set(zip(mentions["event_id"], mentions["article_id"], strict=True)) == set(
        zip(reversed_mentions["event_id"], reversed_mentions["article_id"], strict=True)
    )
