"""The training subjects and the lists that teach them, as shipped reference data.

The subjects are those of RCW 28A.310.515(2) as amended in 2021 (ESHB 1214),
worded character for character as the Legislature publishes them (``docs/law.md``,
a copy of the design folder's ``LAW.md``), each with its letter. ESD 105's S5
unit titles are *names for those subjects*, not law, and are labelled as ESD
105's wherever they are printed.

Topics are shared rows: the same subject under ESD 105's older 12-unit list and
under the statute's 13-subject list is one Topic, so credit earned under one
counts under the other. Nothing in the code depends on how many subjects a list has.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from summit.extensions import db
from summit.models import Curriculum, CurriculumTopic, Event, Topic
from summit.transactions import write_transaction

STATUTE = "RCW 28A.310.515(2)"
STATUTE_VERSION = "as amended by ESHB 1214 (2021)"
UNITS_SOURCE = "ESD 105 S5 unit title"


@dataclass(frozen=True)
class Subject:
    """One subject of RCW 28A.310.515(2): its letter, the statute's words, ESD 105's unit title."""

    code: str
    letter: str
    statute_text: str
    unit_title: str

    @property
    def reference(self) -> str:
        return f"{STATUTE}({self.letter})"


# RCW 28A.310.515(2)(a)-(m), verbatim, without the list's own ";", "; and" and ".".
SUBJECTS: tuple[Subject, ...] = (
    Subject("civil-rights", "a",
            "Constitutional and civil rights of children in schools, including state law "
            "governing search and interrogation of youth in schools",
            "Constitutional & Civil Rights of Children in School"),
    Subject("development", "b", "Child and adolescent development",
            "Child Adolescent Development (Adolescent Brain Development)"),
    Subject("trauma", "c", "Trauma-informed approaches to working with youth",
            "Trauma Informed Approaches"),
    Subject("mental-health", "d", "Recognizing and responding to youth mental health issues",
            "Recognition and Responding to Youth Mental Health Issues"),
    Subject("disabilities", "e",
            "Educational rights of students with disabilities, the relationship of disability "
            "to behavior, and best practices for interacting with students with disabilities",
            "Educational Rights of Students With Disabilities; Disability and Behavior; "
            "Best Practices for Interacting With Students With Disabilities"),
    Subject("bias-free", "f",
            "Bias free policing and cultural competency, including best practices for "
            "interacting with students from particular backgrounds, including English "
            "learner, LGBTQ, immigrant, female, and nonbinary students",
            "Bias Free Policing; Cultural Competency; Diversity Training"),
    Subject("disparities", "g",
            "Local and national disparities in the use of force and arrests of children",
            "Disparities in the Use of Force and Arrests of Children"),
    Subject("collateral", "h",
            "Collateral consequences of arrest, referral for prosecution, and court involvement",
            "Collateral Consequences of Arrest, Referral for Prosecution & Court Involvement"),
    Subject("community-resources", "i",
            "Resources available in the community that serve as alternatives to arrest and "
            "prosecution and pathways for youth to access services without court or "
            "criminal justice involvement",
            "Community Resources: Alternatives to Arrest & Prosecution; Pathways to Access "
            "Services w/o court or Criminal Justice Involvement"),
    Subject("de-escalation", "j",
            "De-escalation techniques when working with youth or groups of youth",
            "De-Escalation Techniques"),
    Subject("restraint", "k",
            "State law regarding restraint and isolation in schools, including RCW 28A.600.485",
            "Restraint and Isolation in Schools"),
    Subject("ferpa", "l",
            "The federal family educational rights and privacy act (20 U.S.C. Sec. 1232g) "
            "requirements including limits on access to and dissemination of student records "
            "for noneducational purposes",
            "FERPA (Family Educational Rights and Privacy Act)"),
    Subject("restorative-justice", "m", "Restorative justice principles and practices",
            "Restorative Justice Principles and Practices"),
)  # fmt: skip

STATUTE_CODE = "wa-rcw-28a-310-515"
UNITS_12_CODE = "wa-sro-2019"  # kept: events of earlier years point at it
SEED_PAGE_CODE = UNITS_12_CODE  # the list the project's seed page names

# ESD 105's S5 units in the order of its page; the 12-unit list is the same without (m).
UNIT_ORDER = (
    "civil-rights", "development", "trauma", "mental-health", "disabilities", "collateral",
    "community-resources", "disparities", "de-escalation", "restraint", "bias-free", "ferpa",
)  # fmt: skip
# The seed page words unit 1 "Constitution & …"; ESD 105's current page "Constitutional & …".
SEED_PAGE_TITLES = {"civil-rights": "Constitution & Civil Rights of Children in School"}


@dataclass(frozen=True)
class CurriculumData:
    code: str
    name: str
    version: str
    source: str
    is_statutory: bool
    subjects: tuple[tuple[Subject, str], ...]  # (subject, the title this list gives it)


def shipped_curricula() -> tuple[CurriculumData, ...]:
    """The two lists summit ships: the statute's 13 subjects and ESD 105's 12 units."""
    by_code = {subject.code: subject for subject in SUBJECTS}
    return (
        CurriculumData(
            STATUTE_CODE,
            f"Subjects of {STATUTE}",
            STATUTE_VERSION,
            f"{STATUTE}, {STATUTE_VERSION}: the subjects' words are the statute's; "
            f"their titles are ESD 105's S5 unit titles.",
            True,
            tuple((subject, subject.unit_title) for subject in SUBJECTS),
        ),
        CurriculumData(
            UNITS_12_CODE,
            "ESD 105 S5 units, 12-unit list",
            "12 units (before subject (m) was added)",
            f"ESD 105's S5 unit titles, each naming a subject of {STATUTE}; "
            f"subject (m), restorative justice, is not covered by this list.",
            False,
            tuple(
                (by_code[code], SEED_PAGE_TITLES.get(code, by_code[code].unit_title))
                for code in UNIT_ORDER
            ),
        ),
    )


@write_transaction()
def ensure_curricula() -> dict[str, Curriculum]:
    """Create the shipped subjects and both lists, or bring their wording up to date.

    Idempotent, so ``init-db``, ``demo`` and tests can all call it. An installation
    made before the wording was corrected gets the statute's words on the next
    call; certificates already issued keep what they printed (their snapshot).
    """
    topics = {topic.code: topic for topic in db.session.scalars(select(Topic))}
    for subject in SUBJECTS:
        topic = topics.get(subject.code) or Topic(code=subject.code)
        topic.title, topic.description = subject.unit_title, subject.statute_text
        if topic.id is None:
            db.session.add(topic)
        topics[subject.code] = topic
    curricula = {data.code: _ensure_curriculum(data, topics) for data in shipped_curricula()}
    return curricula


def _ensure_curriculum(data: CurriculumData, topics: dict[str, Topic]) -> Curriculum:
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.code == data.code))
    if curriculum is None:
        curriculum = Curriculum(code=data.code)
        db.session.add(curriculum)
    curriculum.name, curriculum.version, curriculum.source = data.name, data.version, data.source
    curriculum.statute_reference = STATUTE
    curriculum.is_statutory = data.is_statutory
    current = {item.topic.code: item for item in curriculum.items}
    if set(current) != {subject.code for subject, _ in data.subjects}:
        curriculum.items.clear()
        db.session.flush()
        current = {}
    for position, (subject, title) in enumerate(data.subjects, 1):
        item = current.get(subject.code) or CurriculumTopic(topic=topics[subject.code])
        item.position, item.title = position, title
        item.statute_reference, item.statute_text = subject.reference, subject.statute_text
        if subject.code not in current:
            curriculum.items.append(item)
    return curriculum


def subject_letter(statute_reference: str) -> str:
    """``"RCW 28A.310.515(2)(h)"`` → ``"h"``: the subject's letter in the statute."""
    return statute_reference.rsplit("(", 1)[-1].rstrip(")") if statute_reference else ""


def statutory_curriculum(event: Event | None = None) -> Curriculum:
    """The statute's own list of subjects, what a certificate of completion must cover.

    An event on the statute's list needs no query; an event on an older list (ESD
    105's 12 units) is measured against the statute's list all the same.
    """
    if event is not None and event.curriculum.is_statutory:
        return event.curriculum
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.code == STATUTE_CODE))
    return curriculum if curriculum is not None else ensure_curricula()[STATUTE_CODE]


def minutes_policy(organisation: str, minutes: int | None, *, whole_summits: bool = False) -> str:
    """The one sentence every page and document uses for hours: ESD policy, never the law's.

    ``whole_summits`` adds the training record's second way to complete a subject: one
    summit that credited it in full by its own minutes.
    """
    amount = f"{minutes} minutes" if minutes is not None else "the minutes it sets per subject"
    alternative = (
        ", or when one summit credited it in full by that summit's own minutes"
        if whole_summits
        else ""
    )
    return (
        f"{organisation} counts a subject done after {amount} on it "
        f"({organisation} policy; the statute sets no hours){alternative}."
    )
