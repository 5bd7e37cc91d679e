"""Reading an event's registrations: search, state filter, page, CSV.

Read-only helpers for the staff list; scoped by the event in every query.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from summit.extensions import db
from summit.models import Event, Person, Registration, Tier
from summit.payments.money import format_cents

SEARCH_COLUMNS = (Person.first_name, Person.last_name, Person.email, Person.agency)
CSV_HEADER = (
    "Registration ID", "First name", "Last name", "Email", "Phone", "Agency", "Job title",
    "School district", "Tier", "State", "Fee", "Paid", "Amount due", "Payment method",
    "Registered",
)  # fmt: skip
# A cell starting with one of these is a formula to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def search_registrations(event: Event, *, q: str = "", state: str = "") -> Select:
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
    for word in q.lower().split():
        statement = statement.where(
            or_(*(func.lower(column).contains(word, autoescape=True) for column in SEARCH_COLUMNS))
        )
    return statement


def state_counts(event: Event) -> dict[str, int]:
    rows = db.session.execute(
        select(Registration.state, func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.state)
    ).all()
    return {state: count for state, count in rows}


def registrations_csv(registrations: Iterable[Registration], *, tz_name: str) -> str:
    """The list as CSV with agency and email columns, safe to open in a spreadsheet."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz_name)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for registration in registrations:
        writer.writerow([_safe_cell(value) for value in _csv_row(registration, zone)])
    return buffer.getvalue()


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


def _safe_cell(value: str) -> str:
    """Defuse spreadsheet formulas typed into a form (CSV injection); money stays readable."""
    if value.startswith(FORMULA_STARTS) and not value.startswith("-$"):
        return "'" + value
    return value
