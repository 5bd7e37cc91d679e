"""Last June's summit for the demo: a year that has happened, so a newcomer sees the
whole loop — registrations, check-ins, credit, certificates to verify, self-training
and a training record that spans years.

Everything goes through the services a real year goes through (registration,
payment, check-in, certificate issue, self-training and its review), at the times
it would have happened. Every step looks first whether it was done, so running
the demo again adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select, update

from summit import audit
from summit.certificates.services import issue_certificate, valid_certificate
from summit.checkin.credit import credit_minutes
from summit.checkin.services import check_in
from summit.curricula import SEED_PAGE_CODE, ensure_curricula
from summit.demo import SESSION_MINUTES, _at, existing_summit, summit_event
from summit.extensions import db
from summit.models import (
    Certificate,
    Checkin,
    CheckinResult,
    Event,
    OutboxMessage,
    Person,
    Registration,
    RegistrationState,
    SelfTrainingEntry,
    StaffUser,
    utcnow,
)
from summit.payments.services import record_payment
from summit.registration.services import register_attendee
from summit.training.services import EntryData, add_entry, review_entry

SEEDER = "seed-demo"
SELF_TRAINING_URL = "https://www.esd105.org/student-support/ssocc/s5"


@dataclass(frozen=True)
class PastAttendee:
    """One demo person of last June: who they are and how much of the summit they saw."""

    first_name: str
    last_name: str
    email: str
    agency: str
    job_title: str
    school_district: str
    tier: str
    sessions_missed: int | None  # None: never came
    # Missed topics they made up by self-training since: accepted, then waiting for review.
    self_trained: int = 0
    awaiting_review: int = 0


PAST_ATTENDEES = (
    PastAttendee("Maria", "Delgado", "maria.delgado@yakimapd.example", "Yakima Police Department",
                 "School Resource Officer", "Yakima School District", "sro", 0),
    PastAttendee("Daniel", "Okafor", "daniel.okafor@uniongappd.example",
                 "Union Gap Police Department", "School Resource Officer",
                 "Union Gap School District", "sro", 1, self_trained=1),
    PastAttendee("Priya", "Natarajan", "priya.natarajan@sunnysidesd.example",
                 "Sunnyside School District", "Campus Security Officer",
                 "Sunnyside School District", "security", 4, self_trained=2, awaiting_review=1),
    PastAttendee("Luis", "Herrera", "luis.herrera@kittitasso.example",
                 "Kittitas County Sheriff's Office", "Deputy, School Resource Officer",
                 "Ellensburg School District", "sro", None),
)  # fmt: skip


def last_june(today: date) -> date:
    """The third Tuesday of the latest June whose summit is over by ``today``."""
    for year in (today.year, today.year - 1):
        first = date(year, 6, 1)
        starts_on = first + timedelta(days=(1 - first.weekday()) % 7) + timedelta(weeks=2)
        if starts_on + timedelta(days=7) < today:
            return starts_on
    raise AssertionError("unreachable: last year's June is always over")


@dataclass(frozen=True)
class PastSummit:
    event: Event
    certificates: list[Certificate]


def seed_past_summit(*, staff: StaffUser | None = None, today: date | None = None) -> PastSummit:
    """Create last June's summit and what its attendees did, or finish what is missing.

    ``staff`` scans people in and reviews self-training (the demo's admin); without
    one, check-ins are unattributed and self-training waits for review.
    """
    today = today or utcnow().date()
    event = _past_event(last_june(today))
    for attendee in PAST_ATTENDEES:
        registration = _registration(event, attendee)
        if attendee.sessions_missed is None:
            continue
        _attend(event, registration, attendee.sessions_missed, staff)
        _certify(event, registration)
        _self_train(event, registration, attendee, staff, today)
    _mark_history_sent()
    db.session.commit()
    certificates = [
        certificate
        for attendee in PAST_ATTENDEES
        if (registration := _find_registration(event, attendee.email)) is not None
        and (certificate := valid_certificate(registration)) is not None
    ]
    return PastSummit(event, certificates)


def _past_event(starts_on: date) -> Event:
    existing = existing_summit(starts_on)
    if existing is not None:
        return existing
    event = summit_event(
        starts_on,
        ensure_curricula()[SEED_PAGE_CODE],
        description=(
            "Last year's School Safety Staff State Summit, taught on ESD 105's twelve "
            "S5 training units."
        ),
        registration_opens_at=_at(starts_on - timedelta(days=100), time(8, 0)),
    )
    db.session.add(event)
    db.session.flush()
    audit.record("event.create", event, after={"slug": event.slug}, actor=SEEDER, event_id=event.id)
    db.session.commit()
    return event


def _find_registration(event: Event, email: str) -> Registration | None:
    return db.session.scalar(
        select(Registration)
        .join(Person)
        .where(Registration.event_id == event.id, Person.email == email)
    )


def _registration(event: Event, attendee: PastAttendee) -> Registration:
    """Registered a month before the summit; the security officer's district paid by check."""
    registration = _find_registration(event, attendee.email)
    if registration is None:
        registration = register_attendee(
            event.id,
            tier_slug=attendee.tier,
            email=attendee.email,
            first_name=attendee.first_name,
            last_name=attendee.last_name,
            phone="(509) 555-0142",
            agency=attendee.agency,
            job_title=attendee.job_title,
            school_district=attendee.school_district,
            actor=SEEDER,
            now=_at(event.starts_on - timedelta(days=30), time(10, 15)),
        ).registration
    if registration.state == RegistrationState.AWAITING_PAYMENT:
        record_payment(
            registration,
            amount_cents=registration.amount_due_cents,
            method="check",
            reference=f"demo-check-{registration.id}",
            actor=SEEDER,
        )
    return registration


def _attend(event: Event, registration: Registration, missed: int, staff: StaffUser | None) -> None:
    """Scanned into each topic session a few minutes after it began, but the last ``missed``."""
    taught = [session for session in event.sessions if session.topics]
    taught.sort(key=lambda session: session.starts_at)
    attended = taught[: len(taught) - missed]
    done = set(
        db.session.scalars(
            select(Checkin.session_id).where(
                Checkin.registration_id == registration.id, Checkin.status == CheckinResult.OK
            )
        )
    )
    for session in attended:
        if session.id in done:
            continue
        check_in(
            event.id,
            registration.ticket_code,
            staff=staff,
            source="scanner",
            session_id=session.id,
            now=session.starts_at + timedelta(minutes=4),
        )


def _certify(event: Event, registration: Registration) -> None:
    """Issued three days after the summit, without emailing the demo's made-up people."""
    if valid_certificate(registration) is None:
        issue_certificate(
            registration,
            actor=SEEDER,
            notify=False,
            now=_at(event.ends_on + timedelta(days=3), time(9, 0)),
        )


def _self_train(
    event: Event,
    registration: Registration,
    attendee: PastAttendee,
    staff: StaffUser | None,
    today: date,
) -> None:
    """Topics missed at the summit, made up online in the months after it."""
    wanted = attendee.self_trained + attendee.awaiting_review
    if not wanted:
        return
    person = registration.person
    logged = {
        entry.topic_id: entry
        for entry in db.session.scalars(
            select(SelfTrainingEntry).where(SelfTrainingEntry.person_id == person.id)
        )
    }
    missing = [topic for topic in credit_minutes(registration).topics if not topic.complete]
    for index, topic in enumerate(missing[:wanted]):
        entry = logged.get(topic.topic_id)
        if entry is None:
            completed_on = min(event.ends_on + timedelta(days=40 * (index + 1)), today)
            entry = add_entry(
                person,
                EntryData(
                    "topic",
                    topic.topic_id,
                    completed_on,
                    f"ESD 105 online training: {topic.title}"[:200],
                    SELF_TRAINING_URL,
                    SESSION_MINUTES,
                ),
                today=today,
            )
        if index < attendee.self_trained and staff is not None and entry.status.awaits_review:
            review_entry(entry, staff=staff, accept=True)


def _mark_history_sent() -> None:
    """Last year's mail went out last year.

    The rows stay (what each person was told), but a demo started today should not
    mail a year-old confirmation to its made-up people, or retry it all day.
    """
    emails = [attendee.email for attendee in PAST_ATTENDEES]
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient.in_(emails), OutboxMessage.status == "pending")
        .values(status="sent", sent_at=OutboxMessage.created_at, last_error="")
        .execution_options(synchronize_session=False)
    )
