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

from summit.models.base import StateType, coerce_states, db, utcnow
from summit.models.event import Event
from summit.models.issued import IssuedDocument
from summit.models.registration import Registration
from summit.models.states import CertificateStatus

_REVOKED = CertificateStatus.sql_list((CertificateStatus.REVOKED, CertificateStatus.SUPERSEDED))


def _one_per_registration(name: str, status: CertificateStatus) -> Index:
    """A partial unique index: at most one version in ``status`` per registration."""
    where = text(f"status = '{status.value}'")
    return Index(name, "registration_id", unique=True, sqlite_where=where, postgresql_where=where)


@coerce_states
class Certificate(IssuedDocument, db.Model):
    """One version of a registration's certificate; ``status`` says where it stands.

    An issue first reserves a ``pending`` row (serial, version, code), prints the
    PDF, then makes it ``issued``. A re-issue adds a row with the same ``serial``
    and the next ``version`` and makes the previous one ``superseded``, so a
    district holding an old printout learns it was replaced. Database rules: at
    most one issued and one pending version per registration, and ``revoked_at``
    is set exactly for revoked and superseded versions.
    """

    __table_args__ = (
        CheckConstraint("kind IN ('completion', 'attendance')", name="kind"),
        CheckConstraint(f"status IN ({CertificateStatus.sql_list()})", name="status"),
        CheckConstraint(f"(revoked_at IS NOT NULL) = (status IN ({_REVOKED}))", name="revoked_at"),
        UniqueConstraint("serial", "version"),
        UniqueConstraint("event_id", "serial_number", "version"),
        _one_per_registration("uq_certificate_valid_per_registration", CertificateStatus.ISSUED),
        _one_per_registration("uq_certificate_pending_per_registration", CertificateStatus.PENDING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    serial_number: Mapped[int]
    serial: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[CertificateStatus] = mapped_column(
        StateType(CertificateStatus), default=CertificateStatus.PENDING
    )

    registration: Mapped[Registration] = relationship()
    event: Mapped[Event] = relationship()

    @property
    def is_valid(self) -> bool:
        return self.status.is_valid


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
