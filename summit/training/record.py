"""The training record: every subject of the current curriculum and each component of
the training series of RCW 28A.400.345(2), where and when it was done.

:func:`training_record` is the one place that decides whether a subject is done
and whether a component of the series is met; the portal, the staff pages, the
PDF, the district's share page and the training series documentation all read its
answer.

The rule (see ``docs/training.md``):

* summit minutes come from :func:`summit.checkin.credit.credit_minutes` for every
  registration of the person, any event, any year; subjects are matched by topic
  id, so credit earned under one curriculum counts under another;
* accepted self-training entries of kind ``topic`` add their minutes;
* a subject is **done** when one event's own requirement for it was met (what that
  event's certificate says), or when summit + accepted self-training minutes reach
  ``TRAINING_REQUIRED_MINUTES`` (default 60). Minutes are ESD policy: the statute
  sets no hours.

The series has two components for school resource officers and three for other
safety and security staff, counted from ``Person.assignment_started_on``:
classroom training on every subject within six months; two days of on-the-job
training with experienced staff, at their school, within the first year; and, for
staff who are not SROs, at least six check-in trainings with experienced staff
within the first year. Significant prior training and experience, recorded by ESD
staff, is the other basis for the documentation (RCW 28A.400.345(3)); it stands
for the documentation as a whole, never for single subjects.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit.checkin.credit import SessionCredit, credit_minutes
from summit.clock import local_date, today_local
from summit.extensions import db
from summit.models import (
    Curriculum,
    CurriculumTopic,
    Event,
    Person,
    PriorExperience,
    Registration,
    SelfTrainingEntry,
    TrainingEntryStatus,
    TrainingSeriesDocumentation,
)
from summit.training import curriculum_code, required_minutes
from summit.training.errors import CurriculumMissing

CLASSROOM_MONTHS = 6
FIRST_YEAR_MONTHS = 12
ON_THE_JOB_DAYS = 2
CHECK_IN_TRAININGS = 6

SERIES = "series"
PRIOR_EXPERIENCE = "prior_experience"

# RCW 28A.400.345 as published (see /work/shared/design/LAW.md): printed, never paraphrased.
STATUTE_345 = {
    "(2)(a)": "The training series, two components for school resource officers and three "
    "components for other safety and security staff, must meet the requirements in this "
    "subsection.",
    "(2)(b)": "All safety and security staff must complete classroom training on the subjects "
    "listed in RCW 28A.310.515(2), within the first six months of working on school property "
    "when students are expected to be present.",
    "(2)(c)": "All safety and security staff must complete two days of on-the-job training with "
    "experienced safety and security staff, at the school of the experienced staff, within "
    "the first year of working on school property when students are expected to be present.",
    "(2)(d)": "Safety and security staff who are not school resource officers must complete at "
    "least six check-in trainings with experienced staff within the first year of working on "
    "school property when students are expected to be present.",
    "(3)": "School safety and security staff who complete the training series described in "
    "subsection (2) of this section, and staff with significant prior training and "
    "experience, may request training series documentation from an educational service "
    "district under RCW 28A.310.515.",
}

BASIS_TEXTS = {
    SERIES: "completed the training series described in RCW 28A.400.345(2)",
    PRIOR_EXPERIENCE: "significant prior training and experience, RCW 28A.400.345(3)",
}


@dataclass(frozen=True)
class SummitSource:
    """Minutes one event credited on a subject (its own requirement and whether it was met).

    ``completed_on`` is the day of the session that brought the subject to that
    event's requirement; ``sessions`` date every minute, for the running total.
    """

    event_id: int
    event_name: str
    starts_on: date
    ends_on: date
    minutes: int
    required: int
    complete: bool
    completed_on: date | None
    sessions: tuple[SessionCredit, ...]


@dataclass(frozen=True)
class SelfSource:
    """A self-training entry: accepted (counts) or submitted (waiting)."""

    entry_id: int
    kind: str
    title: str
    url: str
    completed_on: date
    minutes: int
    status: TrainingEntryStatus
    reviewed_on: date | None
    experienced_staff: str = ""
    school: str = ""


@dataclass(frozen=True)
class PriorExperienceInfo:
    """An active finding of significant prior training and experience."""

    prior_experience_id: int
    reviewed: str
    reason: str
    recorded_on: date | None
    recorded_by: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class TopicRecord:
    topic_id: int
    code: str
    title: str
    statute_reference: str
    statute_text: str
    summary: str
    position: int
    summit: tuple[SummitSource, ...]
    self_training: tuple[SelfSource, ...]
    pending: tuple[SelfSource, ...]
    required: int
    status: str  # done | missing
    completed_on: date | None

    @property
    def summit_minutes(self) -> int:
        return sum(source.minutes for source in self.summit)

    @property
    def self_minutes(self) -> int:
        return sum(source.minutes for source in self.self_training)

    @property
    def minutes(self) -> int:
        return self.summit_minutes + self.self_minutes

    @property
    def missing_minutes(self) -> int:
        return 0 if self.status != "missing" else max(self.required - self.minutes, 0)

    @property
    def is_done(self) -> bool:
        return self.status == "done"


@dataclass(frozen=True)
class EventAttendance:
    """One summit the person attended sessions of, with that event's own credit."""

    event_id: int
    event_name: str
    starts_on: date
    ends_on: date
    curriculum_name: str
    minutes: int
    complete_topics: int
    total_topics: int
    is_complete: bool


@dataclass(frozen=True)
class Component:
    """One component of the training series: how much, by when, how far along.

    ``occasions`` are the accepted on-the-job days or check-in trainings that name
    the experienced staff (and, on the job, their school): only those count.
    ``unrecorded`` are accepted ones that do not, shown so the person knows why.
    """

    key: str  # classroom | on_the_job | check_in_training
    label: str
    citation: str
    unit: str
    required: int
    done: int
    due_on: date | None
    met_on: date | None
    today: date
    occasions: tuple[SelfSource, ...] = ()
    unrecorded: tuple[SelfSource, ...] = ()
    waiting: int = 0

    @property
    def statute_text(self) -> str:
        return STATUTE_345[self.citation.removeprefix("RCW 28A.400.345")]

    @property
    def met(self) -> bool:
        return self.required > 0 and self.done >= self.required

    @property
    def overdue(self) -> bool:
        return not self.met and self.due_on is not None and self.today > self.due_on

    @property
    def late(self) -> bool:
        """Met, but after its deadline: the documentation says "met late"."""
        return self.met_on is not None and self.due_on is not None and self.met_on > self.due_on

    @property
    def still_needed(self) -> int:
        return max(self.required - self.done, 0)


@dataclass(frozen=True)
class TrainingRecord:
    person: Person
    curriculum_id: int
    curriculum_name: str
    statute_reference: str
    topics: tuple[TopicRecord, ...]
    events: tuple[EventAttendance, ...]
    other_entries: tuple[SelfSource, ...]
    prior_experience: tuple[PriorExperienceInfo, ...]
    components: tuple[Component, ...]
    documentation: TrainingSeriesDocumentation | None
    required_minutes: int
    today: date

    @property
    def classroom_done(self) -> bool:
        return bool(self.topics) and all(topic.is_done for topic in self.topics)

    @property
    def done_count(self) -> int:
        return sum(1 for topic in self.topics if topic.is_done)

    @property
    def missing(self) -> tuple[TopicRecord, ...]:
        return tuple(topic for topic in self.topics if not topic.is_done)

    @property
    def overdue(self) -> tuple[Component, ...]:
        return tuple(component for component in self.components if component.overdue)

    @property
    def pending_count(self) -> int:
        return sum(len(topic.pending) for topic in self.topics)

    @property
    def series_complete(self) -> bool:
        return all(component.met for component in self.components)

    @property
    def basis(self) -> str | None:
        """What training series documentation could rest on today, the series first."""
        if self.series_complete:
            return SERIES
        if self.prior_experience:
            return PRIOR_EXPERIENCE
        return None

    @property
    def shortfalls(self) -> tuple[str, ...]:
        """What the series still lacks, one sentence per component, for people to read."""
        return tuple(_shortfall(self, c) for c in self.components if not c.met)

    def component(self, key: str) -> Component | None:
        return next((c for c in self.components if c.key == key), None)

    def for_topic(self, topic_id: int) -> TopicRecord | None:
        return next((topic for topic in self.topics if topic.topic_id == topic_id), None)


def _shortfall(record: TrainingRecord, component: Component) -> str:
    name = f"{component.label} ({component.citation})"
    if component.key == "classroom":
        if not record.topics:
            return f"{name}: the curriculum {record.curriculum_name} lists no subjects"
        titles = "; ".join(topic.title for topic in record.missing)
        return (
            f"{name}: {component.done} of {component.required} subjects done, "
            f"{component.still_needed} missing ({titles})"
        )
    sentence = (
        f"{name}: {component.done} of {component.required} {component.unit} recorded, "
        f"{component.still_needed} more needed"
    )
    if component.unrecorded:
        who = (
            "the experienced staff and their school"
            if component.key == "on_the_job"
            else ("the experienced staff")
        )
        sentence += f"; {len(component.unrecorded)} accepted without {who} do not count"
    if component.waiting:
        sentence += f"; {component.waiting} waiting for review"
    return sentence


def current_curriculum() -> Curriculum:
    """The curriculum named by ``TRAINING_CURRICULUM`` (default: the RCW 28A.310.515 list)."""
    code = curriculum_code()
    curriculum = db.session.scalar(
        select(Curriculum)
        .where(Curriculum.code == code)
        .options(selectinload(Curriculum.items).selectinload(CurriculumTopic.topic))
    )
    if curriculum is None:
        raise CurriculumMissing(
            f"The training curriculum {code!r} is not loaded. Run `flask --app summit init-db`."
        )
    return curriculum


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def training_record(
    person: Person, *, today: date | None = None, curriculum: Curriculum | None = None
) -> TrainingRecord:
    """Everything ``person`` has done, per subject and per component, across all years."""
    today = today or today_local()
    curriculum = curriculum or current_curriculum()
    needed = required_minutes()

    summit_by_topic, events = _summit_credit(person)
    entries = _self_training_entries(person)
    topics = [
        _topic_record(item, entries, tuple(summit_by_topic.get(item.topic_id, ())), needed)
        for item in curriculum.items
    ]
    others = tuple(
        _self_source(e)
        for e in entries
        if e.kind != "topic" and e.status != TrainingEntryStatus.RETURNED
    )
    documentation = db.session.scalar(
        select(TrainingSeriesDocumentation).where(
            TrainingSeriesDocumentation.person_id == person.id,
            TrainingSeriesDocumentation.curriculum_id == curriculum.id,
            TrainingSeriesDocumentation.revoked_at.is_(None),
        )
    )
    return TrainingRecord(
        person=person,
        curriculum_id=curriculum.id,
        curriculum_name=curriculum.name,
        statute_reference=curriculum.statute_reference,
        topics=tuple(topics),
        events=events,
        other_entries=others,
        prior_experience=_prior_experience(person),
        components=_components(person, topics, others, today),
        documentation=documentation,
        required_minutes=needed,
        today=today,
    )


def _self_training_entries(person: Person) -> list[SelfTrainingEntry]:
    return list(
        db.session.scalars(
            select(SelfTrainingEntry)
            .where(SelfTrainingEntry.person_id == person.id)
            .order_by(SelfTrainingEntry.completed_on, SelfTrainingEntry.id)
        )
    )


def _topic_record(
    item: CurriculumTopic,
    entries: list[SelfTrainingEntry],
    summit: tuple[SummitSource, ...],
    needed: int,
) -> TopicRecord:
    """One subject: summit sessions and accepted self-training decide it; pending is shown."""
    topic_entries = [e for e in entries if e.kind == "topic" and e.topic_id == item.topic_id]
    accepted = tuple(_self_source(e) for e in topic_entries if e.status.counts)
    pending = tuple(_self_source(e) for e in topic_entries if e.status.awaits_review)
    status, required, completed_on = _decide(summit, accepted, needed)
    return TopicRecord(
        topic_id=item.topic_id,
        code=item.topic.code,
        title=item.title,
        statute_reference=item.statute_reference,
        statute_text=item.statute_text or item.topic.description,
        summary=item.topic.summary,
        position=item.position,
        summit=summit,
        self_training=accepted,
        pending=pending,
        required=required,
        status=status,
        completed_on=completed_on,
    )


def _summit_credit(person: Person) -> tuple[dict[int, list[SummitSource]], tuple]:
    """Credit per topic id from every registration of ``person`` that attended sessions."""
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.person_id == person.id)
        .join(Event, Registration.event_id == Event.id)
        .order_by(Event.starts_on, Registration.id)
    ).all()
    by_topic: dict[int, list[SummitSource]] = {}
    events = []
    for registration in registrations:
        credit = credit_minutes(registration)
        if credit.sessions_attended == 0:
            continue
        event = registration.event
        events.append(
            EventAttendance(
                event_id=event.id,
                event_name=event.name,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
                curriculum_name=event.curriculum.name,
                minutes=credit.total_minutes,
                complete_topics=credit.complete_topics,
                total_topics=len(credit.topics),
                is_complete=credit.is_complete,
            )
        )
        for topic in credit.topics:
            if topic.minutes <= 0:
                continue
            by_topic.setdefault(topic.topic_id, []).append(
                SummitSource(
                    event_id=event.id,
                    event_name=event.name,
                    starts_on=event.starts_on,
                    ends_on=event.ends_on,
                    minutes=topic.minutes,
                    required=topic.required,
                    complete=topic.complete,
                    completed_on=topic.completed_on,
                    sessions=topic.sessions,
                )
            )
    return by_topic, tuple(events)


def _self_source(entry: SelfTrainingEntry) -> SelfSource:
    return SelfSource(
        entry_id=entry.id,
        kind=entry.kind,
        title=entry.title,
        url=entry.url,
        completed_on=entry.completed_on,
        minutes=entry.minutes,
        status=entry.status,
        reviewed_on=local_date(entry.reviewed_at),
        experienced_staff=entry.experienced_staff,
        school=entry.school,
    )


def _prior_experience(person: Person) -> tuple[PriorExperienceInfo, ...]:
    rows = db.session.scalars(
        select(PriorExperience)
        .where(PriorExperience.person_id == person.id, PriorExperience.withdrawn_at.is_(None))
        .order_by(PriorExperience.created_at, PriorExperience.id)
        .options(selectinload(PriorExperience.files))
    )
    return tuple(
        PriorExperienceInfo(
            prior_experience_id=row.id,
            reviewed=row.reviewed,
            reason=row.reason,
            recorded_on=local_date(row.created_at),
            recorded_by=row.recorded_by.display_name if row.recorded_by else "",
            files=tuple(file.filename for file in row.files),
        )
        for row in rows
    )


def _decide(
    summit: tuple[SummitSource, ...], accepted: tuple[SelfSource, ...], needed: int
) -> tuple[str, int, date | None]:
    """``(status, required minutes, date completed)`` of one subject.

    The date is the earliest of: the session day that met one event's own
    requirement, and the day the running total of dated minutes (sessions and
    accepted self-training) reached ``needed``.
    """
    candidates: list[tuple[date, int]] = [
        (source.completed_on, source.required)
        for source in summit
        if source.complete and source.completed_on is not None
    ]
    dated = sorted(
        [(session.day, session.minutes) for source in summit for session in source.sessions]
        + [(source.completed_on, source.minutes) for source in accepted]
    )
    total = 0
    for day, minutes in dated:
        total += minutes
        if total >= needed:
            candidates.append((day, needed))
            break
    if not candidates:
        return "missing", needed, None
    day, required = min(candidates, key=lambda candidate: candidate[0])
    return "done", required, day


def _components(
    person: Person, topics: list[TopicRecord], others: tuple[SelfSource, ...], today: date
) -> tuple[Component, ...]:
    """The parts of RCW 28A.400.345(2) that apply to ``person``, each with its due date."""
    start = person.assignment_started_on
    classroom_due = add_months(start, CLASSROOM_MONTHS) if start else None
    year_due = add_months(start, FIRST_YEAR_MONTHS) if start else None
    components = [
        _classroom(topics, classroom_due, today),
        _on_the_job(others, year_due, today),
    ]
    if person.role_type != "sro":
        components.append(_check_in_trainings(others, year_due, today))
    return tuple(components)


def _classroom(topics: list[TopicRecord], due_on: date | None, today: date) -> Component:
    done = bool(topics) and all(topic.is_done for topic in topics)
    return Component(
        key="classroom",
        label="Classroom training",
        citation="RCW 28A.400.345(2)(b)",
        unit="subjects",
        required=len(topics),
        done=sum(1 for topic in topics if topic.is_done),
        due_on=due_on,
        met_on=max(t.completed_on for t in topics if t.completed_on) if done else None,
        today=today,
    )


def _on_the_job(others: tuple[SelfSource, ...], due_on: date | None, today: date) -> Component:
    """Days at a school beside experienced staff; a day without both facts is shown, not counted."""
    job = [o for o in others if o.status.counts and o.kind == "on_the_job"]
    days = _first_per_day(o for o in job if o.experienced_staff and o.school)
    return Component(
        key="on_the_job",
        label="On-the-job training",
        citation="RCW 28A.400.345(2)(c)",
        unit="days",
        required=ON_THE_JOB_DAYS,
        done=len(days),
        due_on=due_on,
        met_on=days[ON_THE_JOB_DAYS - 1].completed_on if len(days) >= ON_THE_JOB_DAYS else None,
        today=today,
        occasions=tuple(days),
        unrecorded=tuple(o for o in job if not (o.experienced_staff and o.school)),
        waiting=_waiting(others, "on_the_job"),
    )


def _check_in_trainings(
    others: tuple[SelfSource, ...], due_on: date | None, today: date
) -> Component:
    check_in = [o for o in others if o.status.counts and o.kind == "check_in_training"]
    counted = [o for o in check_in if o.experienced_staff]
    enough = len(counted) >= CHECK_IN_TRAININGS
    return Component(
        key="check_in_training",
        label="Check-in trainings",
        citation="RCW 28A.400.345(2)(d)",
        unit="check-in trainings",
        required=CHECK_IN_TRAININGS,
        done=len(counted),
        due_on=due_on,
        met_on=counted[CHECK_IN_TRAININGS - 1].completed_on if enough else None,
        today=today,
        occasions=tuple(counted),
        unrecorded=tuple(o for o in check_in if not o.experienced_staff),
        waiting=_waiting(others, "check_in_training"),
    )


def _waiting(others: tuple[SelfSource, ...], kind: str) -> int:
    return sum(1 for o in others if o.kind == kind and o.status.awaits_review)


def _first_per_day(sources) -> list[SelfSource]:
    """One entry per date, in date order: two entries on one day are one day of training."""
    days: dict[date, SelfSource] = {}
    for source in sorted(sources, key=lambda s: (s.completed_on, s.entry_id)):
        days.setdefault(source.completed_on, source)
    return list(days.values())
