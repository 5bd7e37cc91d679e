"""What every signed, verifiable document shares: certificates and training series documentation."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from summit.models.base import utcnow

if TYPE_CHECKING:
    from summit.models.people import StaffUser


class IssuedDocument:
    """Columns of a document the ESD signs and anyone can verify.

    The code a district types on ``/verify``, the snapshot that was printed and its
    hash, the stored PDF, who issued it and when, and its revocation. One
    definition, so ``summit.certificates.verify`` can answer for both kinds alike.
    """

    verification_code: Mapped[str] = mapped_column(String(64), unique=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    file_path: Mapped[str] = mapped_column(String(300), default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(Text, default="")

    @declared_attr
    def issued_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("staff_user.id"))

    @declared_attr
    def issued_by(cls) -> Mapped[StaffUser | None]:
        return relationship("StaffUser")

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None
