"""The training record and the training series documentation fit their pages.

Each is laid out by WeasyPrint exactly as it is printed, for 0, 1, 12 and 13
subjects with long names, agencies, subjects, trainers and schools; then
``LaidOutDocument.layout_problems`` checks that every text run and image sits
inside the page's frame (the body, inside the page margins) and overlaps no other.
"""

from __future__ import annotations

from datetime import date

import pytest

from summit.extensions import db
from summit.models import Curriculum, CurriculumTopic, Topic, TrainingSeriesDocumentation, utcnow
from summit.training.documents import documentation_layout, record_layout
from summit.training.evidence import Evidence
from summit.training.proof import _details
from summit.training.record import training_record
from summit.training.services import record_prior_experience
from tests.helpers import PDF_BYTES, accepted, check_in_training, on_the_job

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
        accepted(
            person,
            item.topic_id,
            staff,
            minutes=60,
            completed_on=date(2024, 9, 3),
            title=f"{item.title[:150]} — self-paced course",
        )
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
    assert laid_out.layout_problems() == []

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
    assert laid_out.layout_problems() == []
    db.session.rollback()
