"""Set-password links for staff: emailed on invitation and reset, each good once.

A link is signed (``itsdangerous``), expires after ``STAFF_PASSWORD_LINK_MAX_AGE``
seconds, and carries a fingerprint of the account's password hash and session
version. Setting the password changes the hash, and a reset or a deactivation
moves the session version, so a used or superseded link stops matching: single
use without storing anything.

As with portal links, a queued email holds only a placeholder naming the account;
the outbox signs it when it sends the message (``summit.auth.links.sign_portal_links``),
so no working link sits in the database.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from summit.auth.errors import PasswordLinkProblem
from summit.extensions import db
from summit.models import StaffUser
from summit.urls import absolute_url

SALT = "summit.staff-password.v1"
PLACEHOLDER_PREFIX = "staff-password-link-for-staff-"
_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"(\d+)")
# What a password hash is while an account has no usable password (invited, or reset).
NO_PASSWORD = "!"  # noqa: S105 - no hash matches it, so no password signs in


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _fingerprint(staff: StaffUser) -> str:
    """Changes whenever the password is set or the account's sessions are ended."""
    state = f"{staff.password_hash}:{staff.session_version}".encode()
    return hashlib.sha256(state).hexdigest()[:24]


def password_token(staff: StaffUser) -> str:
    return _serializer().dumps({"s": staff.id, "f": _fingerprint(staff)})


def password_url(staff: StaffUser) -> str:
    return absolute_url("accounts.set_password", token=password_token(staff))


def password_url_placeholder(staff: StaffUser) -> str:
    """The link as a queued email stores it, until :func:`sign_password_links`."""
    if staff.id is None:
        db.session.flush()
    return absolute_url("accounts.set_password", token=f"{PLACEHOLDER_PREFIX}{staff.id}")


def sign_password_links(text: str, recipient: str) -> str:
    """``text`` with each placeholder signed now, only for an active account at ``recipient``."""

    def signed(match: re.Match[str]) -> str:
        staff = db.session.get(StaffUser, int(match.group(1)))
        if staff is None or not staff.is_active or staff.email != recipient.lower():
            return "(this link was withdrawn: ask an ESD 105 admin for a new one)"
        return password_token(staff)

    return _PLACEHOLDER.sub(signed, text)


def staff_for_password_token(token: str) -> StaffUser:
    """The account a live link may set the password of; raises ``PasswordLinkProblem``."""
    max_age = int(current_app.config["STAFF_PASSWORD_LINK_MAX_AGE"])
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise PasswordLinkProblem(
            "This link has expired. Ask an ESD 105 admin to send a new one."
        ) from None
    except BadSignature:
        raise PasswordLinkProblem(
            "This link is not valid. Check that it was copied whole."
        ) from None
    staff = db.session.get(StaffUser, data.get("s")) if isinstance(data, dict) else None
    if staff is None or not staff.is_active:
        raise PasswordLinkProblem("This account is not active. Ask an ESD 105 admin.")
    if not hmac.compare_digest(str(data.get("f", "")), _fingerprint(staff)):
        raise PasswordLinkProblem(
            "This link was already used or replaced by a newer one. "
            "Sign in with your password, or ask an ESD 105 admin to send a new link."
        )
    return staff
