"""Starting a training record from an emailed link: no registration needed.

Anyone may keep a training record, registered or not. The address is proved by
a start link sent to it; the person is created only when that link is used, so
typing a stranger's address creates nothing and reveals nothing: every
request gets the same answer and the same email goes out for any address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from summit import audit
from summit.auth.attendees import attendee_actor, person_with_email
from summit.auth.links import link_sent_recently, read_start_token, start_url_placeholder
from summit.extensions import db
from summit.mail import queue_email
from summit.mail.content import organisation_context
from summit.models import Person, utcnow
from summit.transactions import write_transaction


@write_transaction()
def request_training_start_link(email: str, *, now: datetime | None = None) -> bool:
    """Queue a start link to ``email`` (already a valid, lower-cased address); commit.

    Returns whether a message was queued (not within the resend window); the
    caller answers the same either way.
    """
    if link_sent_recently("training_start", email, now or utcnow()):
        return False
    person = person_with_email(email)
    context = {
        **organisation_context(),
        "person": person or {"first_name": "there"},
        "start_link": start_url_placeholder(),
    }
    queue_email("training_start", email, context)
    return True


def start_link_owner(token: str) -> tuple[str, Person | None]:
    """The address a start link proves, and its person if there is one already.

    Raises ``PortalLinkExpired`` or ``PortalLinkInvalid`` like a portal link.
    """
    email = read_start_token(token)
    return email, person_with_email(email)


@write_transaction()
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
    return person
