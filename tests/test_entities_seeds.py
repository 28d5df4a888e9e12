"""Entities on the seeds, end to end: the people as before, and no junk person."""

from __future__ import annotations

import re


def test_no_junk_person_in_the_seeds(seed_run):
    persons = seed_run.query("SELECT name, aliases FROM entities WHERE label = 'PERSON'")
    forms = [form for aliases in persons["aliases"] for form in aliases]
    assert forms, "the seeds name people"
    # "MrBeijing": an honorific glued to a word by a lost space is not a person.
    assert not [f for f in forms if re.match(r"^(?:Mr|Mrs|Ms|Dr)[A-Z]", f)]
    # Digits, currency words or "vs" never make a person's name.
    assert not [f for f in forms if re.search(r"\d|\bvs\b|\bdlrs\b", f, re.IGNORECASE)]
    beijing = seed_run.query("SELECT label FROM entities WHERE name = 'Beijing'")
    assert beijing["label"].tolist() == ["GPE"]


def test_seed_people_keep_their_entities(seed_run):
    rows = seed_run.query(
        "SELECT name, label, aliases FROM entities "
        "WHERE list_contains(aliases, 'Blinken') OR list_contains(aliases, 'Qin Gang')"
    )
    assert len(rows) == 2 and set(rows["label"]) == {"PERSON"}
    blinken = rows[rows["aliases"].map(lambda a: "Blinken" in a)].iloc[0]
    assert {"Anthony Blinken", "Antony Blinken", "Blinken"} <= set(blinken["aliases"])
    qin = rows[rows["name"] == "Qin Gang"].iloc[0]
    assert "Chen Gang" in set(qin["aliases"])
