"""API tokens: made by an admin for one staff account, stored only as a SHA-256 hash.

The token is shown once, at creation. A request with it acts as that staff
member with that member's role, so deactivating the account or revoking the
token stops it at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from summit import audit
from summit.extensions import db
from summit.models import ApiToken, StaffUser, utcnow

TOKEN_PREFIX = "s5_"  # noqa: S105 - a marker that helps secret scanners, not a secret
API_ROLES = ("admin", "checkin")
# last_used_at is informative; writing it on every scan would cost a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=5)


class TokenError(ValueError):
    """A token could not be made or changed as asked."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_api_token(
    staff: StaffUser, *, name: str = "", actor: StaffUser | str
) -> tuple[ApiToken, str]:
    """A new token for ``staff``; returns the row and the token text (never stored)."""
    if not staff.is_active:
        raise TokenError(f"{staff.email} is not an active staff account")
    if staff.role not in API_ROLES:
        raise TokenError(f"{staff.email} has no role that may use the API")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        staff_user=staff,
        name=name.strip()[:120],
        token_hash=hash_token(token),
        prefix=token[:10],
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "api_token.create",
        row,
        after={"staff": staff.email, "name": row.name, "prefix": row.prefix},
        actor=actor,
    )
    db.session.commit()
    return row, token


def revoke_api_token(token_id: int, *, actor: StaffUser | str) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise TokenError("There is no such token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("api_token.revoke", row, after={"prefix": row.prefix}, actor=actor)
    db.session.commit()
    return row


def staff_for_token(token: str, *, now: datetime | None = None) -> StaffUser | None:
    """The active staff member a live token acts for, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(token))
        .options(joinedload(ApiToken.staff_user, innerjoin=True))
    )
    if row is None or row.revoked_at is not None:
        return None
    staff = row.staff_user
    if not staff.is_active or staff.role not in API_ROLES:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    return staff


def list_api_tokens() -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def token_holders() -> list[StaffUser]:
    """Active staff accounts, by email: whom an admin may make a token for."""
    return list(
        db.session.scalars(select(StaffUser).where(StaffUser.is_active).order_by(StaffUser.email))
    )
