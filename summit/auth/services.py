"""Staff accounts: creation and password checks."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from summit import audit
from summit.auth.errors import StaffError
from summit.auth.passwords import password_problem
from summit.extensions import db
from summit.models import STAFF_ROLES, SignInFailure, StaffUser, utcnow
from summit.transactions import lock_row, write_transaction

# Checked when the email is unknown so both failures take the same time.
_DUMMY_HASH = generate_password_hash("summit-timing-equaliser")


def normalise_email(raw: str) -> str:
    """Validate syntax (no DNS look-up) and return the lower-cased address."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise StaffError(str(error)) from None
    return result.normalized.lower()


@write_transaction()
def create_staff(email: str, role: str, password: str, name: str = "") -> StaffUser:
    """Create or reset a staff account (idempotent per email) and log it.

    The password must pass the policy (``summit.auth.passwords``); resetting an
    account's password ends every session it had (a copied cookie included) and
    lifts a sign-in lock on its address.
    """
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of: {', '.join(STAFF_ROLES)}")
    email = normalise_email(email)
    if (problem := password_problem(password, email=email)) is not None:
        raise StaffError(problem)
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    action = "staff.update" if staff else "staff.create"
    if staff is None:
        staff = StaffUser(email=email, role=role, password_hash="", session_version=0)
        db.session.add(staff)
    else:
        staff.session_version += 1  # the old password's sessions end with it
    staff.role = role
    staff.name = name or staff.name
    staff.is_active = True
    staff.password_hash = generate_password_hash(password)
    # A new password is the way back in for a locked-out account.
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == email))
    db.session.flush()
    audit.record(action, staff, after={"email": email, "role": role}, actor="cli")
    return staff


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active staff member with these credentials, else None (same cost either way)."""
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if staff is None or not staff.is_active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(staff.password_hash, password):
        return None
    _stamp_sign_in(staff)
    return staff


def _stamp_sign_in(staff: StaffUser) -> None:
    """Record the sign-in under the write lock.

    Reading the account and then writing in one deferred SQLite transaction failed
    at once with "database is locked" while another writer (a registration) held
    the lock; ``write_transaction`` starts with ``BEGIN IMMEDIATE``, which waits.
    """
    with write_transaction(keep_loaded=True):
        locked = lock_row(StaffUser, staff.id)
        locked.previous_sign_in_at, locked.last_sign_in_at = locked.last_sign_in_at, utcnow()
