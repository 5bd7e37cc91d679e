"""Self-training and the training record: resources, a person's own log, review,
significant prior training and experience, share links for districts and the ESD's
training series documentation (RCW 28A.400.345)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import StateType, coerce_states, db, utcnow
from summit.models.curriculum import Curriculum, Topic
from summit.models.issued import IssuedDocument
from summit.models.people import Person, StaffUser
from summit.models.states import TrainingEntryStatus

ENTRY_KINDS = ("topic", "on_the_job", "check_in_training")
ENTRY_STATUSES = TrainingEntryStatus.values()


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


@coerce_states
class SelfTrainingEntry(db.Model):
    """Training a person did outside the summit, in their own words, until staff review it.

    ``kind`` is a classroom ``topic`` (needs ``topic_id``), a day of
    ``on_the_job`` training, or a ``check_in_training`` (RCW 28A.400.345(2)).
    The statute has on-the-job training "with experienced safety and security
    staff, at the school of the experienced staff" and check-in trainings "with
    experienced staff", so those kinds name the experienced staff member (and, on
    the job, the school): ``services.check_entry`` requires them for new entries.
    Older rows without them stay readable but do not count toward the series.
    """

    __tablename__ = "self_training_entry"
    __table_args__ = (
        CheckConstraint("kind IN ('topic', 'on_the_job', 'check_in_training')", name="kind"),
        CheckConstraint(f"status IN ({TrainingEntryStatus.sql_list()})", name="status"),
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
    experienced_staff: Mapped[str] = mapped_column(String(200), default="")
    school: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[TrainingEntryStatus] = mapped_column(
        StateType(TrainingEntryStatus), default=TrainingEntryStatus.SUBMITTED
    )
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship()
    topic: Mapped[Topic | None] = relationship()
    reviewed_by: Mapped[StaffUser | None] = relationship()


class TrainingPolicy(db.Model):
    """ESD 105's own rule for self-training: the minutes that complete a subject.

    The statute sets no hours; this is the ESD's policy, so staff change it on a
    page rather than asking for a new setting. One row; with none, the install's
    ``TRAINING_REQUIRED_MINUTES`` applies.
    """

    __tablename__ = "training_policy"
    __table_args__ = (CheckConstraint("required_minutes > 0", name="minutes_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    required_minutes: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    updated_by: Mapped[StaffUser | None] = relationship()


class PriorExperience(db.Model):
    """ESD staff's finding of "significant prior training and experience".

    RCW 28A.400.345(3) lets such staff request training series documentation: it
    is a basis for the documentation as a whole, not a waiver of some subjects
    (the statute has no waiver). Staff record what they reviewed (with the files)
    and why; a withdrawn record is kept, with when it was withdrawn.
    """

    __tablename__ = "prior_experience"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    reviewed: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()
    recorded_by: Mapped[StaffUser | None] = relationship()
    files: Mapped[list[PriorExperienceFile]] = relationship(
        back_populates="prior_experience", order_by="PriorExperienceFile.id"
    )

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class PriorExperienceFile(db.Model):
    """One file ESD staff reviewed for a :class:`PriorExperience` (PDF, PNG or JPEG)."""

    __tablename__ = "prior_experience_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    prior_experience_id: Mapped[int] = mapped_column(ForeignKey("prior_experience.id"), index=True)
    path: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    prior_experience: Mapped[PriorExperience] = relationship(back_populates="files")


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


class TrainingSeriesDocumentation(IssuedDocument, db.Model):
    """The ESD's training series documentation (RCW 28A.400.345(3), RCW 28A.310.515).

    Issued on one basis, frozen in ``details``: the training series of
    RCW 28A.400.345(2) completed, or significant prior training and experience.
    A re-issue adds a row with the same ``serial`` and the next ``version`` and
    revokes the previous one as superseded. At most one valid row per person and
    curriculum (database rule). The table keeps its first name,
    ``proof_of_completion``; rows issued before the series was recorded (their
    ``details`` have no ``basis``) stay as they were printed.
    """

    __tablename__ = "proof_of_completion"
    __table_args__ = (
        UniqueConstraint("serial", "version"),
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
    serial: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship()
    curriculum: Mapped[Curriculum] = relationship()
