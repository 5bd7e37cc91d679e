"""API tokens: made by an admin for one staff account, stored only as a SHA-256 hash.

The token is shown once, at creation. A request with it acts as that staff
member, so deactivating the account or revoking the token stops it at once.

Each token is scoped (``TokenScope``): a role, ``admin`` or ``checkin`` and never
above the member's own (a member later demoted drags the token down too), and
the events it may see: a named set, or every event. "Every event" means every
event for an admin-role token and every *published* event for a check-in one, so
an unpublished event reaches a check-in scanner only when it is named.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, true, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import joinedload, selectinload

from summit import audit
from summit.auth.errors import TokenError
from summit.extensions import db
from summit.models import ApiToken, Event, StaffUser, utcnow
from summit.transactions import side_write, write_transaction

TOKEN_PREFIX = "s5_"  # noqa: S105 - a marker that helps secret scanners, not a secret
API_ROLES = ("admin", "checkin")
ROLE_RANK = {"checkin": 1, "admin": 2}
# last_used_at is informative; writing it on every scan would cost a write per request,
# so each process stamps a token at most once per resolution (see note_token_use).
LAST_USED_RESOLUTION = timedelta(minutes=1)
log = logging.getLogger(__name__)
_stamped: dict[str, datetime] = {}  # token hash -> when this process last tried to stamp it
_stamped_lock = threading.Lock()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def lower_role(first: str, second: str) -> str:
    return first if ROLE_RANK.get(first, 0) <= ROLE_RANK.get(second, 0) else second


@write_transaction()
def create_api_token(
    staff: StaffUser,
    *,
    name: str = "",
    actor: StaffUser | str,
    role: str | None = None,
    events: Sequence[Event] | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``staff``; returns the row and the token text (never stored).

    ``role`` defaults to the member's own and may not be above it; ``events``
    None (or empty) scopes the token to every event its role may see.
    """
    if not staff.is_active:
        raise TokenError(f"{staff.email} is not an active staff account")
    if staff.role not in API_ROLES:
        raise TokenError(f"{staff.email} has no role that may use the API")
    role = role or staff.role
    if role not in API_ROLES:
        raise TokenError(f"the role must be one of: {', '.join(API_ROLES)}")
    if lower_role(role, staff.role) != role:
        raise TokenError(f"{staff.email} is {staff.role} staff: a token cannot be {role}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        staff_user=staff,
        name=name.strip()[:120],
        token_hash=hash_token(token),
        prefix=token[:10],
        role=role,
        all_events=not events,
        events=list(events or []),
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "api_token.create",
        row,
        after={
            "staff": staff.email,
            "name": row.name,
            "prefix": row.prefix,
            "role": role,
            "events": scope_label(row),
        },
        actor=actor,
    )
    return row, token


@write_transaction()
def revoke_api_token(token_id: int, *, actor: StaffUser | str) -> ApiToken:
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise TokenError("There is no such token.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("api_token.revoke", row, after={"prefix": row.prefix}, actor=actor)
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
    note_token_use(row, now or utcnow())
    return staff


def note_token_use(row: ApiToken, now: datetime) -> None:
    """Stamp ``last_used_at`` at most once a minute, in a write of its own that cannot fail
    the request.

    A scan or a GET must not become a writer because of bookkeeping: on SQLite that
    turned scans into "database is locked" 500s while registrations held the lock.
    So the stamp goes on its own connection (:func:`side_write`), waits only briefly,
    and a failure is logged and forgotten: the next minute's request tries again.
    """
    if row.last_used_at is not None and now - row.last_used_at <= LAST_USED_RESOLUTION:
        return
    with _stamped_lock:
        tried = _stamped.get(row.token_hash)
        if tried is not None and abs(now - tried) <= LAST_USED_RESOLUTION:
            return
        if len(_stamped) > 10_000:  # tokens are few; this only bounds a long-lived process
            _stamped.clear()
        _stamped[row.token_hash] = now
    stale = now - LAST_USED_RESOLUTION
    try:
        with side_write() as connection:
            connection.execute(
                update(ApiToken)
                .where(ApiToken.id == row.id)
                .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale))
                .values(last_used_at=now)
            )
    except DBAPIError as error:
        log.warning("API token %s: last use not stamped (%s)", row.prefix, error.orig)


def list_api_tokens() -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).options(selectinload(ApiToken.events)).order_by(ApiToken.id.desc())
        )
    )


def token_holders() -> list[StaffUser]:
    """Active staff accounts, by email: whom an admin may make a token for."""
    return list(
        db.session.scalars(select(StaffUser).where(StaffUser.is_active).order_by(StaffUser.email))
    )


@dataclass(frozen=True)
class TokenScope:
    """What a request made with one token may see and do."""

    token_id: int
    role: str  # the lower of the token's and its staff member's
    event_ids: frozenset[int] | None  # None: every event the role may see

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def covers(self, event_id: int, is_published: bool) -> bool:
        if self.event_ids is not None:
            return event_id in self.event_ids
        return self.is_admin or is_published

    def event_filter(self) -> ColumnElement[bool]:
        """The same rule as ``covers``, as a condition on ``Event`` for a query."""
        if self.event_ids is not None:
            return Event.id.in_(sorted(self.event_ids))
        return true() if self.is_admin else Event.is_published.is_(True)


def token_scope(token: str, staff: StaffUser) -> TokenScope | None:
    """The scope of a live token of ``staff`` (found by ``staff_for_token``), or None."""
    row = db.session.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.staff_user_id == staff.id)
        .options(selectinload(ApiToken.events))
    )
    if row is None or row.revoked_at is not None:
        return None
    event_ids = None if row.all_events else frozenset(event.id for event in row.events)
    return TokenScope(row.id, lower_role(row.role, staff.role), event_ids)


def scope_label(row: ApiToken) -> str:
    """The token's events in words, for the tokens page and the audit log."""
    if row.all_events:
        return "every event" if row.role == "admin" else "every published event"
    return ", ".join(event.slug for event in row.events)
