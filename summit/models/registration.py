"""Registrations, their payments and invoices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from summit.models.base import StateType, coerce_states, db, utcnow
from summit.models.event import Event, Tier
from summit.models.people import Person, StaffUser
from summit.models.states import RegistrationState

REGISTRATION_STATES = RegistrationState.values()
# States that hold a seat against event and tier capacity.
SEAT_HOLDING_STATES = tuple(state for state in RegistrationState if state.holds_seat)
_ACTIVE = f"state != '{RegistrationState.CANCELLED.value}'"


@coerce_states
class Registration(db.Model):
    """A person at an event in a tier. State changes go through one service only."""

    __table_args__ = (
        CheckConstraint(f"state IN ({RegistrationState.sql_list()})", name="state"),
        # One active registration per person per event, enforced by the database.
        Index(
            "uq_registration_active_person_event",
            "event_id",
            "person_id",
            unique=True,
            sqlite_where=text(_ACTIVE),
            postgresql_where=text(_ACTIVE),
        ),
        Index("ix_registration_event_state", "event_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    tier_id: Mapped[int] = mapped_column(ForeignKey("tier.id"), index=True)
    state: Mapped[RegistrationState] = mapped_column(StateType(RegistrationState))
    ticket_code: Mapped[str] = mapped_column(String(64), unique=True)
    school_district: Mapped[str] = mapped_column(String(300), default="")
    accommodations: Mapped[str] = mapped_column(Text, default="")
    payment_method: Mapped[str | None] = mapped_column(String(20))
    offer_expires_at: Mapped[datetime | None]
    reminder_sent_at: Mapped[datetime | None]
    certificate_withheld_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]

    event: Mapped[Event] = relationship()
    person: Mapped[Person] = relationship()
    tier: Mapped[Tier] = relationship()
    payments: Mapped[list[Payment]] = relationship(
        back_populates="registration", order_by="Payment.id"
    )

    @property
    def amount_due_cents(self) -> int:
        paid = sum(payment.amount_cents for payment in self.payments)
        return max(self.tier.price_cents - paid, 0)


class Payment(db.Model):
    """An append-only money movement (or waiver) for a registration.

    Rows are never edited or deleted; the registration's state follows their sum.
    A reference (check number, Stripe session) is recorded once per registration and
    method: two districts may both pay with their check number 1001.
    """

    __table_args__ = (
        CheckConstraint(
            "method IN ('invoice', 'check', 'cash', 'card', 'waiver', 'refund')", name="method"
        ),
        UniqueConstraint("registration_id", "method", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), index=True)
    amount_cents: Mapped[int]
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="payments")
    recorded_by: Mapped[StaffUser | None] = relationship()


class Invoice(db.Model):
    """The invoice sent for a fee tier paid by purchase order or check."""

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id"), unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    amount_cents: Mapped[int]
    purchase_order: Mapped[str] = mapped_column(String(100), default="")
    pay_by_check: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship()
