"""Events, their tiers, their agenda and what each session teaches."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import db, utcnow
from summit.models.curriculum import Curriculum, Topic

CREDIT_MODES = ("full_session", "actual_minutes")
# The zones an event may be in, with the words staff choose from; the public page
# names the zone by the first of those words ("Times are Mountain").
TIME_ZONES = (
    ("America/Los_Angeles", "Pacific (Yakima, Seattle)"),
    ("America/Boise", "Mountain (Boise)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Arizona"),
    ("America/Chicago", "Central"),
    ("America/New_York", "Eastern"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
)


class Event(db.Model):
    """One summit: dates, venue, registration window, capacity and curriculum."""

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("default_required_minutes >= 0", name="required_not_negative"),
        CheckConstraint("checkin_grace_minutes >= 0", name="grace_not_negative"),
        CheckConstraint("credit_mode IN ('full_session', 'actual_minutes')", name="credit_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    timezone: Mapped[str] = mapped_column(String(64), default="America/Los_Angeles")
    venue_name: Mapped[str] = mapped_column(String(200), default="")
    venue_address: Mapped[str] = mapped_column(String(300), default="")
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    capacity: Mapped[int | None]
    is_published: Mapped[bool] = mapped_column(default=True)
    # Archived: over and done with; off every list, its records (certificates, scans) kept.
    archived_at: Mapped[datetime | None]
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curriculum.id"))
    default_required_minutes: Mapped[int] = mapped_column(default=60)
    credit_mode: Mapped[str] = mapped_column(String(20), default="full_session")
    # ESD policy: how early a session scan may come and still earn credit.
    checkin_grace_minutes: Mapped[int] = mapped_column(default=30)
    # Districts pay after the event: a purchase-order number confirms a fee-tier seat.
    confirm_on_purchase_order: Mapped[bool] = mapped_column(default=False, server_default=false())
    certificate_signer_name: Mapped[str] = mapped_column(String(200), default="")
    certificate_signer_title: Mapped[str] = mapped_column(String(200), default="")
    signature_path: Mapped[str] = mapped_column(String(300), default="")
    logo_path: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    curriculum: Mapped[Curriculum] = relationship()
    tiers: Mapped[list[Tier]] = relationship(
        back_populates="event", order_by="Tier.position", cascade="all, delete-orphan"
    )
    sessions: Mapped[list[AgendaSession]] = relationship(
        back_populates="event",
        order_by="(AgendaSession.starts_at, AgendaSession.id)",
        cascade="all, delete-orphan",
    )
    requirements: Mapped[list[TopicRequirement]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", order_by="Room.name", cascade="all, delete-orphan"
    )
    # Loaded once per event when its emails are rendered: a bulk send reads it once.
    email_texts: Mapped[list[EmailText]] = relationship(
        back_populates="event", order_by="EmailText.kind", cascade="all, delete-orphan"
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_name(self) -> str:
        """How attendees name the event's clock: "Pacific", or the zone id if unlisted."""
        label = dict(TIME_ZONES).get(self.timezone)
        return label.split(" (")[0] if label else self.timezone.replace("_", " ")

    def required_minutes(self, topic: Topic) -> int:
        """Minutes a person must attend on ``topic``: a per-topic override or the default."""
        for requirement in self.requirements:
            if requirement.topic_id == topic.id:
                return requirement.required_minutes
        return self.default_required_minutes

    def registration_status(self, now: datetime) -> str:
        """``not_yet_open``, ``open`` or ``closed`` at ``now`` (an aware datetime)."""
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet_open"
        if self.registration_closes_at and now >= self.registration_closes_at:
            return "closed"
        return "open"


class EmailText(db.Model):
    """An event's own words for one automatic email, in place of the standard text.

    Subject and body are plain text with ``{{ placeholder }}`` names, filled at queue
    time (``summit.mail.texts``); no row for a kind means the standard template.
    """

    __tablename__ = "email_text"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="email_texts")


class TopicRequirement(db.Model):
    """A per-event override of the minutes required on one topic."""

    __table_args__ = (
        UniqueConstraint("event_id", "topic_id"),
        CheckConstraint("required_minutes >= 0", name="minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    required_minutes: Mapped[int]

    event: Mapped[Event] = relationship(back_populates="requirements")
    topic: Mapped[Topic] = relationship()


class Tier(db.Model):
    """A way to register: price, who is eligible, optional capacity and approval."""

    __table_args__ = (
        UniqueConstraint("event_id", "slug"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    price_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    eligibility: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None]
    requires_approval: Mapped[bool] = mapped_column(default=False)
    is_open: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="tiers")

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0

    @property
    def price_label(self) -> str:
        if self.is_free:
            return "Free"
        dollars, cents = divmod(self.price_cents, 100)
        return f"${dollars:,}" + (f".{cents:02d}" if cents else "")

    @property
    def name_with_price(self) -> str:
        """``Security staff ($50)``, without a second pair of brackets.

        A name that already states its price (``School resource officers (free)``)
        is shown as it is; one that ends in brackets of its own gets the price after
        a dash: ``SRO (commissioned officer) — Free``.
        """
        price = self.price_label
        if re.search(rf"(?<!\w){re.escape(price)}(?!\w)", self.name, re.IGNORECASE):
            return self.name
        if self.name.rstrip().endswith(")"):
            return f"{self.name} — {price}"
        return f"{self.name} ({price})"


class Room(db.Model):
    """A room of the venue and its seats; sessions name their room as text (``room``),
    and the agenda editor offers these names and checks sessions against them."""

    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int | None]

    event: Mapped[Event] = relationship(back_populates="rooms")


class AgendaSession(db.Model):
    """A time slot in a room; it may teach curriculum topics or none (lunch, networking)."""

    __tablename__ = "agenda_session"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The room's name as text (a ``Room`` row gives it seats): the agenda editor
    # compares rooms by this name, ignoring case and spaces around it.
    room: Mapped[str] = mapped_column(String(120), default="")
    # Who speaks, as printed: names separated by commas.
    speakers: Mapped[str] = mapped_column(String(300), default="", server_default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship(back_populates="sessions")
    topics: Mapped[list[SessionTopic]] = relationship(
        back_populates="session", cascade="all, delete-orphan"
    )

    @property
    def local_day(self) -> date:
        """The calendar day in the event's time zone, for grouping the agenda."""
        return self.starts_at.astimezone(self.event.tz).date()

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class SessionTopic(db.Model):
    """How many minutes of one topic a session teaches."""

    __table_args__ = (
        UniqueConstraint("session_id", "topic_id"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    minutes: Mapped[int]

    session: Mapped[AgendaSession] = relationship(back_populates="topics")
    topic: Mapped[Topic] = relationship()
