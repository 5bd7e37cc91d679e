"""People who register, and the staff who run the event."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import db, utcnow

if TYPE_CHECKING:
    from summit.models.event import Event

ROLE_TYPES = ("sro", "security", "other")
STAFF_ROLES = ("admin", "checkin")


class Person(db.Model):
    """Someone who registers or self-trains; one row per email across all events.

    Emails are stored lower-cased (and the database checks it), which makes the
    unique constraint case-insensitive on SQLite and PostgreSQL alike.
    """

    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint("role_type IN ('sro', 'security', 'other')", name="role_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    agency: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    role_type: Mapped[str] = mapped_column(String(20), default="other")
    # When the person started working in schools in this role (RCW 28A.400.345 deadlines).
    assignment_started_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class StaffUser(UserMixin, db.Model):
    """An ESD staff account: ``admin`` runs events, ``checkin`` works the door."""

    __tablename__ = "staff_user"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower_case"),
        CheckConstraint("role IN ('admin', 'checkin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]
    # The sign-in before the last one: the staff home shows what changed since then.
    previous_sign_in_at: Mapped[datetime | None]
    # Moved on sign-out, password change and deactivation: sessions holding an
    # older version stop working, copied cookies included (see ``get_id``).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # The last TOTP time step accepted: a code works once, not for its whole window.
    totp_last_step: Mapped[int | None]

    def get_id(self) -> str:
        """What the session cookie holds: the id and the session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def display_name(self) -> str:
        return self.name or self.email


class RecoveryCode(db.Model):
    """One of the ten codes that replace an authenticator code once (a lost phone).

    Shown once when two-step sign-in is turned on; only a SHA-256 hash is kept
    (a code has 80 random bits, so a plain hash is enough); ``used_at`` spends it.
    """

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class SignInFailure(db.Model):
    """Failed staff sign-ins in a row for one email address, whether an account has it or not.

    Counting unknown addresses too keeps a lock from telling whether an account
    exists (``summit.auth.lockout``).
    """

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


api_token_event = Table(
    "api_token_event",
    db.metadata,
    Column("api_token_id", ForeignKey("api_token.id", ondelete="CASCADE"), primary_key=True),
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
)


class ApiToken(db.Model):
    """A bearer token for scanner apps, made by an admin for one staff account.

    Only a SHA-256 hash is stored; the token itself is shown once at creation.
    Requests made with it act as that staff member, within the token's scope:
    its ``role`` (never above the member's) and its ``events`` (or every event
    the role may see when ``all_events``; see ``summit.auth.api_tokens``).
    """

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("role IN ('admin', 'checkin')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    role: Mapped[str] = mapped_column(String(20), default="checkin")
    all_events: Mapped[bool] = mapped_column(default=False)

    staff_user: Mapped[StaffUser] = relationship()
    events: Mapped[list[Event]] = relationship(secondary=api_token_event, order_by="Event.slug")
