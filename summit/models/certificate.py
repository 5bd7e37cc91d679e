"""Certificates: stored PDFs with a stable serial and an unguessable verification code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import db, utcnow
from summit.models.event import Event
from summit.models.issued import IssuedDocument
from summit.models.registration import Registration


class Certificate(IssuedDocument, db.Model):
    """One issued version of a registration's certificate.

    A re-issue adds a row with the same ``serial`` and the next ``version`` and
    revokes the previous one, so a district holding an old printout learns it was
    superseded. At most one unrevoked version per registration (database rule).
    """

    __table_args__ = (
        CheckConstraint("kind IN ('completion', 'attendance')", name="kind"),
        UniqueConstraint("serial", "version"),
        UniqueConstraint("event_id", "serial_number", "version"),
        Index(
            "uq_certificate_valid_per_registration",
            "registration_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    serial_number: Mapped[int]
    serial: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20))

    registration: Mapped[Registration] = relationship()
    event: Mapped[Event] = relationship()


class CertificateBatch(db.Model):
    """A bulk issue run for one event; its counters drive a progress bar that
    survives a page reload, and a rerun after a crash picks up the remainder."""

    __tablename__ = "certificate_batch"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
