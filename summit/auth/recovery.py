"""Recovery codes: the way in when the phone with the authenticator app is lost.

Ten codes are made when two-step sign-in is turned on and shown once; only their
SHA-256 hashes are kept (80 random bits each, so a plain hash is enough). At the
code step of sign-in, a recovery code works instead of an authenticator code, once.
Turning two-step sign-in off deletes them; turning it on again makes new ones.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, select

from summit import audit
from summit.extensions import db
from summit.models import RecoveryCode, StaffUser, utcnow
from summit.transactions import for_update, lock_row, write_transaction

CODE_COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_GROUPS, _GROUP_LENGTH = 4, 4  # 16 characters of 31: about 79 bits


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    """An authenticator code is six digits; a recovery code is sixteen letters and digits."""
    return len(_normalised(code)) == _GROUPS * _GROUP_LENGTH


def _new_code() -> str:
    groups = (
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )
    return "-".join(groups)


def replace_codes(staff: StaffUser) -> list[str]:
    """New codes for ``staff`` (the old ones stop working); the only time they are readable.

    Joins the caller's write transaction (turning two-step sign-in on).
    """
    codes = [_new_code() for _ in range(CODE_COUNT)]
    with write_transaction():
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == staff.id))
        db.session.add_all(
            RecoveryCode(staff_user_id=staff.id, code_hash=_hash(code)) for code in codes
        )
    return codes


def delete_codes(staff: StaffUser) -> None:
    with write_transaction():
        db.session.execute(delete(RecoveryCode).where(RecoveryCode.staff_user_id == staff.id))


def use_recovery_code(staff: StaffUser, code: str) -> bool:
    """Spend one unused code of ``staff``; False when none matches (or it was spent)."""
    with write_transaction():
        lock_row(StaffUser, staff.id)  # two requests with one code: the second finds it spent
        row = db.session.scalar(
            for_update(
                select(RecoveryCode).where(
                    RecoveryCode.staff_user_id == staff.id,
                    RecoveryCode.code_hash == _hash(code),
                    RecoveryCode.used_at.is_(None),
                )
            )
        )
        if row is None:
            return False
        row.used_at = utcnow()
        db.session.flush()
        left = unused_count(staff)
        audit.record("staff.recovery_code_used", staff, after={"codes_left": left}, actor=staff)
    return True


def unused_count(staff: StaffUser) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.staff_user_id == staff.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )
