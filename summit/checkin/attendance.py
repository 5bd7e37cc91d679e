"""What the attendance matrix, the rosters and the badges show: reads, never writes.

The pages in :mod:`summit.checkin.reports` only pick the format (HTML, CSV,
PDF); the rows come from here, so the screen and the download say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from summit.checkin.credit import Credit, event_credit
from summit.checkin.services import departures, entries, normalise_code
from summit.extensions import db
from summit.models import AgendaSession, Checkin, Event, Person, Registration, RegistrationState

LOCAL_MINUTE = "%Y-%m-%d %H:%M"


def confirmed_registrations(event_id: int) -> list[Registration]:
    """Everyone confirmed for the event, by last name: the roster and the badge order."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Person, Registration.person_id == Person.id)
            .where(
                Registration.event_id == event_id, Registration.state == RegistrationState.CONFIRMED
            )
            .options(joinedload(Registration.person), joinedload(Registration.tier))
            .order_by(Person.last_name, Person.first_name, Registration.id)
        )
    )


@dataclass(frozen=True)
class AttendanceMatrix:
    """People × topics for one event, with the totals the page heads its columns with."""

    event: Event
    registrations: list[Registration]
    credits: dict[int, Credit]

    @property
    def topics(self):
        return self.event.curriculum.items

    @property
    def complete_per_topic(self) -> dict[int, int]:
        return {
            item.topic_id: sum(
                1 for credit in self.credits.values() if credit.for_topic(item.topic_id).complete
            )
            for item in self.topics
        }

    @property
    def fully_complete(self) -> int:
        return sum(1 for credit in self.credits.values() if credit.is_complete)

    def rows(self) -> list[list]:
        """The CSV: one line per person, minutes per topic, then the totals."""
        header = ["last_name", "first_name", "email", "agency", "tier"]
        header += [f"{item.position}. {item.title} (min)" for item in self.topics]
        header += ["topics_complete", "topics_total", "minutes_total"]
        rows = [header]
        for registration in self.registrations:
            credit = self.credits[registration.id]
            rows.append(
                [*_person_columns(registration)]
                + [credit.for_topic(item.topic_id).minutes for item in self.topics]
                + [credit.complete_topics, len(credit.topics), credit.total_minutes]
            )
        return rows


def attendance(event: Event) -> AttendanceMatrix:
    registrations = confirmed_registrations(event.id)
    return AttendanceMatrix(event, registrations, event_credit(event, registrations))


@dataclass(frozen=True)
class Roster:
    """A session's confirmed people with their check-in and check-out rows, by registration."""

    event: Event
    agenda: AgendaSession
    registrations: list[Registration]
    present: dict[int, Checkin]
    left: dict[int, Checkin]

    def rows(self) -> list[list]:
        """The roster CSV; times in the event's time zone."""
        header = ["last_name", "first_name", "email", "agency", "tier"]
        rows = [[*header, "checked_in_at", "checked_out_at", "source"]]
        for registration in self.registrations:
            came, went = self.present.get(registration.id), self.left.get(registration.id)
            rows.append(
                [
                    *_person_columns(registration),
                    self._local(came),
                    self._local(went),
                    came.source if came else "",
                ]
            )
        return rows

    def _local(self, row: Checkin | None) -> str:
        return row.scanned_at.astimezone(self.event.tz).strftime(LOCAL_MINUTE) if row else ""


def roster(event: Event, agenda: AgendaSession) -> Roster:
    registrations = confirmed_registrations(event.id)
    ids = [registration.id for registration in registrations]
    return Roster(
        event,
        agenda,
        registrations,
        entries(event.id, ids, agenda.id),
        departures(event.id, ids, agenda.id),
    )


def _person_columns(registration: Registration) -> list[str]:
    person = registration.person
    return [
        person.last_name,
        person.first_name,
        person.email,
        person.agency,
        registration.tier.name,
    ]


def badge_registrations(event: Event, raw_code: str | None) -> tuple[list[Registration], str]:
    """Whose badges to print and the file's name: one ticket (``raw_code``) or everyone.

    An empty list means the code names no ticket of this event (the page answers 404).
    """
    code = normalise_code(raw_code)
    if not code:
        return confirmed_registrations(event.id), f"{event.slug}-badges.pdf"
    registration = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.ticket_code == code[:64]
        )
    )
    if registration is None:
        return [], ""
    return [registration], f"{event.slug}-badge-{registration.person.last_name}.pdf"
