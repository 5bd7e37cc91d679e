"""Two-step sign-in for staff with an authenticator app (TOTP, RFC 6238)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from enum import StrEnum

import pyotp
from flask import current_app

from summit import audit
from summit.auth import recovery
from summit.models import StaffUser, utcnow
from summit.transactions import lock_row, write_transaction

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


class CodeCheck(StrEnum):
    """What a typed code turned out to be."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    REUSED = "reused"  # right, but already used: someone may have watched it typed
    WRONG_RECOVERY = "wrong_recovery"  # a recovery code that is not (or no longer) one


def matching_step(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time step whose code was typed: the current one or a neighbour (phone clocks
    drift by ±30 s), else None."""
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6:
        return None
    generator = pyotp.TOTP(secret)
    current = generator.timecode(at or utcnow())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(generator.generate_otp(step), digits):
            return step
    return None


def use_code(staff: StaffUser, code: str, *, secret: str | None = None) -> CodeCheck:
    """Check a code against ``secret`` (the account's own by default) and spend its step.

    A code is accepted once: its step is remembered on the account, under the
    account's row lock, so it cannot be used again in its window, not even by
    two requests at the same moment.
    """
    with write_transaction():
        row = lock_row(StaffUser, staff.id)
        step = matching_step(secret or row.totp_secret or "", code)
        if step is None:
            return CodeCheck.WRONG
        if row.totp_last_step is not None and step <= row.totp_last_step:
            return CodeCheck.REUSED
        row.totp_last_step = step
    return CodeCheck.ACCEPTED


def enable_totp(staff: StaffUser, secret: str, code: str) -> tuple[CodeCheck, list[str]]:
    """Turn two-step sign-in on once the person proves their app shows the right code.

    Returns the check and, when accepted, the new recovery codes to show once.
    """
    check = use_code(staff, code, secret=secret)
    codes: list[str] = []
    if check == CodeCheck.ACCEPTED:
        with write_transaction():
            row = lock_row(StaffUser, staff.id)
            row.totp_secret = secret
            codes = recovery.replace_codes(row)
            audit.record("staff.totp_enable", row, after={"totp": True}, actor=row)
    return check, codes


def disable_totp(staff: StaffUser, code: str) -> CodeCheck:
    if not staff.totp_secret:
        return CodeCheck.WRONG
    check = use_code(staff, code)
    if check == CodeCheck.ACCEPTED:
        with write_transaction():
            row = lock_row(StaffUser, staff.id)
            row.totp_secret = None
            recovery.delete_codes(row)
            audit.record("staff.totp_disable", row, after={"totp": False}, actor=row)
    return check
