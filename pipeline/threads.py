"""Incident threads ("stories" to readers): a happening and its follow-ups, across dates.

Named *threads* here because ``pipeline.stories`` already means something else: there a "story"
is the set of articles that report **one happening** (the article-level clustering whose groups
become events). An event keeps one date window: the shooting and, months later, the guilty plea
are two events, as the February and June visits of the seeds are. Readers (and the gold incidents
of GVC and ECB+) still see the shooting, the arrest, the charges, the trial and the plea as one
incident, so this module links events into threads and publishes them as the ``stories`` table:
every event belongs to exactly one story, most stories are a single event.

What links a later event B to an earlier event A (:func:`thread_events`), never the date alone:

* **a follow-up cue** in B's headline or lead: the role words of a legal follow-up (charged,
  pleaded, sentenced, trial, verdict, hearing, ...) or of a remembrance (anniversary). A report
  of a new happening has none, so two look-alike shootings never link however much they share;
* **shared specific participants** (:func:`cast_of`): canonical people, organisations, venues
  and facilities named in the primary reports of both, but in the reports of few events overall
  (a victim, a suspect, an apartment complex) — names spread over many events (a city's police
  spokesman, a county prosecutor, a newspaper) are furniture of a beat, not of an incident.
  People named as officials ("Police Officer Jillian Roberson", "Judge ...", "..., a spokesman
  for") are left out whatever their rarity: they recur across look-alikes of one city;
* **a back-reference**: B's reports mention a happening dated within A's window ("charged in the
  January shooting deaths", "in connection with the Oct. 12 shooting"), or mention A itself (a
  background mention that dedup merged with A's event).

A link needs the cue and at least :data:`LINK_EVIDENCE` of evidence (each shared specific
participant counts one, a back-reference one): one shared name alone is what look-alikes share
by chance (measured on GVC: linking every pair sharing a person dropped story B-cubed F1 to
0.90; without the cue, with every other rule kept, 0.967 and pairwise 0.886; without
back-references 0.989). Both events must be dated (an undated report cannot be placed after a
happening; letting undated ones link drops ECB+ from 0.968 to 0.944), the earlier one must be of
a kind that has legal follow-ups (:data:`FOLLOWED_TYPES`), and each follow-up joins one earlier
event only, so the links form a forest and one report never bridges two look-alikes.

Candidate pairs come from an index — events grouped by each specific participant, at most
:data:`MAX_EVENTS_PER_NAME` per name — so nothing is compared all-pairs, and the result is a
function of the tables alone (sorted inputs, deterministic union), so an incremental run gives
exactly the stories of a full rebuild.

A story's id is a hash of its earliest event's id (:func:`stable_story_id`); event ids are
anchored on the earliest report, so a story's id survives every follow-up that joins it.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pandas as pd

from pipeline import storage
from pipeline.dates import as_date
from pipeline.gc_pause import without_cycle_collection
from pipeline.id_history import id_changes
from pipeline.sentences import split_sentences

# A name held by the primary reports of more events than this is a beat's furniture (a police
# spokesman, a court, an outlet), not a participant of one incident. An incident with its
# follow-ups rarely spans more events than this (the shooting, the arrest, the charges, the
# hearing, the plea). Story B-cubed F1 (benchmarks/dedup_stability.py): GVC 0.992 for 2 to 4
# (odd/even halves 1.000/0.983), 0.988 from 6 on (look-alikes of one city share more names);
# ECB+ 0.967 at 2 (one follow-up link fewer), 0.968
# (0.960/0.975) from 4 on.
MAX_EVENTS_PER_NAME = 4
# Evidence a link needs beyond the follow-up cue: two shared specific names, or one and a
# back-reference. One shared name is what look-alikes of one city share by chance: at 1, GVC
# story B-cubed F1 falls to 0.973 (pairwise 0.922), at 3 it is 0.989 (the Tulsa murder and its
# hearings share one name and a back-reference); ECB+ 0.968 at 1, 2 and 3.
LINK_EVIDENCE = 2
# A follow-up within this time of its happening: a trial can come two or three years later
# (ECB+: a deputy's murder in 2005, the death sentence in 2007). ECB+ 0.961 at one year, 0.968 at
# three; GVC 0.992 at both.
MAX_THREAD_GAP = timedelta(days=3 * 365)
# The headline and the first sentences say what a report is about; further down, a shooting
# report tells its victim's earlier arrests. GVC and ECB+ story B-cubed F1 are the same for 1 to
# 3 sentences and fall from 5 on (0.992 -> 0.988, 0.968 -> 0.961).
LEAD_SENTENCES = 3
LEAD_CHARS = 2000  # far more than three sentences of any report
CAST_LABELS = frozenset({"PERSON", "ORG", "FAC", "LOC", "WORK_OF_ART", "EVENT", "PRODUCT"})
# Role words of a follow-up: the legal stages after a crime, and remembrance. Words that other
# beats use as often ("court", "judge", "appeal": basketball courts, talent-show judges, a
# team's appeal) are left out.
_FOLLOW_UP = re.compile(
    r"\b(?:charg(?:ed|es|ing)|plead(?:ed|s|ing)?|pled|plea|guilty|sentenc(?:ed|e|es|ing)|"
    r"trial|convict(?:ed|ion)|verdict|indict(?:ed|ment)|arraign(?:ed|ment)|hearing|jurors?|"
    r"acquit(?:ted|tal)?|testif(?:y|ied|ies)|confess(?:ed|es|ion)?|anniversary|"
    r"in connection with|accused of|arrest(?:ed|s)?)\b",
    re.IGNORECASE,
)
# Happenings that have legal follow-ups (or anniversaries): crimes, harm and disasters, and the
# legal steps themselves. A firing, a result, a visit or a game has no charges, trial or plea to
# follow, however often its people are in court for something else; and a results brief's
# "charges" are costs. GVC and ECB+ are the same without this rule and without the next; on
# 10,000 Reuters items (benchmarks/ticker_purity.py --n 10000) the two leave 3 multi-event
# stories (an insider case, a lawsuit, a bombing and the captain charged), without this one 9,
# without either 26 (154 ticker-headline articles in mixed stories instead of 150).
FOLLOWED_TYPES = frozenset(
    {"ASSAULT", "COERCE", "DEATH", "DISASTER", "THREATEN", "PROTEST", "LEGAL", "ACCUSE"}
)
# What a follow-up is itself: a legal step (charges, trial, plea: LEGAL; an arrest: COERCE; an
# accusation: ACCUSE), or a report typed by the harm it follows up (the charges "in the
# shooting death": ASSAULT, DEATH, DISASTER). A threat, a protest, a business or personnel
# happening published later is not a follow-up whatever its words: without this rule, 10
# multi-event stories on the 10,000 Reuters items (a ferry company's "anniversary" warrant issue
# joined the ferry disaster, a farm-policy debate its "charges"; 153 mixed articles).
FOLLOW_UP_TYPES = frozenset({"ASSAULT", "COERCE", "DEATH", "DISASTER", "LEGAL", "ACCUSE"})
# Words beside a name that make its bearer an official rather than a participant.
_OFFICIAL_BEFORE = re.compile(
    r"\b(?:officers?|sgt|sergeant|lt|lieutenant|capt|captain|chief|detectives?|spokes\w*|"
    r"prosecutors?|attorneys?|judge|justice|sheriff|deputy|coroner|mayor|investigators?|"
    r"commissioner|trooper|agent|dr|doctor|governor|gov|senator|sen|rep|representative|"
    r"president|minister|secretary|superintendent|principal|councilman|councilwoman|"
    r"reporter|correspondent|anchor|editor|examiner|pastor|rev|professor|director|"
    r"lawyer|counsel|cpl|corporal|officer)\.?\s*$",
    re.IGNORECASE,
)
_OFFICIAL_AFTER = re.compile(
    r"^,?\s*(?:an?|the)?\s*(?:[\w.-]+\s+){0,4}?(?:spokes\w*|officer|sergeant|detective|"
    r"prosecutor|attorney|judge|sheriff|chief|lieutenant|captain|coroner|investigator|"
    r"lawyer|reporter|correspondent)\b",
    re.IGNORECASE,
)
ROLE_CONTEXT = 40  # characters either side of a name read for its bearer's role
# A title inside the span itself ("IMPD Sgt", "Police Chief Smith").
_OFFICIAL_IN_NAME = re.compile(
    r"\b(?:sgt|sergeant|lt|lieutenant|capt|captain|chief|detective|officer|spokes\w*|"
    r"judge|sheriff|deputy|coroner|mayor|prosecutor|attorney|trooper|cpl|corporal)\b",
    re.IGNORECASE,
)
# Organisations of an institutional kind (a police department, a hospital, a court, a jail, an
# outlet) serve every incident of their town; their names are the beat's, not an incident's.
# Kinds of institution, not names: a venue or a company tagged ORG still counts. Without this
# rule GVC story pairwise F1 falls from 0.981 to 0.958 (two Little Rock shootings 21 months
# apart shared the city's police department and hospital); without the officials rule
# (_OFFICIAL_*) to 0.970. ECB+ is the same either way.
_INSTITUTION = re.compile(
    r"\b(?:police|department|dept|office|hospital|medical|health|center|centre|clinic|jail|"
    r"detention|prison|correctional|court|courthouse|county|sheriff'?s?|coroner'?s?|bureau|"
    r"agency|unit|lab|laboratory|university|college|news|press|tv|radio|times|post|herald|"
    r"journal|tribune|gazette|patrol|services?|commission|council|government|ministry|"
    r"fire|rescue|ems|fbi|atf|associated)\b",
    re.IGNORECASE,
)

Window = tuple[date, date]


@dataclass
class _Node:
    """One event as the linking sees it."""

    event_id: str
    event_type: str
    first_reported: date | None
    window: Window | None
    articles: list[str] = field(default_factory=list)
    cue: bool | None = None  # read when first needed (see _cue)
    cast: set[str] = field(default_factory=set)
    referenced: list[Window] = field(default_factory=list)  # dated happenings its reports name
    mentioned: set[str] = field(default_factory=set)  # events its reports mention


def event_window(value: object, precision: object) -> Window | None:
    """The days a stated event date covers; None for no date or a bare year (too coarse)."""
    day = as_date(value)
    if day is None or precision not in ("day", "month"):
        return None
    if precision == "day":
        return day - timedelta(days=1), day + timedelta(days=1)
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return day, nxt - timedelta(days=1)


def has_follow_up_cue(title: object, text: object) -> bool:
    """Whether a report's headline or lead names a follow-up stage (charged, plea, trial, ...)."""
    parts = [title] if isinstance(title, str) else []
    if isinstance(text, str):
        lead = text[:LEAD_CHARS]  # the lead is at the top: spare splitting the whole text
        parts += [lead[a:b] for a, b in split_sentences(lead)[:LEAD_SENTENCES]]
    return any(_FOLLOW_UP.search(p) for p in parts)


def is_official_mention(text: str, start: int, end: int) -> bool:
    """Whether the words around a name give its bearer an official role ("Officer X", "X, a
    spokesman for")."""
    before = text[max(0, start - ROLE_CONTEXT) : start]
    after = text[end : end + ROLE_CONTEXT]
    return bool(_OFFICIAL_BEFORE.search(before) or _OFFICIAL_AFTER.match(after))


def cast_of(
    entity_mentions: pd.DataFrame, texts: dict[str, str], among: set[str] | None = None
) -> tuple[dict[str, set[str]], set[str]]:
    """(names per article, officials): canonical entities of CAST_LABELS per article, and the
    entities that are officials or institutions in at least half of their mentions (by the
    words around the name, or in it: ``text``, the mention's surface, when given). With
    ``among``, only those entities are judged (officials is a subset of it): reading the words
    around every mention of every name is most of the cost."""
    per_article: dict[str, set[str]] = defaultdict(set)
    official_votes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    if entity_mentions is None or entity_mentions.empty:
        return {}, set()
    cols = {c: entity_mentions[c].tolist() for c in entity_mentions.columns}
    has_offsets = "start_char" in cols and "end_char" in cols
    surfaces = cols.get("text") or [""] * len(cols["article_id"])
    for i, (article, entity, label) in enumerate(
        zip(cols["article_id"], cols["entity_id"], cols["label"], strict=True)
    ):
        if label not in CAST_LABELS:
            continue
        per_article[article].add(entity)
        if among is not None and entity not in among:
            continue
        votes = official_votes[entity]
        surface = surfaces[i] if isinstance(surfaces[i], str) else ""
        text = texts.get(article)
        if label == "ORG" and _INSTITUTION.search(surface):
            votes[0] += 1
        elif _OFFICIAL_IN_NAME.search(surface):
            votes[0] += 1
        elif has_offsets and isinstance(text, str):
            votes[0] += is_official_mention(
                text, int(cols["start_char"][i]), int(cols["end_char"][i])
            )
        votes[1] += 1
    officials = {e for e, (yes, total) in official_votes.items() if 2 * yes >= total > 0}
    return dict(per_article), officials


def thread_events(
    events: pd.DataFrame,
    event_mentions: pd.DataFrame,
    articles: pd.DataFrame,
    entity_mentions: pd.DataFrame | None,
    explain: list | None = None,
) -> dict[str, str]:
    """The earliest event (the thread's anchor) per event_id: events sharing one are a story.

    ``events``: event_id, event_date, date_precision, first_reported; ``event_mentions``:
    event_id, article_id, is_primary; ``articles``: article_id, title, text (duplicates need
    not be left out: they have no mentions); ``entity_mentions``: article_id, entity_id, label,
    and start_char/end_char/text to recognise officials. ``explain``, when given, receives
    every link made: (earlier event, later event, shared names, back-reference 0/1).
    """
    ev = events.sort_values("event_id", kind="stable")
    nodes: dict[str, _Node] = {}
    for event_id, etype, value, precision, first in zip(
        ev["event_id"],
        ev["event_type"],
        ev["event_date"],
        ev["date_precision"],
        ev["first_reported"],
        strict=True,
    ):
        nodes[event_id] = _Node(event_id, etype, as_date(first), event_window(value, precision))
    if not nodes:
        return {}
    titles = (
        dict(zip(articles["article_id"], articles["title"], strict=True))
        if ("title" in articles.columns)
        else {}
    )
    texts = {
        a: t
        for a, t in zip(articles["article_id"], articles["text"], strict=True)
        if isinstance(t, str)
    }
    mentions = event_mentions.sort_values(["article_id", "event_id"], kind="stable")
    primary_of: dict[str, str] = {}
    in_article: dict[str, set[str]] = defaultdict(set)
    for event_id, article, primary in zip(
        mentions["event_id"], mentions["article_id"], mentions["is_primary"], strict=True
    ):
        in_article[article].add(event_id)
        if primary:
            primary_of[article] = event_id
    for article in sorted(primary_of):
        nodes[primary_of[article]].articles.append(article)
    names, _ = cast_of(entity_mentions, texts, among=set())
    for node in nodes.values():
        for article in node.articles:
            node.cast |= names.get(article, set())
            for other in in_article[article]:
                if other != node.event_id:
                    node.mentioned.add(other)
                    if (w := nodes[other].window) is not None:
                        node.referenced.append(w)
    # The index: events grouped by each specific name; a name in too many events is a beat's,
    # and an official's is no participant's. Whether a name is an official's is read only for
    # the names the index can use (10,000 Reuters items: cast_of 0.86 s -> 0.1 s).
    holders: dict[str, list[str]] = defaultdict(list)
    for event_id in sorted(nodes):
        for entity in nodes[event_id].cast:
            holders[entity].append(event_id)
    usable = {e for e, held in holders.items() if 2 <= len(held) <= MAX_EVENTS_PER_NAME}
    _, officials = cast_of(entity_mentions, texts, among=usable)
    for node in nodes.values():
        node.cast -= officials
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entity in sorted(holders):
        held = holders[entity]
        if entity not in usable or entity in officials:
            continue
        for i, a in enumerate(held):
            for b in held[i + 1 :]:
                shared[(a, b)].append(entity)
    # Each follow-up joins the one earlier event it refers to best (most evidence, then the
    # latest before it, then the lowest id): the links form a forest, so one report naming two
    # look-alikes never bridges them, and a story grows from one happening.
    best: dict[str, tuple] = {}
    for (a, b), names in sorted(shared.items()):
        earlier, later = _ordered(nodes[a], nodes[b])
        if (
            earlier is None
            or earlier.event_type not in FOLLOWED_TYPES
            or later.event_type not in FOLLOW_UP_TYPES
            or not _cue(later, titles, texts)
        ):
            continue
        back = _back_reference(earlier, later)
        evidence = len(names) + back
        if evidence < LINK_EVIDENCE:
            continue
        key = (evidence, _order(earlier)[:2], [-ord(c) for c in earlier.event_id])
        if later.event_id not in best or key > best[later.event_id][0]:
            best[later.event_id] = (key, earlier.event_id, names, back)
    if explain is not None:
        explain.extend((v[1], later, v[2], v[3]) for later, v in sorted(best.items()))
    parent = {e: e for e in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for later in sorted(best):
        ra, rb = find(best[later][1]), find(later)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = defaultdict(list)
    for e in nodes:
        members[find(e)].append(e)
    anchor_of = {}
    for group in members.values():
        anchor = min(group, key=lambda e: _order(nodes[e]))
        for e in group:
            anchor_of[e] = anchor
    return anchor_of


def _cue(node: _Node, titles: dict[str, object], texts: dict[str, str]) -> bool:
    """Whether any of the event's primary reports has a follow-up cue; read only for the
    events that a candidate link needs it of (most events are in none)."""
    if node.cue is None:
        node.cue = any(has_follow_up_cue(titles.get(a), texts.get(a)) for a in node.articles)
    return node.cue


def _order(node: _Node) -> tuple:
    """Earliest first: reported date (undated last), then event id."""
    first = node.first_reported
    return (first is None, first.toordinal() if first else 0, node.event_id)


def _ordered(a: _Node, b: _Node) -> tuple[_Node | None, _Node]:
    """(earlier, later) of two events, or (None, _) when neither can follow up the other.

    Both must be dated: a follow-up is known to come after its happening only by the calendar,
    and an undated report's back-references ("the January shooting") have no year to resolve
    against; its background mentions merge with anything of their kind. Undated reports are
    where look-alikes of one kind meet (ECB+ pairs every dated happening with an undated
    look-alike), so they keep the story of their own event. Too far apart, no link either.
    """
    if a.first_reported is None or b.first_reported is None:
        return None, b
    if abs(a.first_reported - b.first_reported) > MAX_THREAD_GAP:
        return None, b
    return (a, b) if _order(a) <= _order(b) else (b, a)


def _back_reference(earlier: _Node, later: _Node) -> int:
    """1 when the later event's reports name the earlier happening: mention it, or mention a
    happening dated within its window."""
    if earlier.event_id in later.mentioned:
        return 1
    if earlier.window is None:
        return 0
    lo, hi = earlier.window
    return int(any(w[0] <= hi and lo <= w[1] for w in later.referenced))


def stable_story_id(anchor_event_id: str) -> str:
    """A story's id: a hash of its earliest event's id, which is itself anchored on the earliest
    report, so follow-ups joining a story keep its id and a rebuild computes the same one."""
    return "sty_" + hashlib.sha1(f"story|{anchor_event_id}".encode()).hexdigest()[:12]


@without_cycle_collection
def build_stories(
    events: pd.DataFrame,
    event_mentions: pd.DataFrame,
    articles: pd.DataFrame,
    entity_mentions: pd.DataFrame | None,
) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
    """(stories table, story_id per event_id, story_id per article_id).

    An article's story is its primary event's; a content duplicate (no events of its own) takes
    the story of the article it repeats; an article without a main happening has none.
    """
    anchor_of = thread_events(events, event_mentions, articles, entity_mentions)
    story_of_event = {e: stable_story_id(a) for e, a in anchor_of.items()}
    primary = event_mentions[event_mentions["is_primary"].astype(bool)]
    story_of_article = {
        a: story_of_event[e]
        for a, e in zip(primary["article_id"], primary["event_id"], strict=True)
    }
    if "duplicate_of" in articles.columns:
        for a, original in zip(articles["article_id"], articles["duplicate_of"], strict=True):
            if isinstance(original, str) and original in story_of_article:
                story_of_article[a] = story_of_article[original]
    published = dict(zip(articles["article_id"], articles["published_date"], strict=True))
    titles = (
        dict(zip(articles["article_id"], articles["title"], strict=True))
        if "title" in articles.columns
        else {}
    )
    event_day = {
        e: as_date(v) for e, v in zip(events["event_id"], events["event_date"], strict=True)
    }
    first_day = {
        e: as_date(v) for e, v in zip(events["event_id"], events["first_reported"], strict=True)
    }
    event_title = dict(zip(events["event_id"], events["title"], strict=True))
    primary_articles: dict[str, list[str]] = defaultdict(list)
    for a, e in zip(primary["article_id"], primary["event_id"], strict=True):
        primary_articles[e].append(a)
    reports: dict[str, set[str]] = defaultdict(set)
    for e, a in zip(event_mentions["event_id"], event_mentions["article_id"], strict=True):
        reports[story_of_event[e]].add(a)
    source_of = (
        dict(zip(articles["article_id"], articles["source"], strict=True))
        if "source" in articles.columns
        else {}
    )
    groups: dict[str, list[str]] = defaultdict(list)
    for e in sorted(story_of_event):
        groups[story_of_event[e]].append(e)
    rows = []
    for story_id, event_ids in sorted(groups.items()):
        anchor = anchor_of[event_ids[0]]
        days = [event_day[e] for e in event_ids]
        days += [as_date(published.get(a)) for a in reports[story_id]]
        days = [d for d in days if d is not None]
        ordered = sorted(event_ids, key=lambda e: (event_day[e] or first_day[e] or date.max, e))
        arts = sorted(reports[story_id])
        sources = {
            source_of[a] if isinstance(source_of.get(a), str) else f"unknown:{a}" for a in arts
        }
        rows.append(
            {
                "story_id": story_id,
                "title": _story_title(
                    primary_articles.get(anchor, []), titles, published, event_title[anchor]
                ),
                "first_date": min(days) if days else None,
                "last_date": max(days) if days else None,
                "n_events": len(event_ids),
                "n_articles": len(arts),
                "n_sources": len(sources),
                "event_ids": ordered,
            }
        )
    columns = [
        "story_id",
        "title",
        "first_date",
        "last_date",
        "n_events",
        "n_articles",
        "n_sources",
        "event_ids",
    ]
    return pd.DataFrame(rows, columns=columns), story_of_event, story_of_article


def _story_title(
    arts: list[str], titles: dict[str, object], published: dict[str, object], fallback: str
) -> str:
    """The headline of the earliest report (``arts``) of the story's first event, else that
    event's title (``fallback``)."""
    dated = sorted(
        arts,
        key=lambda a: (as_date(published.get(a)) is None, as_date(published.get(a)) or date.min, a),
    )
    for a in dated:
        title = titles.get(a)
        if isinstance(title, str) and title.strip():
            return title.strip()
    return str(fallback)


def write_article_stories(con: duckdb.DuckDBPyConnection, story_of_article: dict[str, str]) -> None:
    """Set ``articles.story_id`` (inside the caller's transaction, beside the events and stories
    it points to).

    The articles table belongs to the cleaning step, which writes the column empty; stories are
    known only once events are. The table's version is deliberately left as it is: no
    expectation of the articles gate reads ``story_id``, so its verdict still holds, and the
    stories gate checks the column against the events (every article carries its primary
    event's story).
    """
    frame = pd.DataFrame(
        sorted(story_of_article.items()), columns=["article_id", "story_id"], dtype=object
    )
    con.execute("UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL")
    con.register("_article_stories", frame)
    try:
        con.execute(
            "UPDATE articles SET story_id = s.story_id FROM _article_stories s "
            "WHERE articles.article_id = s.article_id"
        )
    finally:
        con.unregister("_article_stories")


def moved_story_ids(
    con: duckdb.DuckDBPyConnection,
    mentions: pd.DataFrame,
    story_of_event: dict[str, str],
    key_columns: list[str],
) -> pd.DataFrame:
    """Story ids that disappear with this run, and where their reports went (``id_changes``).

    Keyed on the event mentions, as event ids are: a story is followed through the sentences that
    report it, so a bookmarked story can be followed when an older report re-anchors it or it
    merges into an older story. The previous ids come from the working ``events`` and
    ``event_mentions`` (none before the first run that wrote stories).
    """
    columns = [*key_columns, "story_id"]
    previous = pd.DataFrame(columns=columns)
    if storage.table_exists(con, "events") and storage.table_exists(con, "event_mentions"):
        has_story = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'events' "
            "AND column_name = 'story_id' AND schema_name = 'main'"
        ).fetchone()[0]
        if has_story:
            cols = ", ".join(f'm."{c}"' for c in key_columns)
            previous = con.execute(
                f"SELECT {cols}, e.story_id FROM event_mentions m JOIN events e USING (event_id)"
            ).df()
    current = mentions[key_columns].assign(story_id=mentions["event_id"].map(story_of_event))
    return id_changes(previous, current, "story_id", key_columns)
