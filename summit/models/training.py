"""Self-training and the training record: resources, a person's own log, review,
waivers, share links for districts and the ESD's proof of completion."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import db, utcnow
from summit.models.curriculum import Curriculum, Topic
from summit.models.issued import IssuedDocument
from summit.models.people import Person, StaffUser

ENTRY_KINDS = ("topic", "on_the_job", "check_in_training")
ENTRY_STATUSES = ("submitted", "accepted", "returned")


class TrainingResource(db.Model):
    """A link to self-training material for one topic, kept current by staff."""

    __tablename__ = "training_resource"
    __table_args__ = (
        CheckConstraint("approx_minutes IS NULL OR approx_minutes > 0", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    provider: Mapped[str] = mapped_column(String(200), default="")
    format: Mapped[str] = mapped_column(String(40), default="")
    approx_minutes: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    topic: Mapped[Topic | None] = relationship()


class SelfTrainingEntry(db.Model):
    """Training a person did outside the summit, in their own words, until staff review it.

    ``kind`` is a classroom ``topic`` (needs ``topic_id``), a day of
    ``on_the_job`` training, or a ``check_in_training`` (RCW 28A.400.345).
    """

    __tablename__ = "self_training_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('topic', 'on_the_job', 'check_in_training')", name="kind"),
        CheckConstraint("status IN ('submitted', 'accepted', 'returned')", name="status"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("kind != 'topic' OR topic_id IS NOT NULL", name="topic_needs_topic"),
        Index("ix_self_training_entry_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="topic")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    completed_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    minutes: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_path: Mapped[str] = mapped_column(String(300), default="")
    evidence_filename: Mapped[str] = mapped_column(String(200), default="")
    evidence_content_type: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship()
    topic: Mapped[Topic | None] = relationship()
    reviewed_by: Mapped[StaffUser | None] = relationship()


class TrainingWaiver(db.Model):
    """Staff record that significant prior training stands in for some or all topics."""

    __tablename__ = "training_waiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()
    topic: Mapped[Topic | None] = relationship()
    granted_by: Mapped[StaffUser | None] = relationship()


class RecordShare(db.Model):
    """A read-only link to a person's training record for a district; only its hash is kept."""

    __tablename__ = "record_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_viewed_at: Mapped[datetime | None]
    view_count: Mapped[int] = mapped_column(default=0)

    person: Mapped[Person] = relationship()


class ProofOfCompletion(IssuedDocument, db.Model):
    """The ESD's training series documentation: every topic done, summit or self-trained."""

    __tablename__ = "proof_of_completion"
    __table_args__ = (
        Index(
            "uq_proof_of_completion_valid",
            "person_id",
            "curriculum_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curriculum.id"))
    serial: Mapped[str] = mapped_column(String(40), unique=True)

    person: Mapped[Person] = relationship()
    curriculum: Mapped[Curriculum] = relationship()
