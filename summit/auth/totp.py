"""Two-step sign-in for staff with an authenticator app (TOTP, RFC 6238)."""

from __future__ import annotations

import pyotp

from summit import audit
from summit.extensions import db
from summit.models import StaffUser

ISSUER = "S5 Summit"


def new_secret() -> str:
    return pyotp.random_base32()


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
