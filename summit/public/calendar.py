"""The whole event's agenda as an ``.ics`` file: one calendar entry per session.

Built like the registration email's calendar file (``summit.mail.content``): times
in the event's time zone (``TZID`` with its ``VTIMEZONE``), so a calendar shows
8:00 in Yakima whatever zone the reader is in. Each session's UID is stable, so
importing the file again after the agenda changed updates the entries instead of
doubling them.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from summit.models import AgendaSession, Event
from summit.urls import absolute_url


def agenda_calendar(event: Event, *, now: datetime) -> bytes:
    """The ``.ics`` bytes of every session of ``event`` (sessions and topics loaded)."""
    calendar = Calendar()
    calendar.add("prodid", f"-//{current_app.config['ORGANISATION_NAME']}//S5 Summit//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", event.name)
    calendar.add("x-wr-timezone", event.timezone)
    url = absolute_url("public.event", slug=event.slug)
    for session in event.sessions:
        calendar.add_component(_entry(event, session, now=now, url=url))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _entry(event: Event, session: AgendaSession, *, now: datetime, url: str) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", f"session-{session.id}@{_domain()}")
    entry.add("dtstamp", now)
    entry.add("summary", session.title)
    entry.add("dtstart", session.starts_at.astimezone(event.tz))
    entry.add("dtend", session.ends_at.astimezone(event.tz))
    entry.add("location", ", ".join(p for p in (session.room, event.venue_name) if p))
    lines = [event.name]
    if session.speakers:
        lines.append(f"Speakers: {session.speakers}")
    lines += [f"{t.topic.title}: {t.minutes} min" for t in session.topics]
    entry.add("description", "\n".join(lines))
    entry.add("url", url)
    return entry


def _domain() -> str:
    """This install's host name, so UIDs never clash with another install's."""
    return urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname or "summit.localhost"
