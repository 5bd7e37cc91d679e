"""Curricula and topics: the mandated training subjects are data, not code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import db, utcnow


class Topic(db.Model):
    """A training subject, shared by every curriculum that teaches it.

    Sharing the row is what lets de-escalation learnt under the 2019 list count
    under the 2021 statute list too.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")


class Curriculum(db.Model):
    """An ordered, versioned list of subjects with where its words come from.

    ``is_statutory`` marks the statute's own list (RCW 28A.310.515(2)): a
    certificate of completion needs every subject of it. Other lists (ESD 105's
    older 12 units) name the same subjects and may cover fewer.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    statute_reference: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    is_statutory: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[CurriculumTopic]] = relationship(
        back_populates="curriculum",
        order_by="CurriculumTopic.position",
        cascade="all, delete-orphan",
    )

    @property
    def topics(self) -> list[Topic]:
        return [item.topic for item in self.items]


class CurriculumTopic(db.Model):
    """A topic's place in one curriculum, with that curriculum's wording and reference."""

    __table_args__ = (
        UniqueConstraint("curriculum_id", "position"),
        UniqueConstraint("curriculum_id", "topic_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curriculum.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    statute_reference: Mapped[str] = mapped_column(String(100), default="")
    statute_text: Mapped[str] = mapped_column(Text, default="")

    curriculum: Mapped[Curriculum] = relationship(back_populates="items")
    topic: Mapped[Topic] = relationship()
