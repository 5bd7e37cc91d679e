"""Signed, expiring portal links: an attendee's way in without a password.

A token names one person and expires (``PORTAL_LINK_MAX_AGE`` seconds, 30 days by
default); it is separate from the ticket code, which only ever opens check-in.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from summit.models import Person
from summit.urls import absolute_url

SALT = "summit.portal.v1"
# What a queued email holds instead of a token: the outbox signs the link when it
# sends the message (summit.mail.outbox), so no working sign-in link sits in the
# database and each link's 30 days start when it is sent.
TOKEN_PLACEHOLDER = "portal-token-signed-when-sent"  # noqa: S105 - a marker, not a secret


class PortalLinkExpired(Exception):
    """The link was genuine but is too old."""


class PortalLinkInvalid(Exception):
    """The link was tampered with or never issued by this install."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def portal_token(person: Person) -> str:
    return _serializer().dumps({"p": person.id, "e": person.email})


def read_portal_token(token: str) -> tuple[int, str]:
    """Return ``(person_id, email)``; the caller checks the email still matches."""
    max_age = int(current_app.config.get("PORTAL_LINK_MAX_AGE", 30 * 24 * 3600))
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise PortalLinkExpired from None
    except BadSignature:
        raise PortalLinkInvalid from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int):
        raise PortalLinkInvalid
    return data["p"], str(data.get("e", ""))


def portal_url(person: Person) -> str:
    """The absolute link that signs ``person`` into the portal, shown right away."""
    return absolute_url("portal.enter", token=portal_token(person))


def portal_url_placeholder() -> str:
    """The portal link as a queued email stores it, until the outbox signs it."""
    return absolute_url("portal.enter", token=TOKEN_PLACEHOLDER)
