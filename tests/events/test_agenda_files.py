"""Attendees download the agenda from the public event page: a one-page PDF and an .ics."""

from __future__ import annotations

import io
from datetime import time

from icalendar import Calendar
from pypdf import PdfReader

from summit.extensions import db
from tests.helpers import pdf_text, words


def test_the_event_page_offers_both_downloads(client, make_event):
    event = make_event()
    page = words(client.get(f"/events/{event.slug}"))
    assert "Print the agenda (PDF, one page)" in page
    assert "Add every session to your calendar (.ics)" in page


def test_the_agenda_pdf_is_one_page_with_every_session(client, make_event):
    event = make_event()
    event.sessions[0].speakers = "Dana Reyes"
    db.session.commit()
    response = client.get(f"/events/{event.slug}/agenda.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f'filename="{event.slug}-agenda.pdf"' in response.headers["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 1
    printed = " ".join(pdf_text(response.data).split())
    assert event.sessions[0].title.split()[0] in printed
    assert "Dana Reyes" in printed and "Ballroom A" in printed and "8:00 AM" in printed


def test_the_ics_has_one_entry_per_session_in_the_events_time_zone(client, make_event):
    event = make_event()
    event.sessions[0].speakers = "Dana Reyes"
    db.session.commit()
    response = client.get(f"/events/{event.slug}/agenda.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    entries = [c for c in calendar.walk("VEVENT")]
    assert len(entries) == len(event.sessions)
    first = entries[0]
    assert str(first["summary"]) == event.sessions[0].title
    start = first.decoded("dtstart")
    assert str(start.tzinfo) == "America/Los_Angeles" and start.time() == time(8, 0)
    assert "Dana Reyes" in str(first["description"])
    assert str(first["location"]) == "Ballroom A, Yakima Convention Center"
    assert len({str(entry["uid"]) for entry in entries}) == len(entries)
    assert calendar.walk("VTIMEZONE")


def test_an_unpublished_event_has_no_downloads(client, make_event):
    event = make_event(is_published=False)
    assert client.get(f"/events/{event.slug}/agenda.pdf").status_code == 404
    assert client.get(f"/events/{event.slug}/agenda.ics").status_code == 404
