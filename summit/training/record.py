"""The training record: every topic of the current curriculum, where and when it was done.

:func:`training_record` is the one place that decides whether a topic is done;
the portal, the staff pages, the PDF, the district's share page and the
proof-of-completion check all read its answer.

The rule (see ``docs/training.md``):

* summit minutes come from :func:`summit.checkin.credit.credit_minutes` for every
  registration of the person, any event, any year; topics are matched by topic
  id, so credit earned under one curriculum counts under another;
* accepted self-training entries of kind ``topic`` add their minutes;
* a topic is **done** when one event's own requirement for it was met (what that
  event's certificate says), or when summit + accepted self-training minutes reach
  ``TRAINING_REQUIRED_MINUTES`` (default 60);
* otherwise an active waiver (for that topic, or for all topics) makes it
  **waived**; else it is **missing**.

Deadlines follow RCW 28A.400.345 from ``Person.assignment_started_on``: every
classroom topic within 6 months; 2 days of on-the-job training and, for staff
who are not SROs, 6 check-in trainings within the first year.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit.checkin.credit import credit_minutes
from summit.clock import local_date, today_local
from summit.extensions import db
from summit.models import (
    Curriculum,
    CurriculumTopic,
    Event,
    Person,
    ProofOfCompletion,
    Registration,
    SelfTrainingEntry,
    TrainingWaiver,
)
from summit.training import curriculum_code, required_minutes
from summit.training.errors import CurriculumMissing

CLASSROOM_MONTHS = 6
FIRST_YEAR_MONTHS = 12
ON_THE_JOB_DAYS = 2
CHECK_IN_TRAININGS = 6


@dataclass(frozen=True)
class SummitSource:
    """Minutes one event credited on a topic (its own requirement and whether it was met)."""

    event_id: int
    event_name: str
    starts_on: date
    ends_on: date
    minutes: int
    required: int
    complete: bool


@dataclass(frozen=True)
class SelfSource:
    """A self-training entry on a topic: accepted (counts) or submitted (waiting)."""

    entry_id: int
    title: str
    url: str
    completed_on: date
    minutes: int
    status: str
    reviewed_on: date | None


@dataclass(frozen=True)
class WaiverInfo:
    waiver_id: int
    topic_id: int | None
    reason: str
    granted_on: date | None
    granted_by: str


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
    waiver: WaiverInfo | None
    required: int
    status: str  # done | waived | missing
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
        return self.status in ("done", "waived")


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
class Deadline:
    """One RCW 28A.400.345 requirement: how much, by when, how far along."""

    key: str  # classroom | on_the_job | check_in_training
    label: str
    unit: str
    required: int
    done: int
    due_on: date | None
    met_on: date | None
    waived: bool
    today: date

    @property
    def met(self) -> bool:
        return self.waived or self.done >= self.required

    @property
    def overdue(self) -> bool:
        return not self.met and self.due_on is not None and self.today > self.due_on

    @property
    def late(self) -> bool:
        """Met, but after the deadline."""
        return (
            not self.waived
            and self.met_on is not None
            and self.due_on is not None
            and self.met_on > self.due_on
        )


@dataclass(frozen=True)
class TrainingRecord:
    person: Person
    curriculum_id: int
    curriculum_name: str
    statute_reference: str
    topics: tuple[TopicRecord, ...]
    events: tuple[EventAttendance, ...]
    other_entries: tuple[SelfSource, ...]
    waivers: tuple[WaiverInfo, ...]
    deadlines: tuple[Deadline, ...]
    proof: ProofOfCompletion | None
    required_minutes: int
    today: date

    @property
    def is_complete(self) -> bool:
        return bool(self.topics) and all(topic.is_done for topic in self.topics)

    @property
    def done_count(self) -> int:
        return sum(1 for topic in self.topics if topic.is_done)

    @property
    def missing(self) -> tuple[TopicRecord, ...]:
        return tuple(topic for topic in self.topics if not topic.is_done)

    @property
    def overdue(self) -> tuple[Deadline, ...]:
        return tuple(deadline for deadline in self.deadlines if deadline.overdue)

    @property
    def pending_count(self) -> int:
        return sum(len(topic.pending) for topic in self.topics)

    def for_topic(self, topic_id: int) -> TopicRecord | None:
        return next((topic for topic in self.topics if topic.topic_id == topic_id), None)


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
    """Everything ``person`` has done, per topic of the current curriculum, across all years."""
    today = today or today_local()
    curriculum = curriculum or current_curriculum()
    needed = required_minutes()

    summit_by_topic, events = _summit_credit(person)
    entries = db.session.scalars(
        select(SelfTrainingEntry)
        .where(SelfTrainingEntry.person_id == person.id)
        .order_by(SelfTrainingEntry.completed_on, SelfTrainingEntry.id)
    ).all()
    waivers = tuple(
        _waiver_info(waiver)
        for waiver in db.session.scalars(
            select(TrainingWaiver)
            .where(TrainingWaiver.person_id == person.id, TrainingWaiver.revoked_at.is_(None))
            .order_by(TrainingWaiver.created_at, TrainingWaiver.id)
        )
    )
    general_waiver = next((w for w in waivers if w.topic_id is None), None)

    topics = []
    for item in curriculum.items:
        topic_entries = [e for e in entries if e.kind == "topic" and e.topic_id == item.topic_id]
        accepted = tuple(_self_source(e) for e in topic_entries if e.status == "accepted")
        pending = tuple(_self_source(e) for e in topic_entries if e.status == "submitted")
        summit = tuple(summit_by_topic.get(item.topic_id, ()))
        waiver = next((w for w in waivers if w.topic_id == item.topic_id), general_waiver)
        status, required, completed_on = _decide(summit, accepted, waiver, needed)
        topics.append(
            TopicRecord(
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
                waiver=waiver if status == "waived" else None,
                required=required,
                status=status,
                completed_on=completed_on,
            )
        )
    others = tuple(_self_source(e) for e in entries if e.kind != "topic" and e.status != "returned")
    accepted_others = [e for e in entries if e.kind != "topic" and e.status == "accepted"]
    deadlines = _deadlines(person, topics, accepted_others, general_waiver, today)
    proof = db.session.scalar(
        select(ProofOfCompletion).where(
            ProofOfCompletion.person_id == person.id,
            ProofOfCompletion.curriculum_id == curriculum.id,
            ProofOfCompletion.revoked_at.is_(None),
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
        waivers=waivers,
        deadlines=deadlines,
        proof=proof,
        required_minutes=needed,
        today=today,
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
                )
            )
    return by_topic, tuple(events)


def _self_source(entry: SelfTrainingEntry) -> SelfSource:
    return SelfSource(
        entry_id=entry.id,
        title=entry.title,
        url=entry.url,
        completed_on=entry.completed_on,
        minutes=entry.minutes,
        status=entry.status,
        reviewed_on=local_date(entry.reviewed_at),
    )


def _waiver_info(waiver: TrainingWaiver) -> WaiverInfo:
    return WaiverInfo(
        waiver_id=waiver.id,
        topic_id=waiver.topic_id,
        reason=waiver.reason,
        granted_on=local_date(waiver.created_at),
        granted_by=waiver.granted_by.display_name if waiver.granted_by else "",
    )


def _decide(
    summit: tuple[SummitSource, ...],
    accepted: tuple[SelfSource, ...],
    waiver: WaiverInfo | None,
    needed: int,
) -> tuple[str, int, date | None]:
    """``(status, required minutes, date completed)`` of one topic."""
    by_event = [source for source in summit if source.complete]
    if by_event:
        first = min(by_event, key=lambda source: source.ends_on)
        return "done", first.required, first.ends_on
    dated = sorted(
        [(s.ends_on, s.minutes) for s in summit] + [(s.completed_on, s.minutes) for s in accepted]
    )
    total = 0
    for day, minutes in dated:
        total += minutes
        if total >= needed:
            return "done", needed, day
    if waiver is not None:
        return "waived", needed, waiver.granted_on
    return "missing", needed, None


def _deadlines(
    person: Person,
    topics: list[TopicRecord],
    others: list[SelfTrainingEntry],
    general_waiver: WaiverInfo | None,
    today: date,
) -> tuple[Deadline, ...]:
    start = person.assignment_started_on
    classroom_due = add_months(start, CLASSROOM_MONTHS) if start else None
    year_due = add_months(start, FIRST_YEAR_MONTHS) if start else None
    all_done = bool(topics) and all(topic.is_done for topic in topics)
    dates = [topic.completed_on for topic in topics if topic.status == "done"]
    only_waived = all_done and not any(topic.status == "done" for topic in topics)
    deadlines = [
        Deadline(
            key="classroom",
            label="Classroom training on every topic",
            unit="topics",
            required=len(topics),
            done=sum(1 for topic in topics if topic.is_done),
            due_on=classroom_due,
            met_on=max((d for d in dates if d), default=None) if all_done else None,
            waived=only_waived and general_waiver is not None,
            today=today,
        )
    ]
    job_days = sorted({e.completed_on for e in others if e.kind == "on_the_job"})
    deadlines.append(
        Deadline(
            key="on_the_job",
            label="On-the-job training",
            unit="days",
            required=ON_THE_JOB_DAYS,
            done=len(job_days),
            due_on=year_due,
            met_on=job_days[ON_THE_JOB_DAYS - 1] if len(job_days) >= ON_THE_JOB_DAYS else None,
            waived=False,
            today=today,
        )
    )
    if person.role_type != "sro":
        check_ins = sorted(e.completed_on for e in others if e.kind == "check_in_training")
        deadlines.append(
            Deadline(
                key="check_in_training",
                label="Check-in trainings",
                unit="trainings",
                required=CHECK_IN_TRAININGS,
                done=len(check_ins),
                due_on=year_due,
                met_on=check_ins[CHECK_IN_TRAININGS - 1]
                if len(check_ins) >= CHECK_IN_TRAININGS
                else None,
                waived=False,
                today=today,
            )
        )
    return tuple(deadlines)
