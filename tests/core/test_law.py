"""The law we print, character for character: RCW 28A.310.515(2) as the Legislature
publishes it (docs/law.md, a copy of the design folder's LAW.md)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from summit.curricula import SEED_PAGE_CODE, STATUTE_CODE, SUBJECTS
from summit.extensions import db
from summit.models import CurriculumTopic, Topic

ROOT = Path(__file__).resolve().parents[2]
LAW = ROOT / "docs" / "law.md"
DESIGN_LAW = ROOT.parent / "shared" / "design" / "LAW.md"


def statute_subjects(text: str) -> dict[str, str]:
    """(a)…(m) of RCW 28A.310.515(2) from the law's table, without the list's own
    trailing ";", "; and" and "." (LAW.md: they belong to the list's sentence)."""
    rows = re.findall(r"^\| \(([a-m])\) \| (.+?) \|$", text, flags=re.MULTILINE)
    return {letter: re.sub(r"(; and|;|\.)$", "", words) for letter, words in rows}


def test_the_copy_in_docs_is_the_design_folders_law():
    if not DESIGN_LAW.exists():
        pytest.skip(f"{DESIGN_LAW} is not beside this checkout")
    assert LAW.read_text() == DESIGN_LAW.read_text()


def test_thirteen_subjects_equal_the_statute_character_for_character():
    law = statute_subjects(LAW.read_text())
    assert len(law) == 13
    assert {subject.letter: subject.statute_text for subject in SUBJECTS} == law


def test_every_stored_wording_is_the_statutes(curricula):
    law = statute_subjects(LAW.read_text())
    items = db.session.scalars(select(CurriculumTopic)).all()
    assert items
    for item in items:
        letter = re.fullmatch(r"RCW 28A\.310\.515\(2\)\(([a-m])\)", item.statute_reference)
        assert letter, item.statute_reference
        assert item.statute_text == law[letter.group(1)]
        assert item.topic.description == law[letter.group(1)]


def test_no_list_cites_rcw_28a_320_124_for_its_subjects(curricula):
    items = db.session.scalars(select(CurriculumTopic)).all()
    for curriculum in curricula.values():
        assert "28A.320.124" not in curriculum.statute_reference + curriculum.source
    assert not [item for item in items if "28A.320.124" in item.statute_reference]


def test_the_twelve_unit_list_says_it_does_not_cover_restorative_justice(curricula):
    units = curricula[SEED_PAGE_CODE]
    assert "restorative-justice" not in {item.topic.code for item in units.items}
    assert "(m)" in units.source and "not covered" in units.source
    assert curricula[STATUTE_CODE].version == "as amended by ESHB 1214 (2021)"


def test_an_older_installation_gets_the_statutes_words(curricula):
    """Wording stored before the correction is brought up to date by ensure_curricula."""
    from summit.curricula import ensure_curricula

    ferpa = db.session.scalar(select(Topic).where(Topic.code == "ferpa"))
    ferpa.description = "Federal and state law regarding the family educational …"
    for item in curricula[STATUTE_CODE].items:
        item.statute_text = "paraphrase"
    db.session.commit()
    ensure_curricula()
    law = statute_subjects(LAW.read_text())
    assert ferpa.description == law["l"]
    assert [item.statute_text for item in curricula[STATUTE_CODE].items] == [
        law[letter] for letter in "abcdefghijklm"
    ]


def test_the_training_page_prints_the_statutes_words_and_names_hours_as_policy(client, curricula):
    page = client.get("/training").get_data(as_text=True)
    law = statute_subjects(LAW.read_text())
    text = unescape(page)
    assert all(words in text for words in law.values())
    assert "ESD 105 counts a subject done after 60 minutes" in text
    assert "the statute sets no hours" in text
    assert "The law's words" not in text and "28A.320.124" not in text
