"""How the portal words a registration: states in plain English, money, codes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from summit.documents.tickets import grouped_code
from summit.models import Registration

STATE_WORDS = {
    "confirmed": "Confirmed",
    "awaiting_payment": "Awaiting payment",
    "waitlisted": "On the waitlist",
    "offered": "A seat is offered to you",
    "pending_approval": "Waiting for approval",
    "cancelled": "Cancelled",
}
STATE_BADGES = {
    "confirmed": "text-bg-success",
    "awaiting_payment": "text-bg-warning",
    "waitlisted": "text-bg-secondary",
    "offered": "text-bg-info",
    "pending_approval": "text-bg-secondary",
    "cancelled": "text-bg-dark",
}
# Why there is no QR yet, for every state that has none.
NO_TICKET_REASONS = {
    "awaiting_payment": "Your ticket appears here once the payment has been received.",
    "waitlisted": "You are on the waitlist. If a seat frees up we email you and hold it for you.",
    "offered": "Accept the offered seat to get your ticket.",
    "pending_approval": "ESD 105 staff review registrations of this type. "
    "Your ticket appears here once it is approved.",
    "cancelled": "This registration is cancelled, so it has no ticket.",
}


def state_words(registration: Registration) -> str:
    """``Confirmed``, ``On the waitlist``… and for an offer, until when it is held."""
    words = STATE_WORDS.get(registration.state, registration.state.replace("_", " "))
    if registration.state == "offered" and registration.offer_expires_at:
        zone = ZoneInfo(registration.event.timezone)
        until = registration.offer_expires_at.astimezone(zone)
        words += f" until {until.strftime('%A, %B %-d at %-I:%M %p %Z')}"
    return words


def money(cents: int) -> str:
    """``$50`` or ``$50.25``; nothing owed reads ``Nothing``."""
    if cents == 0:
        return "Nothing"
    dollars, rest = divmod(cents, 100)
    return f"${dollars:,}" + (f".{rest:02d}" if rest else "")


def template_helpers() -> dict:
    """Functions the portal's templates call (a blueprint context processor)."""
    return {
        "state_words": state_words,
        "state_badge": lambda r: STATE_BADGES.get(r.state, "text-bg-secondary"),
        "no_ticket_reason": lambda r: NO_TICKET_REASONS.get(r.state, ""),
        "money": money,
        "grouped_code": grouped_code,
    }
