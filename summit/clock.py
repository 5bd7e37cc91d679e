"""Local calendar days. People write and read dates in Pacific time (``TIMEZONE``);
a UTC date is tomorrow in Yakima every evening from 4 or 5 pm."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def today_local() -> date:
    """Today in the install's time zone."""
    return datetime.now(local_zone()).date()


def local_date(value: datetime | None) -> date | None:
    return value.astimezone(local_zone()).date() if value is not None else None
