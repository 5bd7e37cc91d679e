"""Append-only records: check-ins, the audit log and the mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import StateType, coerce_states, db, utcnow
from summit.models.event import AgendaSession, Event
from summit.models.people import StaffUser
from summit.models.registration import Registration
from summit.models.states import CheckinResult

CHECKIN_STATUSES = CheckinResult.values()
CHECKIN_SOURCES = ("desk", "scanner", "camera", "search", "roster", "api", "walk_in", "offline")


@coerce_states
class Checkin(db.Model):
    """One scan: event entry (no session) or session attendance, successful or not.

    Never updated except to annul; a client nonce makes replays answer once.
    A nonce is unique within its ``nonce_scope`` (``token:<id>`` for a scanner
    app, ``staff:<id>`` for a desk), not globally: two scanners that happen to pick
    the same nonce each get their own check-in.
    """

    __table_args__ = (
        CheckConstraint("direction IN ('in', 'out')", name="direction"),
        Index("ix_checkin_registration_session", "registration_id", "session_id"),
        UniqueConstraint("nonce_scope", "nonce"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_session.id"))
    direction: Mapped[str] = mapped_column(String(3), default="in")
    status: Mapped[CheckinResult] = mapped_column(StateType(CheckinResult, 30))
    scanned_code: Mapped[str] = mapped_column(String(80), default="")
    source: Mapped[str] = mapped_column(String(20))
    nonce: Mapped[str | None] = mapped_column(String(80))
    nonce_scope: Mapped[str] = mapped_column(String(40), default="", server_default="")
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_replay: Mapped[bool] = mapped_column(default=False)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # The scanner app's token that recorded the scan (None at the desk).
    api_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_token.id"))
    annulled_at: Mapped[datetime | None]
    annulled_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    event: Mapped[Event] = relationship()
    registration: Mapped[Registration | None] = relationship()
    session: Mapped[AgendaSession | None] = relationship()
    staff_user: Mapped[StaffUser | None] = relationship(foreign_keys=[staff_user_id])


class AuditLog(db.Model):
    """Who changed what, with the values before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[int | None]
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutboxMessage(db.Model):
    """An email written in the same transaction as the change that causes it.

    Delivered after commit and retried with back-off, so SMTP being down never
    loses a message; ``dedupe_key`` makes "send once" messages impossible to repeat.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    registration: Mapped[Registration | None] = relationship()
