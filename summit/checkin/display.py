"""How a scan answer reads to staff: one sentence, the same on the desk and in the API."""

from __future__ import annotations

from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import url_for

from summit.checkin.services import ScanResult
from summit.models import Checkin, CheckinResult, Registration, RegistrationState


def scan_message(result: ScanResult, timezone: str) -> str:
    """One line for staff: ``Checked in``, ``Already checked in at 07:42 by Kim``, …"""
    out = result.checkin.direction == "out"
    if result.status == CheckinResult.OK:
        return "Checked out" if out else result.status.label
    if result.status == CheckinResult.ALREADY_CHECKED_IN:
        first = result.first
        verb = "Already checked out" if out else result.status.label
        if first is None:
            return verb
        at = first.scanned_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
        by = f" by {first.staff_user.display_name}" if first.staff_user is not None else ""
        return f"{verb} at {at}{by}"
    if result.status == CheckinResult.NOT_CONFIRMED:
        return f"{result.status.label}: {result.reason}"
    return result.status.label


def scan_tone(status: str) -> str:
    """The Bootstrap colour of an answer; the text always says the same without colour."""
    return CheckinResult(status).tone


def session_when(starts_at: datetime, ends_at: datetime, timezone: str) -> str:
    """``Tue, Jun 15 · 7:30–8:30 AM`` in the event's time zone.

    Staff choose a session by this: a two-day event has two "Check-in and breakfast"
    and two "Lunch" sessions, told apart only by the day and the time.
    """
    zone = ZoneInfo(timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    day = "%a, %b %-d"
    if start.date() != end.date():
        return f"{start.strftime(day)} · {_clock(start)} – {end.strftime(day)} {_clock(end)}"
    if start.strftime("%p") == end.strftime("%p"):
        return f"{start.strftime(day)} · {start.strftime('%-I:%M')}–{_clock(end)}"
    return f"{start.strftime(day)} · {_clock(start)}–{_clock(end)}"


def _clock(moment: datetime) -> str:
    return moment.strftime("%-I:%M %p")


def search_item(registration: Registration, checked: Checkin | None, tz: tzinfo) -> dict:
    """One result of the search as you type, with the time it was checked in (event time)."""
    return {
        "name": registration.person.full_name,
        "agency": registration.person.agency,
        "email": registration.person.email,
        "tier": registration.tier.name,
        "state": registration.state,
        "state_label": registration.state.label,
        "state_badge": registration.state.door_badge,
        "code": registration.ticket_code,
        "checked_in_at": checked.scanned_at.astimezone(tz).strftime("%H:%M") if checked else None,
        "payment_url": url_for(
            "desk_payments.desk_payment",
            slug=registration.event.slug,
            registration_id=registration.id,
        )
        if registration.state == RegistrationState.AWAITING_PAYMENT
        else None,
    }
