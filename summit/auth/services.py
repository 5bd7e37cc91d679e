"""Staff accounts: creation and password checks."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from summit import audit
from summit.extensions import db
from summit.models import STAFF_ROLES, StaffUser, utcnow

MIN_PASSWORD_LENGTH = 12
# Checked when the email is unknown so both failures take the same time.
_DUMMY_HASH = generate_password_hash("summit-timing-equaliser")


class StaffError(ValueError):
    """A staff account could not be created as asked."""


def normalise_email(raw: str) -> str:
    """Validate syntax (no DNS look-up) and return the lower-cased address."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise StaffError(str(error)) from None
    return result.normalized.lower()


def create_staff(email: str, role: str, password: str, name: str = "") -> StaffUser:
    """Create or reset a staff account (idempotent per email) and log it."""
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of: {', '.join(STAFF_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    email = normalise_email(email)
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
    action = "staff.update" if staff else "staff.create"
    if staff is None:
        staff = StaffUser(email=email, role=role, password_hash="")
        db.session.add(staff)
    staff.role = role
    staff.name = name or staff.name
    staff.is_active = True
    staff.password_hash = generate_password_hash(password)
    db.session.flush()
    audit.record(action, staff, after={"email": email, "role": role}, actor="cli")
    db.session.commit()
    return staff


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active staff member with these credentials, else None (same cost either way)."""
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if staff is None or not staff.is_active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(staff.password_hash, password):
        return None
    staff.previous_sign_in_at, staff.last_sign_in_at = staff.last_sign_in_at, utcnow()
    db.session.commit()
    return staff
