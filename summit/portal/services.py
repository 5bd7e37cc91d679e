"""What an attendee may do for themselves, and the rules that only apply to them.

Staff may cancel after an event has started; an attendee may not. These wrappers
apply the attendee's limits, then call the one registration service that changes
state, so the transitions and their audit stay in ``summit.registration.services``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from summit import audit
from summit.extensions import db
from summit.mail import queue_email, queue_person_email
from summit.mail.content import organisation_context
from summit.models import Event, OutboxMessage, Person, Registration, utcnow
from summit.portal.tokens import (
    PortalLinkInvalid,
    read_portal_token,
    read_start_token,
    start_url_placeholder,
)
from summit.registration import services as registration_services
from summit.registration.errors import InvalidTransition, RegistrationError

# A second request for the same address within this window sends nothing new:
# it stops someone from filling a stranger's inbox from many IP addresses.
LINK_RESEND_WINDOW = timedelta(minutes=2)


class PortalClosed(RegistrationError):
    """The attendee may no longer do this themselves (the event has started)."""

    status_code = 409


def attendee_actor(person: Person) -> str:
    """How the audit log names an attendee acting in the portal."""
    return f"attendee:{person.id}"


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


def request_portal_link(email: str, *, now: datetime | None = None) -> bool:
    """Queue a fresh portal link when ``email`` belongs to a person; commit.

    Returns whether a message was queued. The caller must answer the same either
    way, so that nobody learns who is registered.
    """
    person = person_with_email(email)
    if person is None or _link_sent_recently("portal_link", person.email, now or utcnow()):
        return False
    queue_person_email(person, "portal_link")
    db.session.commit()
    return True


def person_with_email(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == email.strip().lower()))


def _link_sent_recently(kind: str, recipient: str, now: datetime) -> bool:
    recent = db.session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.recipient == recipient,
            OutboxMessage.created_at > now - LINK_RESEND_WINDOW,
        )
        .limit(1)
    )
    return recent is not None


# --- starting a training record ----------------------------------------------------------
#
# Anyone may keep a training record, registered or not. The address is proved by
# a start link sent to it; the person is created only when that link is used, so
# typing a stranger's address creates nothing and reveals nothing: every
# request gets the same answer and the same email goes out for any address.


def request_training_start_link(email: str, *, now: datetime | None = None) -> bool:
    """Queue a start link to ``email`` (already a valid, lower-cased address); commit.

    Returns whether a message was queued (not within the resend window); the
    caller answers the same either way.
    """
    if _link_sent_recently("training_start", email, now or utcnow()):
        return False
    person = person_with_email(email)
    context = {
        **organisation_context(),
        "person": person or {"first_name": "there"},
        "start_link": start_url_placeholder(),
    }
    queue_email("training_start", email, context)
    db.session.commit()
    return True


def start_link_owner(token: str) -> tuple[str, Person | None]:
    """The address a start link proves, and its person if there is one already.

    Raises ``PortalLinkExpired`` or ``PortalLinkInvalid`` like a portal link.
    """
    email = read_start_token(token)
    return email, person_with_email(email)


def start_training_record(
    email: str, *, first_name: str, last_name: str, agency: str, job_title: str, role_type: str
) -> Person:
    """The person of ``email``, created from what they typed when there is none yet; commit.

    An existing person's stored details are never changed here (they correct
    them in the portal), and two tabs submitting at once create one person.
    """
    person = person_with_email(email)
    if person is not None:
        return person
    person = Person(
        email=email.strip().lower(),
        first_name=first_name,
        last_name=last_name,
        agency=agency,
        job_title=job_title,
        role_type=role_type,
    )
    try:
        with db.session.begin_nested():
            db.session.add(person)
    except IntegrityError:
        twin = person_with_email(email)
        if twin is None:
            raise
        return twin
    audit.record(
        "person.create",
        person,
        after={"source": "training start link", "role_type": role_type},
        actor=attendee_actor(person),
    )
    db.session.commit()
    return person


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
