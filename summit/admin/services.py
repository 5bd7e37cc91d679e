"""Staff-only registration services that are not state changes or money.

State changes and tier moves go through ``summit.registration.services``; money
through ``summit.payments.services``. Each audits and commits itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from summit import audit
from summit.extensions import db
from summit.mail import queue_registration_email
from summit.models import OutboxMessage, Person, Registration, StaffUser
from summit.registration.errors import EmailInUse
from summit.registration.services import STATE_EMAILS
from summit.transactions import write_transaction

# What staff may correct: the person's (shared by all their registrations) and this
# registration's own answers on the form.
PERSON_DETAILS = ("first_name", "last_name", "email", "phone", "agency", "job_title")
REGISTRATION_DETAILS = ("school_district", "accommodations")


@write_transaction()
def resend_state_email(registration: Registration, *, actor: StaffUser | str) -> str:
    """Queue the email that matches the registration's state again, e.g. a lost confirmation.

    No dedupe key: staff asked for another copy on purpose.
    """
    kind = STATE_EMAILS[registration.state]
    queue_registration_email(registration, kind)
    audit.record("registration.email_resend", registration, after={"kind": kind}, actor=actor)
    return kind


@write_transaction()
def update_registration_details(
    registration: Registration, details: dict[str, str], *, actor: StaffUser | str
) -> list[str]:
    """Staff correct a person's details and this registration's answers; returns what changed.

    Values arrive cleaned by the registration form's own rules. The person's fields
    are audited on the person (``person.update``, as the portal's corrections are: they
    print on every registration of theirs), the registration's on the registration;
    only fields that changed are logged, and nothing changed logs nothing. An email
    another person already has is refused: two records of one person are merged, not
    given one address.
    """
    registration = db.session.get(Registration, registration.id, populate_existing=True)
    person = db.session.get(Person, registration.person_id, populate_existing=True)
    person_changes = _changes(person, {k: details[k] for k in PERSON_DETAILS if k in details})
    own_changes = _changes(
        registration, {k: details[k] for k in REGISTRATION_DETAILS if k in details}
    )
    if "email" in person_changes:
        _refuse_used_email(person, person_changes["email"][1])
    _apply(person, person_changes)
    _apply(registration, own_changes)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # another person took the address since the check
        raise EmailInUse(_email_in_use(details["email"])) from None
    if "email" in person_changes:
        _redirect_waiting_mail(*person_changes["email"])
    for action, row, changes in (
        ("person.update", person, person_changes),
        ("registration.details", registration, own_changes),
    ):
        if changes:
            before, after = _before_after(changes)
            audit.record(action, row, before=before, after=after, actor=actor)
    return [*person_changes, *own_changes]


def _redirect_waiting_mail(old: str, new: str) -> None:
    """Mail not yet sent to a mistyped address goes to the corrected one instead.

    Staff correct an address because mail to it bounced or never arrived: the
    confirmation still in the outbox must not follow the typo. Sent rows stay as
    they were (they are the record of what went where).
    """
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient == old, OutboxMessage.status == "pending")
        .values(recipient=new)
    )


def _changes(row: Any, wanted: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {
        name: (getattr(row, name), value)
        for name, value in wanted.items()
        if getattr(row, name) != value
    }


def _apply(row: Any, changes: dict[str, tuple[str, str]]) -> None:
    for name, (_, new) in changes.items():
        setattr(row, name, new)


def _before_after(changes: dict[str, tuple[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    return (
        {name: old for name, (old, _) in changes.items()},
        {name: new for name, (_, new) in changes.items()},
    )


def _refuse_used_email(person: Person, email: str) -> None:
    other = db.session.scalar(select(Person).where(Person.email == email, Person.id != person.id))
    if other is not None:
        raise EmailInUse(_email_in_use(email))


def _email_in_use(email: str) -> str:
    return (
        f"{email} belongs to another person's record. If they are the same person, "
        "merge the two records instead of changing the email."
    )
