"""Per-account lockout of staff sign-in: ``LOCK_AFTER`` failures lock it for ``LOCK_FOR``.

The per-address throttle (``LOGIN_RATE_LIMIT``) slows one client; an attacker with
many addresses could still guess one account's password or code forever. So
failures are counted per email address, on the password step and the code step
alike, and the tenth locks that address for 15 minutes, even for the right
password. Addresses with no account are counted the same way, and the answer is
the same, so a lock says nothing about whether an account exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from summit import audit
from summit.extensions import db
from summit.models import SignInFailure, utcnow
from summit.transactions import for_update, write_transaction

LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)


def lock_key(email: str) -> str:
    """The address as accounts store it (``authenticate`` looks it up the same way)."""
    return email.strip().lower()[:254]


def locked_until(email: str, *, now: datetime | None = None) -> datetime | None:
    """When the lock on this address ends, or None when it may try to sign in."""
    now = now or utcnow()
    until = db.session.scalar(
        select(SignInFailure.locked_until).where(SignInFailure.email == lock_key(email))
    )
    return until if until is not None and until > now else None


def record_failure(email: str, *, step: str, now: datetime | None = None) -> datetime | None:
    """Count a failed password or code for this address; the lock's end when this one locks it."""
    try:
        return _count_failure(lock_key(email), step, now or utcnow())
    except IntegrityError:  # PostgreSQL: a first failure for this address at the same moment
        return _count_failure(lock_key(email), step, now or utcnow())


def _count_failure(key: str, step: str, now: datetime) -> datetime | None:
    with write_transaction():
        row = db.session.scalar(for_update(select(SignInFailure).where(SignInFailure.email == key)))
        if row is None:
            row = SignInFailure(email=key, failures=0, last_failed_at=now)
            db.session.add(row)
        if row.last_failed_at < now - LOCK_FOR or (row.locked_until and row.locked_until <= now):
            row.failures, row.locked_until = 0, None  # a lapsed run of failures starts over
        row.failures += 1
        row.last_failed_at = now
        if row.failures < LOCK_AFTER:
            return None
        row.locked_until = now + LOCK_FOR
        db.session.flush()
        audit.record(
            "staff.sign_in_locked",
            row,
            after={"email": key, "failures": row.failures, "step": step},
            actor="system",
        )
        return row.locked_until


def clear_failures(email: str) -> None:
    """A complete sign-in forgets the address's failures (no write when there were none)."""
    key = lock_key(email)
    if db.session.scalar(select(SignInFailure.id).where(SignInFailure.email == key)) is None:
        return
    with write_transaction():
        db.session.execute(delete(SignInFailure).where(SignInFailure.email == key))
