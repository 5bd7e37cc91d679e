"""What an attendee may do for themselves, and the rules that only apply to them.

Staff may cancel after an event has started; an attendee may not. These wrappers
apply the attendee's limits, then call the one registration service that changes
state, so the transitions and their audit stay in ``summit.registration.services``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from summit.auth.attendees import attendee_actor, person_with_email
from summit.auth.links import PortalLinkInvalid, link_sent_recently, read_portal_token
from summit.extensions import db
from summit.mail import queue_person_email
from summit.models import Event, Person, Registration, utcnow
from summit.portal.errors import PortalClosed
from summit.registration import services as registration_services
from summit.registration.errors import InvalidTransition
from summit.training.errors import CurriculumMissing
from summit.training.record import TrainingRecord, training_record
from summit.transactions import write_transaction


def person_for_token(token: str) -> Person:
    """The person a portal link names, if they still exist under the same email.

    Raises ``PortalLinkExpired`` or ``PortalLinkInvalid``: a link sent to an address
    that has since changed must not open the account any more.
    """
    person_id, email = read_portal_token(token)
    person = db.session.get(Person, person_id)
    if person is None or person.email != email:
        raise PortalLinkInvalid
    return person


@write_transaction()
def request_portal_link(email: str, *, now: datetime | None = None) -> bool:
    """Queue a fresh portal link when ``email`` belongs to a person; commit.

    Returns whether a message was queued. The caller must answer the same either
    way, so that nobody learns who is registered.
    """
    person = person_with_email(email)
    if person is None or link_sent_recently("portal_link", person.email, now or utcnow()):
        return False
    queue_person_email(person, "portal_link")
    return True


def training_summary(person: Person) -> TrainingRecord | None:
    """The portal home's "Training record" section: the record, or None without curricula."""
    try:
        return training_record(person)
    except CurriculumMissing:
        return None


def registrations_of(person: Person) -> list[Registration]:
    """Every registration of ``person``, newest event first."""
    return list(
        db.session.scalars(
            select(Registration)
            .join(Registration.event)
            .where(Registration.person_id == person.id)
            .order_by(Event.starts_on.desc(), Registration.id.desc())
        )
    )


def registration_of(person: Person, registration_id: int) -> Registration | None:
    """The registration only when it is this person's: anyone else's is simply not found."""
    return db.session.scalar(
        select(Registration).where(
            Registration.id == registration_id, Registration.person_id == person.id
        )
    )


def event_has_started(event: Event, now: datetime | None = None) -> bool:
    """True from midnight of the first day, in the event's own time zone."""
    return (now or utcnow()).astimezone(event.tz).date() >= event.starts_on


def can_cancel(registration: Registration, now: datetime | None = None) -> bool:
    return registration.state.is_active and not event_has_started(registration.event, now)


def details_editable(person: Person, now: datetime | None = None) -> bool:
    """Details stay editable while the person has an event ahead (or none at all).

    After their events have started, the name is on badges and certificates, so
    corrections go through ESD staff.
    """
    active = [r for r in registrations_of(person) if r.state.is_active]
    return not active or any(not event_has_started(r.event, now) for r in active)


def cancel_own_registration(
    registration: Registration, person: Person, *, now: datetime | None = None
) -> Registration:
    """The attendee cancels; refused once the event has started or when already cancelled."""
    if not registration.state.is_active:
        raise InvalidTransition("This registration is already cancelled.")
    if event_has_started(registration.event, now):
        raise PortalClosed(
            "The event has started, so the registration can no longer be cancelled here. "
            "Please contact the organisers."
        )
    return registration_services.cancel_registration(
        registration, actor=attendee_actor(person), reason="cancelled by the attendee"
    )


def accept_own_offer(registration: Registration, person: Person) -> Registration:
    return registration_services.accept_offer(registration, actor=attendee_actor(person))


def update_own_details(person: Person, details: dict[str, str]) -> Person:
    """Save the attendee's corrections; refused once all their events have started."""
    if not details_editable(person):
        raise PortalClosed(
            "Your events have started, so your details can no longer be changed here. "
            "Please contact the organisers to correct them."
        )
    return registration_services.update_contact_details(
        person, actor=attendee_actor(person), **details
    )
