"""Who the attendee is: a person id in the Flask session, set by a signed link.

Kept apart from staff sign-in (Flask-Login) so that an ESD staff member who also
registers is never an attendee because they are staff, or the other way round.
The session also remembers the email the link was issued for: changing a
person's email ends the sessions opened by links sent to the old address.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import select

from summit.extensions import db, limiter
from summit.models import Person

F = TypeVar("F", bound=Callable[..., Any])

SESSION_KEY = "portal_person_id"
SESSION_EMAIL_KEY = "portal_person_email"


def sign_in_limit() -> str:
    return current_app.config["PORTAL_SIGN_IN_RATE_LIMIT"]


# One budget per IP for every "email me a link" form (the portal sign-in and the
# training start): two forms must not double what one address can be sent.
link_request_limit = limiter.shared_limit(sign_in_limit, scope="email-link", methods=["POST"])


def sign_in_attendee(person: Person) -> None:
    session[SESSION_KEY] = person.id
    session[SESSION_EMAIL_KEY] = person.email
    session.permanent = True


def sign_out_attendee() -> None:
    session.pop(SESSION_KEY, None)
    session.pop(SESSION_EMAIL_KEY, None)


def signed_in_attendee() -> Person | None:
    """The person of this session, or None when there is none or it no longer fits."""
    person_id = session.get(SESSION_KEY)
    if not isinstance(person_id, int):
        return None
    person = db.session.get(Person, person_id)
    if person is None or person.email != session.get(SESSION_EMAIL_KEY):
        sign_out_attendee()
        return None
    return person


def current_attendee() -> Person:
    """The signed-in person inside a view wrapped by :func:`attendee_required`."""
    return g.attendee


def attendee_required(view: F) -> F:
    """Let through a visitor who came in by a portal link; send others to ask for one.

    The training pages send them to the training start, which works for people
    who never registered too; the registration pages to the portal sign-in.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        person = signed_in_attendee()
        if person is None:
            if request.blueprint == "training_portal":
                return redirect(url_for("training.start"))
            return redirect(url_for("portal.sign_in"))
        g.attendee = person
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def attendee_actor(person: Person) -> str:
    """How the audit log names an attendee acting for themselves."""
    return f"attendee:{person.id}"


def person_with_email(email: str) -> Person | None:
    return db.session.scalar(select(Person).where(Person.email == email.strip().lower()))
