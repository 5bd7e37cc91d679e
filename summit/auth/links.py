"""Signed, expiring portal links: an attendee's way in without a password.

A token names one person and expires (``PORTAL_LINK_MAX_AGE`` seconds, 30 days by
default); it is separate from the ticket code, which only ever opens check-in.

A *start link* names an email address rather than a person: whoever can read the
mail of that address may start a training record there, whether or not a person
with that address exists yet. It has its own salt, so neither kind of token
opens the other's door.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from summit.auth.errors import PortalLinkExpired, PortalLinkInvalid
from summit.auth.staff_links import sign_password_links
from summit.extensions import db
from summit.models import OutboxMessage, Person
from summit.urls import absolute_url

SALT = "summit.portal.v1"
START_SALT = "summit.training-start.v1"
# What a queued email holds where the token goes: the person's id (no credential).
# The outbox signs the link when it sends the message (summit.mail.outbox), so no
# working sign-in link sits in the database and each link's 30 days start then.
PLACEHOLDER_PREFIX = "portal-link-for-person-"
_PLACEHOLDER_LINK = re.compile(r"[^\s\"'<>]*" + re.escape(PLACEHOLDER_PREFIX) + r"(\d+)")
# The same for a start link: signed at sending for the message's own recipient.
START_PLACEHOLDER = "training-start-link-for-recipient"


# A second request for the same address within this window sends nothing new:
# it stops someone from filling a stranger's inbox from many IP addresses.
LINK_RESEND_WINDOW = timedelta(minutes=2)


def _serializer(salt: str = SALT) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _link_max_age() -> int:
    return int(current_app.config["PORTAL_LINK_MAX_AGE"])


def portal_token(person: Person) -> str:
    return _serializer().dumps({"p": person.id, "e": person.email})


def read_portal_token(token: str) -> tuple[int, str]:
    """Return ``(person_id, email)``; the caller checks the email still matches."""
    try:
        data = _serializer().loads(token, max_age=_link_max_age())
    except SignatureExpired:
        raise PortalLinkExpired from None
    except BadSignature:
        raise PortalLinkInvalid from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise PortalLinkInvalid
    return data["p"], str(data.get("e", ""))


def start_token(email: str) -> str:
    return _serializer(START_SALT).dumps({"s": email.strip().lower()})


def read_start_token(token: str) -> str:
    """The email address a start link was sent to; raises like :func:`read_portal_token`."""
    try:
        data = _serializer(START_SALT).loads(token, max_age=_link_max_age())
    except SignatureExpired:
        raise PortalLinkExpired from None
    except BadSignature:
        raise PortalLinkInvalid from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), str) or "@" not in data["s"]:
        raise PortalLinkInvalid
    return data["s"]


def start_url_placeholder() -> str:
    """The start link as a queued email stores it: no credential sits in the database."""
    return absolute_url("training.start_link", token=START_PLACEHOLDER)


def portal_url(person: Person) -> str:
    """The absolute link that signs ``person`` into the portal, shown right away."""
    return absolute_url("portal.enter", token=portal_token(person))


def portal_url_placeholder(person: Person) -> str:
    """The portal link as a queued email stores it, until :func:`sign_portal_links`."""
    if person.id is None:
        db.session.flush()
    return absolute_url("portal.enter", token=f"{PLACEHOLDER_PREFIX}{person.id}")


def sign_portal_links(text: str, recipient: str) -> str:
    """``text`` with each placeholder link signed now for its person.

    A link whose person no longer has the ``recipient`` address (or no longer
    exists) becomes the sign-in page: a sign-in link must only ever reach the
    person's own address, which is also what opening it checks. A start link is
    signed for the ``recipient`` itself, a staff set-password link for its account.
    """
    if START_PLACEHOLDER in text:
        text = text.replace(START_PLACEHOLDER, start_token(recipient))
    text = sign_password_links(text, recipient)  # staff invitations and resets

    def signed(match: re.Match[str]) -> str:
        person = db.session.get(Person, int(match.group(1)))
        if person is None or person.email != recipient.lower():
            return absolute_url("portal.sign_in")
        return match.group(0).replace(f"{PLACEHOLDER_PREFIX}{person.id}", portal_token(person))

    return _PLACEHOLDER_LINK.sub(signed, text)


def link_sent_recently(kind: str, recipient: str, now: datetime) -> bool:
    """Whether a link email of ``kind`` went to ``recipient`` within the resend window."""
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
