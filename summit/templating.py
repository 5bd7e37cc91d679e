"""Jinja filters and globals shared by every page."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from summit.curricula import minutes_policy
from summit.models.states import STATE_ENUMS


def local_time(value: datetime | None, tz: str | None = None, fmt: str = "%-I:%M %p") -> str:
    """A UTC timestamp shown in the event's time zone (Pacific by default)."""
    if value is None:
        return ""
    zone = ZoneInfo(tz or current_app.config["TIMEZONE"])
    return value.astimezone(zone).strftime(fmt)


def long_date(value: date | datetime | str | None) -> str:
    """``Tuesday, June 15, 2027``; also for an ISO date kept in a stored snapshot."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.strftime("%A, %B %-d, %Y")


def date_range(start: date, end: date) -> str:
    """``June 15–16, 2027`` or ``June 30 – July 1, 2027``: how people write event dates."""
    if start == end:
        return start.strftime("%B %-d, %Y")
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.strftime('%B %-d')}–{end.day}, {end.year}"
    if start.year == end.year:
        return f"{start.strftime('%B %-d')} – {end.strftime('%B %-d')}, {end.year}"
    return f"{start.strftime('%B %-d, %Y')} – {end.strftime('%B %-d, %Y')}"


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.globals["date_range"] = date_range
    app.jinja_env.globals["minutes_policy"] = minutes_policy
    # ``RegistrationState.CONFIRMED`` and friends, for comparisons in pages and emails;
    # labels and badges come with the members themselves (``registration.state.label``).
    app.jinja_env.globals.update({enum.__name__: enum for enum in STATE_ENUMS})

    @app.context_processor
    def organisation():
        return {
            "org_name": app.config["ORGANISATION_NAME"],
            "org_unit": app.config["ORGANISATION_UNIT"],
        }
