"""Stories (incident threads, pipeline/threads.py): follow-ups join their happening, look-alikes
stay apart, ids hold as follow-ups arrive, and every table agrees with a full rebuild.

Real parts throughout: real GVC articles (skipped when ../shared is absent), real spaCy, real
DuckDB files under tmp_path and real Dagster runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline import storage
from pipeline.threads import (
    has_follow_up_cue,
    is_official_mention,
    stable_story_id,
)
from tests.conftest import REPO, run_pipeline, snapshot

GVC = REPO.parent / "shared" / "corpora" / "gvc-dev" / "articles"
# A quadruple murder in a Tulsa apartment (January 2013) and two reports of the brothers'
# hearing (April and July): GVC's gold counts them as one incident; the event rule keeps the
# January happening apart from the hearings, which only the stories join.
TULSA_MURDER = "418288772a73a04cff88374f948880ae"
TULSA_HEARINGS = ["7d09bd3dd9c0f3416a33de2f0ee698fa", "309fcffb73a1bdf875514608a4992044"]
# Two look-alike Little Rock shootings with arrests (February 2015; November 2016): the same
# police department, hospital and wording, different people. Linking by any shared name put
# them in one story.
LITTLE_ROCK_2015 = ["0828d0cc3cc51b392b112155e0ffec98", "21b11127aeb92591276a5de754759053"]
LITTLE_ROCK_2016 = [
    "8fe5284f62d16842c4b81e47290fd298",
    "84d6e7f7c010f65ec1f61bfa014c3f27",
    "9598d8a0acb544fa8469d8ad97af4abc",
    "d9a89fbea9c88bea5f61de6674329fa1",
]
needs_gvc = pytest.mark.skipif(not GVC.exists(), reason="../shared/corpora/gvc-dev not present")


def _copy(docs: list[str], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        shutil.copy(GVC / f"{doc}.txt", folder / f"{doc}.txt")


def _story_of(db: Path) -> dict[str, str]:
    tables = snapshot(db)
    arts = tables["articles"]
    return {
        Path(p).stem: s
        for p, s in zip(arts["source_path"], arts["story_id"], strict=True)
        if isinstance(s, str)
    }


@pytest.fixture(scope="module")
def gvc_in_two_batches(tmp_path_factory):
    """The murder and the look-alikes first, the hearings months later; and a full rebuild."""
    base = tmp_path_factory.mktemp("threads")
    inbox, db = base / "inbox", base / "news.duckdb"
    _copy([TULSA_MURDER, *LITTLE_ROCK_2015, LITTLE_ROCK_2016[0]], inbox)
    first = run_pipeline(inbox, db)
    assert first.result.success
    before = _story_of(db)
    _copy([*TULSA_HEARINGS, *LITTLE_ROCK_2016[1:]], inbox)
    second = run_pipeline(inbox, db)
    assert second.result.success
    rebuilt = run_pipeline(inbox, base / "rebuilt.duckdb")
    assert rebuilt.result.success
    return before, db, rebuilt.db_path


@needs_gvc
def test_a_murder_and_its_hearings_months_later_are_one_story(gvc_in_two_batches):
    _, db, _ = gvc_in_two_batches
    story = _story_of(db)
    tulsa = {story[d] for d in [TULSA_MURDER, *TULSA_HEARINGS]}
    assert len(tulsa) == 1
    stories = snapshot(db)["stories"].set_index("story_id")
    row = stories.loc[tulsa.pop()]
    assert row["n_events"] >= 2  # the murder and the hearing stay distinct events
    assert row["n_articles"] >= 3
    assert str(row["first_date"])[:10] == "2013-01-07"
    assert str(row["last_date"])[:7] == "2013-07"
    assert row["title"].startswith("Police: Four women found dead in Tulsa")


@needs_gvc
def test_look_alike_shootings_in_one_city_stay_apart(gvc_in_two_batches):
    _, db, _ = gvc_in_two_batches
    story = _story_of(db)
    early = {story[d] for d in LITTLE_ROCK_2015}
    late = {story[d] for d in LITTLE_ROCK_2016}
    assert not early & late
    tulsa = story[TULSA_MURDER]
    assert tulsa not in early | late


@needs_gvc
def test_story_id_holds_as_follow_ups_arrive_and_equals_a_rebuild(gvc_in_two_batches):
    before, db, rebuilt = gvc_in_two_batches
    after = _story_of(db)
    # The hearings joined the murder's story, whose id is anchored on its earliest event.
    assert after[TULSA_MURDER] == before[TULSA_MURDER]
    for doc, story in before.items():
        assert after[doc] == story
    assert storage.table_differences(db, rebuilt, storage.rebuilt_tables()) == []


@needs_gvc
def test_events_and_articles_carry_their_story(gvc_in_two_batches):
    _, db, _ = gvc_in_two_batches
    tables = snapshot(db)
    events, stories, mentions = tables["events"], tables["stories"], tables["event_mentions"]
    assert events["story_id"].notna().all()
    assert sorted(e for ids in stories["event_ids"] for e in ids) == sorted(events["event_id"])
    primary = mentions[mentions["is_primary"]].merge(events[["event_id", "story_id"]])
    arts = tables["articles"].set_index("article_id")
    for article, story in zip(primary["article_id"], primary["story_id"], strict=True):
        assert arts.at[article, "story_id"] == story


def test_seed_visits_are_two_events_in_two_stories(seed_run):
    """The February and June visits stay two events; nothing follows a visit up, so they are
    two stories too, and every seed article carries the story of its main happening."""
    events = seed_run.query("SELECT * FROM events")
    stories = seed_run.query("SELECT * FROM stories")
    visits = events[events["event_mode"] == "visit"].dropna(subset=["event_date"])
    months = {d.month for d in pd.to_datetime(visits["event_date"])}
    assert {2, 6} <= months
    feb = set(visits.loc[pd.to_datetime(visits["event_date"]).dt.month == 2, "story_id"])
    jun = set(visits.loc[pd.to_datetime(visits["event_date"]).dt.month == 6, "story_id"])
    assert feb and jun and not feb & jun
    assert stories["n_events"].sum() == len(events)
    assert stories["story_id"].is_unique
    single = stories[stories["n_events"] == 1]
    assert len(single) > 0
    for story_id, ids in zip(single["story_id"], single["event_ids"], strict=True):
        assert story_id == stable_story_id(ids[0])  # anchored on its (earliest) event
    arts = seed_run.query("SELECT article_id, story_id FROM articles")
    assert arts["story_id"].notna().all()


def test_follow_up_cues_are_legal_stages_not_new_happenings():
    assert has_follow_up_cue("Man pleads guilty in 2014 nightclub shooting", "")
    assert has_follow_up_cue(None, "A hearing is scheduled for two brothers charged in the case.")
    assert has_follow_up_cue("Vigil marks anniversary of the shooting", None)
    assert not has_follow_up_cue("Teen killed, another wounded in St. Paul shooting", "")
    # Basketball courts and talent-show judges are not legal follow-ups.
    assert not has_follow_up_cue("Sixers hire Cheeks", "He returns to the court as head coach.")


def test_officials_are_told_by_the_words_around_their_name():
    text = "Tulsa Police Officer Jillian Roberson said the victims, Misty Nunley and two others"
    start = text.index("Jillian")
    assert is_official_mention(text, start, start + len("Jillian Roberson"))
    start = text.index("Misty")
    assert not is_official_mention(text, start, start + len("Misty Nunley"))
    text = "Steve Cooley, the district attorney, said"
    assert is_official_mention(text, 0, len("Steve Cooley"))


def _frames(specs: list[dict]) -> tuple[pd.DataFrame, ...]:
    """events, event_mentions, articles, entity_mentions: one article per event, its headline
    and lead as given, its names as PERSON mentions placed in the text."""
    events, mentions, articles, named = [], [], [], []
    for i, spec in enumerate(specs):
        event_id, article_id = f"evt_{i:02d}", f"art_{i:02d}"
        text = spec["title"] + "\n" + " and ".join(spec["names"]) + " were named."
        events.append(
            {
                "event_id": event_id,
                "event_type": spec.get("type", "ASSAULT"),
                "event_date": spec.get("day"),
                "date_precision": "day" if spec.get("day") else None,
                "first_reported": spec.get("day"),
                "title": spec["title"],
            }
        )
        mentions.append({"event_id": event_id, "article_id": article_id, "is_primary": True})
        articles.append(
            {
                "article_id": article_id,
                "title": spec["title"],
                "text": text,
                "published_date": spec.get("day"),
                "source": f"outlet{i}",
                "duplicate_of": None,
            }
        )
        for name in spec["names"]:
            start = text.index(name)
            named.append(
                {
                    "article_id": article_id,
                    "entity_id": "ent_" + name.replace(" ", "_"),
                    "label": "PERSON",
                    "start_char": start,
                    "end_char": start + len(name),
                    "text": name,
                }
            )
    return tuple(pd.DataFrame(rows) for rows in (events, mentions, articles, named))


def _threads(specs: list[dict]) -> list[set[int]]:
    from pipeline.threads import thread_events

    anchor = thread_events(*_frames(specs))
    groups: dict[str, set[int]] = {}
    for event_id, a in anchor.items():
        groups.setdefault(a, set()).add(int(event_id[4:]))
    return sorted((g for g in groups.values() if len(g) > 1), key=min)


def test_a_follow_up_needs_a_cue_two_specific_names_and_a_later_date():
    from datetime import date

    shooting = {"title": "Man shot dead on Elm Street", "day": date(2015, 3, 2)}
    plea = {"title": "Suspect pleads guilty in Elm Street killing", "day": date(2015, 9, 1)}
    names = ["Ann Berry", "Carl Dunn"]
    assert _threads([{**shooting, "names": names}, {**plea, "names": names}]) == [{0, 1}]
    # one shared name is what look-alikes share by chance
    assert _threads([{**shooting, "names": names[:1]}, {**plea, "names": names[:1]}]) == []
    # no follow-up cue: a second shooting naming the same two people is a new happening
    again = {**shooting, "day": date(2015, 9, 1), "names": names}
    assert _threads([{**shooting, "names": names}, again]) == []
    # the cue on the earlier report does not make the later one its follow-up
    early_plea = {**plea, "day": date(2015, 1, 5), "names": names}
    assert _threads([{**shooting, "names": names}, early_plea]) == []
    # undated reports cannot be placed after the happening
    undated = {**plea, "day": None, "names": names}
    assert _threads([{**shooting, "names": names}, undated]) == []
    # a visit has no plea to follow
    visit = {**shooting, "type": "CONSULT", "names": names}
    assert _threads([visit, {**plea, "names": names}]) == []
    # and a business happening reported later is no follow-up, whatever its words
    results = {**plea, "type": "BUSINESS", "title": "Elm Street Co charges hit profit"}
    assert _threads([{**shooting, "names": names}, {**results, "names": names}]) == []


def test_names_spread_over_many_events_are_a_beats_not_an_incidents():
    """Two names shared by five look-alike shootings and their charge reports (a spokesman and
    a detective the tagger did not flag) link nothing: each is held by more than
    MAX_EVENTS_PER_NAME events, so the index never pairs on them."""
    from datetime import date

    from pipeline.threads import MAX_EVENTS_PER_NAME

    beat = ["Dale Ross", "Gina Tate"]
    specs = []
    for k in range(5):
        specs.append({"title": f"Man shot on {k}th Street", "day": date(2016, 1, 1 + k)})
        specs.append(
            {"title": f"Two charged in {k}th Street shooting", "day": date(2016, 2, 1 + k)}
        )
    specs = [{**s, "names": beat} for s in specs]
    assert len(specs) > MAX_EVENTS_PER_NAME
    assert _threads(specs) == []
    # with a victim's name of its own, each charge report joins its own shooting only
    for k in range(5):
        victim = f"Victim Number{k}"
        specs[2 * k] = {**specs[2 * k], "names": [*beat, victim]}
        specs[2 * k + 1] = {**specs[2 * k + 1], "names": [*beat, victim]}
    assert _threads(specs) == []  # one specific name is not enough ...
    for k in range(5):
        suspect = f"Suspect Number{k}"
        for j in (2 * k, 2 * k + 1):
            specs[j] = {**specs[j], "names": [*specs[j]["names"], suspect]}
    assert _threads(specs) == [{2 * k, 2 * k + 1} for k in range(5)]  # ... two are


@needs_gvc
def test_a_backfilled_older_report_reanchors_the_story_and_the_history_says_where(tmp_path):
    """The hearings arrive first; the murder they follow up is backfilled: the story's id moves
    to the murder's anchor, and story_id_history leads the old id there."""
    inbox, db = tmp_path / "inbox", tmp_path / "news.duckdb"
    _copy(TULSA_HEARINGS, inbox)
    assert run_pipeline(inbox, db).result.success
    before = _story_of(db)
    assert before[TULSA_HEARINGS[0]] == before[TULSA_HEARINGS[1]]
    _copy([TULSA_MURDER], inbox)
    assert run_pipeline(inbox, db).result.success
    after = _story_of(db)
    assert len({after[d] for d in [TULSA_MURDER, *TULSA_HEARINGS]}) == 1
    old, new = before[TULSA_HEARINGS[0]], after[TULSA_MURDER]
    assert old != new
    history = snapshot(db)["story_id_history"]
    row = history[history["old_id"] == old]
    assert row["new_id"].tolist() == [new]
    assert row["reason"].tolist() == ["re-anchored"]
