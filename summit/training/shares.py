"""Share links: a person hands a district a read-only view of their training record.

The token (``secrets.token_urlsafe(24)``, 192 bits) is shown once; only its SHA-256
hash is stored, so a database leak does not open anyone's record.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from summit import audit
from summit.auth.attendees import attendee_actor
from summit.extensions import db
from summit.models import Person, RecordShare, utcnow
from summit.training import share_days
from summit.training.errors import TrainingError
from summit.transactions import side_write, write_transaction

MAX_SHARE_DAYS = 365
log = logging.getLogger(__name__)


class ShareUnavailable(TrainingError):
    """The link is unknown (404), expired or withdrawn (410)."""

    def __init__(self, message: str, status_code: int, reason: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@write_transaction()
def create_share(
    person: Person, *, label: str = "", days: int | None = None, now: datetime | None = None
) -> tuple[RecordShare, str]:
    """A new link for ``person``'s record; returns the row and the token (shown once)."""
    now = now or utcnow()
    days = share_days() if days is None else days
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise TrainingError(f"A link can last from 1 to {MAX_SHARE_DAYS} days.")
    token = secrets.token_urlsafe(24)
    share = RecordShare(
        person=person,
        token_hash=token_hash(token),
        label=label.strip()[:200],
        created_at=now,
        expires_at=now + timedelta(days=days),
        view_count=0,
    )
    db.session.add(share)
    db.session.flush()
    audit.record(
        "record_share.create",
        share,
        after={"label": share.label, "expires_at": share.expires_at.isoformat()},
        actor=attendee_actor(person),
    )
    return share, token


def shares_of(person: Person) -> list[RecordShare]:
    return list(
        db.session.scalars(
            select(RecordShare)
            .where(RecordShare.person_id == person.id)
            .order_by(RecordShare.created_at.desc(), RecordShare.id.desc())
        )
    )


def share_status(share: RecordShare, now: datetime | None = None) -> str:
    """``active``, ``expired`` or ``revoked``."""
    now = now or utcnow()
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= now:
        return "expired"
    return "active"


@write_transaction()
def revoke_share(share: RecordShare, person: Person) -> RecordShare:
    if share.person_id != person.id:
        raise TrainingError("This link is not yours.")
    if share.revoked_at is not None:
        raise TrainingError("This link was already withdrawn.")
    share.revoked_at = utcnow()
    audit.record("record_share.revoke", share, actor=attendee_actor(person))
    return share


def open_share(token: str, *, now: datetime | None = None) -> RecordShare:
    """The share a visitor's token names, counting the view; refuses unknown, expired, revoked."""
    now = now or utcnow()
    share = None
    if token and len(token) <= 100:
        share = db.session.scalar(
            select(RecordShare).where(RecordShare.token_hash == token_hash(token))
        )
    if share is None:
        raise ShareUnavailable(
            "This link is not valid. Check that it was copied in full.", 404, "unknown"
        )
    status = share_status(share, now)
    if status == "revoked":
        raise ShareUnavailable(
            "This link was withdrawn by the person who shared it. Ask them for a new one.",
            410,
            "revoked",
        )
    if status == "expired":
        raise ShareUnavailable(
            "This link has expired. Ask the person who shared it for a new one.", 410, "expired"
        )
    count_view(share, now)
    return share


def count_view(share: RecordShare, now: datetime) -> None:
    """Add one to the share's views beside the request, never failing it.

    Opening a share is a GET: it must not become a writer in its own transaction
    (on SQLite a busy moment made that a 500). The count goes through
    ``side_write`` and is skipped, with a log line, when the lock is not free soon.
    """
    try:
        with side_write() as connection:
            connection.execute(
                update(RecordShare)
                .where(RecordShare.id == share.id)
                .values(view_count=RecordShare.view_count + 1, last_viewed_at=now)
            )
    except DBAPIError as error:
        log.warning("record share %s: view not counted (%s)", share.id, error.orig)
