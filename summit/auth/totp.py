"""Two-step sign-in for staff with an authenticator app (TOTP, RFC 6238)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import pyotp
from flask import current_app

from summit import audit
from summit.extensions import db
from summit.models import StaffUser

ISSUER = "S5 Summit"


def new_enrolment_nonce() -> str:
    return secrets.token_urlsafe(16)


def enrolment_secret(staff: StaffUser, nonce: str) -> str:
    """The secret offered while two-step sign-in is being set up, derived on the server.

    The browser keeps only ``nonce`` (in the session cookie, which is signed but
    readable): the secret itself must never sit there, or whoever read the cookie
    once would know the account's second factor for good.
    """
    key = str(current_app.config["SECRET_KEY"]).encode()
    message = f"summit.totp.enrol:{staff.id}:{nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode("ascii")  # 160 bits, as RFC 4226 advises


def provisioning_uri(staff: StaffUser, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=ISSUER)


def code_matches(secret: str, code: str) -> bool:
    """Accept the current code and its neighbours (phone clocks drift by ±30 s)."""
    digits = "".join(ch for ch in code if ch.isdigit())
    return len(digits) == 6 and pyotp.TOTP(secret).verify(digits, valid_window=1)


def enable_totp(staff: StaffUser, secret: str, code: str) -> bool:
    """Turn two-step sign-in on once the person proves their app shows the right code."""
    if not code_matches(secret, code):
        return False
    staff.totp_secret = secret
    audit.record("staff.totp_enable", staff, after={"totp": True}, actor=staff)
    db.session.commit()
    return True


def disable_totp(staff: StaffUser, code: str) -> bool:
    if not staff.totp_secret or not code_matches(staff.totp_secret, code):
        return False
    staff.totp_secret = None
    audit.record("staff.totp_disable", staff, after={"totp": False}, actor=staff)
    db.session.commit()
    return True
