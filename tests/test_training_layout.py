"""The training record and the training series documentation fit their pages.

Each is laid out by WeasyPrint exactly as it is printed, for 0, 1, 12 and 13
subjects with long names, agencies, subjects, trainers and schools; then every text
box and image must sit inside the page's content area, and no two may overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from summit.extensions import db
from summit.models import Curriculum, CurriculumTopic, Topic, TrainingSeriesDocumentation, utcnow
from summit.training.documents import documentation_layout, record_layout
from summit.training.evidence import Evidence
from summit.training.proof import _details
from summit.training.record import training_record
from summit.training.services import record_prior_experience
from tests.test_training_support import PDF_BYTES, accepted, check_in_training, on_the_job

# Long subject names: the statute's own words are the longest a curriculum is likely to use.
LONG_SUBJECTS = [
    "Constitutional and civil rights of children in schools, including state law governing "
    "search and interrogation of youth in schools",
    "Educational rights of students with disabilities, the relationship of disability to "
    "behavior, and best practices for interacting with students with disabilities",
    "Bias free policing and cultural competency, including best practices for interacting "
    "with students from particular backgrounds, including English learner, LGBTQ, immigrant, "
    "female, and nonbinary students",
    "Resources available in the community that serve as alternatives to arrest and "
    "prosecution and pathways for youth to access services without court or criminal "
    "justice involvement",
]
LONG_WORD = "Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessen"
TOLERANCE = 0.5  # CSS px


@dataclass(frozen=True)
class Placed:
    page: int
    label: str
    left: float
    top: float
    right: float
    bottom: float


def placed_boxes(laid_out) -> tuple[list[Placed], dict[int, tuple[float, float, float, float]]]:
    """Every non-blank text box and image, and each page's content area, in CSS px."""
    boxes, frames = [], {}
    for number, page in enumerate(laid_out.document.pages):
        page_box = page._page_box
        left, top = page_box.content_box_x(), page_box.content_box_y()
        frames[number] = (left, top, left + page_box.width, top + page_box.height)
        for box in page_box.descendants():
            kind = type(box).__name__
            if kind == "TextBox" and box.text.strip():
                label = box.text.strip()
            elif kind.endswith("ReplacedBox"):
                label = f"<{kind}>"
            else:
                continue
            x, y = box.position_x, box.position_y
            boxes.append(Placed(number, label, x, y, x + box.margin_width(),
                                y + box.margin_height()))  # fmt: skip
    return boxes, frames


def misplaced(laid_out) -> list[str]:
    """What leaves its page's content area or overlaps another box; empty when all fits."""
    boxes, frames = placed_boxes(laid_out)
    problems = []
    for box in boxes:
        left, top, right, bottom = frames[box.page]
        if (
            box.left < left - TOLERANCE
            or box.top < top - TOLERANCE
            or box.right > right + TOLERANCE
            or box.bottom > bottom + TOLERANCE
        ):
            problems.append(f"page {box.page + 1}: {box.label[:40]!r} leaves the page")
    for index, one in enumerate(boxes):
        for other in boxes[index + 1 :]:
            if (
                one.page == other.page
                and one.left < other.right - TOLERANCE
                and other.left < one.right - TOLERANCE
                and one.top < other.bottom - TOLERANCE
                and other.top < one.bottom - TOLERANCE
            ):
                problems.append(
                    f"page {one.page + 1}: {one.label[:40]!r} overlaps {other.label[:40]!r}"
                )
    return problems


def curriculum_of(size: int) -> Curriculum:
    curriculum = Curriculum(
        code=f"layout-{size}",
        name=f"Layout test list of {size} subjects for school safety and security staff",
        statute_reference="RCW 28A.310.515(2)",
    )
    db.session.add(curriculum)
    for position in range(size):
        title = f"{LONG_SUBJECTS[position % len(LONG_SUBJECTS)]} ({position + 1})"
        topic = Topic(code=f"layout-{size}-{position}", title=title[:200])
        reference = f"RCW 28A.310.515(2)({chr(97 + position)})"
        db.session.add(topic)
        curriculum.items.append(
            CurriculumTopic(
                topic=topic, position=position + 1, title=title, statute_reference=reference
            )
        )
    db.session.commit()
    return curriculum


@pytest.fixture
def long_person(make_person):
    return make_person(
        first_name="Maximiliana-Alexandrina Guadalupe",
        last_name="Konstantinopoulou-Vanderschoot " + LONG_WORD[:60],
        agency=(
            "Confederated Tribes and Bands of the Yakama Nation Tribal Police Department, "
            f"School Resource and Community Safety Division {LONG_WORD}"
        )[:200],
        role_type="security",
        assignment_started_on=date(2024, 1, 10),
    )


def everything_recorded(person, curriculum, staff) -> None:
    for item in curriculum.items:
        accepted(person, item.topic_id, staff, minutes=60, completed_on=date(2024, 9, 3),
                 title=f"{item.title[:150]} — self-paced course")  # fmt: skip
    trainer = f"Senior Campus Safety Officer {LONG_WORD}"[:200]
    school = f"Dr. Martin Luther King Jr. Memorial Middle School {LONG_WORD}"[:200]
    for day in (date(2024, 2, 1), date(2024, 2, 8)):
        on_the_job(person, staff, day, trainer=trainer, school=school)
    for n in range(6):
        check_in_training(person, staff, date(2024, 3, 1 + n), trainer=trainer)
    record_prior_experience(
        person,
        reviewed=f"Academy transcript, CJTC certificate and letters {LONG_WORD} " * 4,
        reason="Fifteen years of school-based work across three districts. " * 6,
        files=[Evidence(PDF_BYTES, "pdf", "application/pdf", "transcript.pdf")],
        staff=staff,
    )


@pytest.mark.parametrize("size", [0, 1, 12, 13])
def test_the_record_and_the_documentation_fit_their_pages(app, make_staff, long_person, size):
    staff = make_staff("admin")
    curriculum = curriculum_of(size)
    everything_recorded(long_person, curriculum, staff)
    record = training_record(long_person, curriculum=curriculum)
    assert len(record.topics) == size
    assert record.basis == ("series" if size else "prior_experience")

    laid_out = record_layout(record)
    assert misplaced(laid_out) == []
    placed, _ = placed_boxes(laid_out)
    assert any("Konstantinopoulou" in box.label for box in placed)

    documentation = TrainingSeriesDocumentation(
        person=long_person,
        curriculum_id=curriculum.id,
        serial="S5-POC-2027-000123",
        version=2,
        verification_code="ABCDEFGHJKMNPQRSTVWXYZ2345678901",
        details=_details(record, record.basis),
        issued_at=utcnow(),
    )
    laid_out = documentation_layout(documentation)
    assert misplaced(laid_out) == []
    db.session.rollback()


def test_the_check_finds_text_that_leaves_the_page(app, make_person):
    """The check itself: an unbreakable word in a no-wrap cell does leave the page."""
    from summit.documents.pdf import lay_out_html

    html = (
        '<p style="white-space: nowrap">' + LONG_WORD * 3 + "</p>"
        '<p style="margin-top: -2em">overlapping line</p>'
    )
    problems = misplaced(lay_out_html(html, title="t", author="a"))
    assert any("leaves the page" in problem for problem in problems)
    assert any("overlaps" in problem for problem in problems)
