"""Templated wire briefs: two companies' results are two happenings, whatever they share.

A results brief differs from another company's only in the company and the figures; story
clustering gathers them as one kind of story, and the headline's principal participants
(``pipeline.stories.Principals``) keep them apart. Event words and dates of such briefs must be
right too: an accounting charge is not a LEGAL happening, a fiscal period is not its date.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipeline.dates import resolve_dates
from pipeline.event_types import find_triggers
from pipeline.stories import capitals_headline, story_clusters

COMPANIES = [
    ("KANEB ENERGY PARTNERS LTD <KEP>", "Kaneb Energy Partners"),
    ("POTOMAC ELECTRIC POWER CO <POM>", "Potomac Electric Power"),
    ("CORADIAN CORP <CDIN>", "Coradian"),
    ("HANDY AND HARMAN <HNH>", "Handy and Harman"),
    ("GTI CORP <GTI>", "GTI"),
    ("MAIL BOXES ETC <MAIL>", "Mail Boxes"),
]


def _brief(head: str, figure: int, version: int) -> str:
    note = "NOTE: Net includes charge of 2.6 mln dlrs for restructuring." if version else ""
    return (
        f"{head} 4TH QTR NET\n"
        f"NEW YORK, March 2 - Shr {figure} cts vs {figure + 3} cts\n"
        f"Net {figure * 1000} vs {figure * 900}\nRevs {figure}.1 mln vs {figure}.4 mln\n"
        f"Year\nShr 1.{figure} dlrs vs 1.{figure + 1} dlrs\nAvg shrs 6,194,000 vs 6,155,461\n"
        f"{note}"
    )


def test_results_briefs_of_different_companies_are_different_stories():
    texts, ids = [], []
    for k, (head, _) in enumerate(COMPANIES):
        for version in (0, 1):  # each company's brief twice, as the wire repeats it
            texts.append(_brief(head, 10 + 7 * k, version))
            ids.append(f"{k}-{version}")
    arts = pd.DataFrame(
        {"article_id": ids, "text": texts, "published_date": [date(1987, 3, 2)] * len(ids)}
    )
    stories = story_clusters(arts)
    for k in range(len(COMPANIES)):
        assert stories[f"{k}-0"] == stories[f"{k}-1"]
    assert len({stories[f"{k}-0"] for k in range(len(COMPANIES))}) == len(COMPANIES)


def test_principal_words_come_only_from_headlines_in_capitals():
    in_capitals, words = capitals_headline("KANEB ENERGY PARTNERS LTD <KEP> 4TH QTR LOSS\nText.")
    assert in_capitals and "w:kaneb" in words and "w:4th" not in words
    assert capitals_headline("Teenager shot and killed in Waterbury\nText.") == (False, [])
    assert capitals_headline("Teen Killed, Another Wounded in St. Paul Shooting\nT.") == (False, [])
    lead = "A 61-year-old Vancouver man was charged with first-degree murder on Saturday.\n"
    assert capitals_headline(lead) == (False, [])
    assert capitals_headline("GM LATE FEBRUARY CAR SALES OFF 8.6 PCT\n")[1] == [
        "w:car",
        "w:sales",
        "w:pct",
    ]


def test_an_accounting_charge_is_not_a_legal_happening():
    def types(sentence: str) -> set[str]:
        return {t.event_type for t in find_triggers(sentence)}

    assert "LEGAL" not in types("Net loss includes charge for restructuring of 2.6 mln dlrs")
    assert "LEGAL" not in types("Losses include charges of 4.0 mln dlrs in both periods")
    assert "LEGAL" not in types("Net excludes extraordinary charges from provision")
    assert "LEGAL" in types("Police filed charges against him on Friday")
    assert "LEGAL" in types("He faces charges of murder")
    assert "BUSINESS" in types("Emhart Corp raised its quarterly dividend")
    assert types("KANEB ENERGY PARTNERS LTD <KEP> 4TH QTR LOSS") == {"BUSINESS"}


def test_headlines_in_capitals_have_event_words():
    found = {(t.event_type, t.text) for t in find_triggers("USAIR REJECTS TWA TAKEOVER BID")}
    assert ("REJECT", "REJECTS") in found and ("BUSINESS", "TAKEOVER") in found
    assert find_triggers("The Fire Department said") == []  # a name mid-sentence still is one


def test_the_end_of_a_fiscal_period_is_not_a_happening_date():
    anchor = date(1987, 3, 2)
    assert resolve_dates("Qtr ended Jan 31", anchor) == []
    assert resolve_dates("Nine mths to Nov 30 net rose", anchor) == []
    assert resolve_dates("Net for fiscal 1986 rose 12 pct", anchor) == []
    assert [d.value for d in resolve_dates("The plant closed on Jan 31", anchor)] == [
        date(1987, 1, 31)
    ]
