"""The two mandated training lists, as shipped reference data.

Topics are shared rows: the same subject under the 2019 seed-page list and the
2021 statute list is one Topic, so credit earned under one counts under the other.
Nothing in the code depends on how many topics a list has.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from summit.extensions import db
from summit.models import Curriculum, CurriculumTopic, Topic


@dataclass(frozen=True)
class TopicData:
    code: str
    title: str
    statute_letter: str
    statute_text: str


TOPICS: tuple[TopicData, ...] = (
    TopicData("civil-rights", "Constitutional and civil rights of children in schools", "a",
              "Constitutional and civil rights of children in schools, including state law "
              "regarding search and interrogation of youth in schools"),
    TopicData("development", "Child and adolescent development", "b",
              "Child and adolescent development"),
    TopicData("trauma", "Trauma-informed approaches", "c",
              "Trauma-informed approaches to working with youth"),
    TopicData("mental-health", "Youth mental health", "d",
              "Recognizing and responding to youth mental health issues"),
    TopicData("disabilities", "Students with disabilities", "e",
              "Educational rights of students with disabilities, the relationship of disability "
              "to behavior, and best practices for interacting with students with disabilities"),
    TopicData("bias-free", "Bias-free policing and cultural competency", "f",
              "Bias free policing and cultural competency, including best practices for "
              "interacting with students from particular backgrounds, including English "
              "learner, LGBTQ, immigrant, female, and nonbinary students"),
    TopicData("disparities", "Disparities in use of force and arrests", "g",
              "Local and national disparities in the use of force and arrests of children"),
    TopicData("collateral", "Collateral consequences of arrest", "h",
              "Collateral consequences of arrest, and referral for prosecution and court "
              "involvement, for children"),
    TopicData("community-resources", "Community resources and alternatives to arrest", "i",
              "Resources available in the community that serve as alternatives to arrest and "
              "prosecution and pathways for youth to access services without court or "
              "criminal justice involvement"),
    TopicData("de-escalation", "De-escalation techniques", "j",
              "De-escalation techniques when working with youth or groups of youth"),
    TopicData("restraint", "Restraint and isolation", "k",
              "State law regarding restraint and isolation in schools, including "
              "RCW 28A.600.485"),
    TopicData("ferpa", "FERPA and student records", "l",
              "Federal and state law regarding the family educational and privacy rights act "
              "of 1974 (FERPA), including the limitations of access to student records for "
              "noneducational purposes"),
    TopicData("restorative-justice", "Restorative justice", "m",
              "Restorative justice principles and practices"),
)  # fmt: skip

SEED_PAGE_CODE = "wa-sro-2019"
STATUTE_CODE = "wa-rcw-28a-310-515"

# The seed page's twelve areas, worded exactly as it words them, in its order.
SEED_PAGE_LIST: tuple[tuple[str, str], ...] = (
    ("civil-rights", "Constitution & Civil Rights of Children in School"),
    ("development", "Child Adolescent Development (Adolescent Brain Development)"),
    ("trauma", "Trauma Informed Approaches"),
    ("mental-health", "Recognition and Responding to Youth Mental Health Issues"),
    ("disabilities", "Educational Rights of Students With Disabilities; Disability and Behavior; "
                     "Best Practices for Interacting With Students With Disabilities"),
    ("collateral", "Collateral Consequences of Arrest, Referral for Prosecution & Court "
                   "Involvement"),
    ("community-resources", "Community Resources: Alternatives to Arrest & Prosecution; "
                            "Pathways to Access Services w/o court or Criminal Justice "
                            "Involvement"),
    ("disparities", "Disparities in the Use of Force and Arrests of Children"),
    ("de-escalation", "De-Escalation Techniques"),
    ("restraint", "Restraint and Isolation in Schools"),
    ("bias-free", "Bias Free Policing; Cultural Competency; Diversity Training"),
    ("ferpa", "FERPA (Family Educational Rights and Privacy Act)"),
)  # fmt: skip


def ensure_curricula() -> dict[str, Curriculum]:
    """Create the shipped topics and both curricula if missing; returns them by code.

    Idempotent, so ``init-db``, ``seed-demo`` and tests can all call it.
    """
    topics = {topic.code: topic for topic in db.session.scalars(select(Topic))}
    by_code = {data.code: data for data in TOPICS}
    for data in TOPICS:
        if data.code not in topics:
            topics[data.code] = Topic(
                code=data.code, title=data.title, description=data.statute_text
            )
            db.session.add(topics[data.code])

    seed_items = [
        (code, title, f"RCW 28A.320.124 item {n}", by_code[code].statute_text)
        for n, (code, title) in enumerate(SEED_PAGE_LIST, start=1)
    ]
    statute_items = [
        (d.code, d.title, f"RCW 28A.310.515(2)({d.statute_letter})", d.statute_text)
        for d in sorted(TOPICS, key=lambda d: d.statute_letter)
    ]
    curricula = {
        SEED_PAGE_CODE: _ensure_curriculum(
            SEED_PAGE_CODE,
            "Twelve training areas for school resource officers (ESD 105 S5 units)",
            "RCW 28A.320.124 (2019)",
            seed_items,
            topics,
        ),
        STATUTE_CODE: _ensure_curriculum(
            STATUTE_CODE,
            "Training for school resource officers and school safety and security staff",
            "RCW 28A.310.515(2)",
            statute_items,
            topics,
        ),
    }
    db.session.commit()
    return curricula


def _ensure_curriculum(code, name, reference, items, topics) -> Curriculum:
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.code == code))
    if curriculum is not None:
        return curriculum
    curriculum = Curriculum(code=code, name=name, statute_reference=reference)
    for position, (topic_code, title, item_reference, statute_text) in enumerate(items, 1):
        curriculum.items.append(
            CurriculumTopic(
                topic=topics[topic_code],
                position=position,
                title=title,
                statute_reference=item_reference,
                statute_text=statute_text,
            )
        )
    db.session.add(curriculum)
    return curriculum
