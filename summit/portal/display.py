"""How the portal words a registration: states in plain English, money, codes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from summit.documents.tickets import grouped_code
from summit.models import Registration, RegistrationState


def state_words(registration: Registration) -> str:
    """``Confirmed``, ``On the waitlist``… and for an offer, until when it is held."""
    words = registration.state.attendee_label
    if registration.state == RegistrationState.OFFERED and registration.offer_expires_at:
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
        "money": money,
        "grouped_code": grouped_code,
    }
