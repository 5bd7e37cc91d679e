"""Reading an event's registrations: search, state filter, page, the CSV's rows.

Read-only helpers for the staff list; scoped by the event in every query.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from summit.extensions import db
from summit.models import Event, Payment, Person, Registration, RegistrationState, Tier
from summit.payments.money import format_cents
from summit.search import contains

SEARCH_COLUMNS = (Person.first_name, Person.last_name, Person.email, Person.agency)
CSV_HEADER = (
    "Registration ID", "First name", "Last name", "Email", "Phone", "Agency", "Job title",
    "School district", "Tier", "State", "Fee", "Paid", "Amount due", "Payment method",
    "Registered",
)  # fmt: skip


def confirmed_with_payment_due() -> ColumnElement[bool]:
    """Confirmed yet still owing: seats given on a purchase order, paid after the event.

    The fee above what was paid or waived, in SQL (``Registration.tier`` joined), so
    lists and counts need no row per payment.
    """
    paid = (
        select(func.coalesce(func.sum(Payment.amount_cents), 0))
        .where(Payment.registration_id == Registration.id)
        .scalar_subquery()
    )
    return (Registration.state == RegistrationState.CONFIRMED) & (Tier.price_cents > paid)


def search_registrations(
    event: Event, *, q: str = "", state: str = "", payment_due: bool = False
) -> Select:
    """The event's registrations, newest first, matching every word of ``q``.

    Each word must appear (case-insensitively) in the first or last name, the email
    or the agency, so "alex yakima" finds Alex from Yakima PD. ``lower() LIKE``
    behaves the same on SQLite and PostgreSQL, unlike ``ILIKE``.
    """
    statement = (
        select(Registration)
        .join(Registration.person)
        .join(Registration.tier)
        .where(Registration.event_id == event.id)
        .options(
            contains_eager(Registration.person),
            contains_eager(Registration.tier),
            selectinload(Registration.payments),
        )
        .order_by(Registration.created_at.desc(), Registration.id.desc())
    )
    if state:
        statement = statement.where(Registration.state == state)
    if payment_due:
        statement = statement.where(confirmed_with_payment_due())
    for word in q.lower().split():
        statement = statement.where(or_(*(contains(column, word) for column in SEARCH_COLUMNS)))
    return statement


def state_counts(event: Event) -> dict[str, int]:
    rows = db.session.execute(
        select(Registration.state, func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.state)
    ).all()
    return {state: count for state, count in rows}


def registration_rows(registrations: Iterable[Registration], *, tz_name: str) -> list[list[str]]:
    """The list for the CSV download (header first), with agency and email columns."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz_name)
    return [list(CSV_HEADER), *(_csv_row(registration, zone) for registration in registrations)]


def _csv_row(registration: Registration, zone) -> list[str]:
    person: Person = registration.person
    tier: Tier = registration.tier
    paid = sum(payment.amount_cents for payment in registration.payments)
    return [
        str(registration.id),
        person.first_name,
        person.last_name,
        person.email,
        person.phone,
        person.agency,
        person.job_title,
        registration.school_district,
        tier.name,
        registration.state,
        format_cents(tier.price_cents),
        format_cents(paid),
        format_cents(registration.amount_due_cents),
        registration.payment_method or "",
        registration.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
    ]
