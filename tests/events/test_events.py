"""Admins create, edit, publish, unpublish and archive events from the browser.

Every bad input comes back as the form with the reason beside its field, a 4xx,
and nothing saved; every change is in the audit log.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import AuditLog, Event
from tests.helpers import reload, text


def audit_actions(event: Event) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditLog.action).where(AuditLog.event_id == event.id).order_by(AuditLog.id)
        )
    )


def event_form(event: Event | None = None, **changes) -> dict[str, str]:
    """What the edit form posts for ``event`` (or a new event), with ``changes``."""
    if event is None:
        data = {
            "name": "S5 Summit 2028",
            "slug": "s5-2028",
            "starts_on": "2028-06-20",
            "ends_on": "2028-06-21",
            "timezone": "America/Los_Angeles",
            "venue_name": "Yakima Convention Center",
            "venue_address": "10 N 8th St, Yakima, WA 98901",
            "description": "The summit.",
            "registration_opens_at": "2028-01-10T09:00",
            "registration_closes_at": "2028-06-13T23:59",
            "capacity": "250",
            "curriculum_id": "",
            "required_minutes": "60",
            "contact_email": "s5@esd105.example",
        }
    else:
        data = {
            "name": event.name,
            "slug": event.slug,
            "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat(),
            "timezone": event.timezone,
            "venue_name": event.venue_name,
            "venue_address": event.venue_address,
            "description": event.description,
            "registration_opens_at": "",
            "registration_closes_at": "",
            "capacity": "" if event.capacity is None else str(event.capacity),
            "curriculum_id": str(event.curriculum_id),
            "required_minutes": str(event.default_required_minutes),
            "contact_email": event.contact_email,
        }
    data.update({key: str(value) for key, value in changes.items()})
    return data


@pytest.fixture
def admin(auth):
    return auth.as_role("admin")


# --- creating ----------------------------------------------------------------------------


def test_an_admin_creates_an_event_unpublished(client, admin, curricula):
    statute = next(iter(curricula.values()))
    form = event_form(curriculum_id=statute.id)
    response = client.post("/staff/events/new", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/events/s5-2028/tiers")
    event = db.session.scalar(select(Event).where(Event.slug == "s5-2028"))
    assert not event.is_published
    assert (event.starts_on, event.ends_on) == (date(2028, 6, 20), date(2028, 6, 21))
    # 09:00 in Yakima in January is 17:00 UTC (PST, UTC-8).
    assert event.registration_opens_at == datetime(2028, 1, 10, 17, 0, tzinfo=UTC)
    assert event.venue_address == "10 N 8th St, Yakima, WA 98901"
    assert event.contact_email == "s5@esd105.example"
    assert event.capacity == 250 and event.curriculum_id == statute.id
    assert audit_actions(event) == ["event.create"]
    assert client.get("/events/s5-2028").status_code == 404  # not on the public site yet
    listing = text(client.get("/staff/events/"))
    assert "S5 Summit 2028" in listing and "Not published" in listing


def test_the_new_event_form_shows_every_field(client, admin, curricula):
    page = text(client.get("/staff/events/new"))
    for label in (
        "Title",
        "Web address",
        "First day",
        "Last day",
        "Time zone",
        "Venue address",
        "Registration opens",
        "Overall capacity",
        "Curriculum taught",
        "Minutes of sessions that complete a subject",
        "Contact email",
    ):
        assert label in page


@pytest.mark.parametrize(
    ("changes", "field", "message", "status"),
    [
        ({"ends_on": "2028-06-19"}, "ends_on", "The last day is before the first day.", 400),
        (
            {"registration_closes_at": "2028-01-09T09:00"},
            "registration_closes_at",
            "Registration would close before it opens.",
            400,
        ),
        ({"slug": "S5 2028!"}, "slug", "Use lowercase letters", 400),
        ({"slug": ""}, "slug", "Give the event a web address", 400),
        ({"capacity": "-5"}, "capacity", "Give a number of seats from 0", 400),
        ({"required_minutes": "0"}, "required_minutes", "between 1 and 600", 400),
        ({"contact_email": "not-an-email"}, "contact_email", "Enter an email address.", 400),
        ({"starts_on": "June 20"}, "starts_on", "Not a valid date value.", 400),
        ({"timezone": "Mars/Olympus"}, "timezone", "Not a valid choice", 400),
        ({"name": "x" * 201}, "name", "Field cannot be longer than 200 characters.", 400),
        ({"ends_on": "9999-12-31"}, "ends_on", "Give a date between 2000 and 2099.", 400),
        (
            {"registration_opens_at": "9999-12-31T23:59"},
            "registration_opens_at",
            "Give a date between 2000 and 2099.",
            400,
        ),
        ({"description": "a\x01b"}, "description", "characters that are not allowed", 400),
    ],
)
def test_bad_input_comes_back_beside_its_field(
    client, admin, curricula, changes, field, message, status
):
    statute = next(iter(curricula.values()))
    response = client.post(
        "/staff/events/new", data=event_form(curriculum_id=statute.id, **changes)
    )
    assert response.status_code == status
    page = response.get_data(as_text=True)
    error = page.split(f'id="{field}-error"', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert db.session.scalar(select(Event)) is None  # nothing saved


def test_a_slug_in_use_is_refused_beside_the_field(client, admin, make_event):
    taken = make_event(slug="s5-2028")
    response = client.post("/staff/events/new", data=event_form(curriculum_id=taken.curriculum_id))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Another event already uses the address" in page.split('id="slug-error"')[1]
    assert db.session.scalar(select(Event).where(Event.name == "S5 Summit 2028")) is None


def test_two_admins_saving_one_address_at_once_get_a_conflict(
    client, admin, make_event, monkeypatch
):
    """The check before the insert can miss a concurrent save; the unique index cannot."""
    from summit.events import services

    taken = make_event(slug="s5-2028")
    monkeypatch.setattr(services, "refuse_slug_in_use", lambda slug, other_than=None: None)
    response = client.post("/staff/events/new", data=event_form(curriculum_id=taken.curriculum_id))
    assert response.status_code == 409
    assert "Another event already uses" in response.get_data(as_text=True)
    assert db.session.scalar(select(Event).where(Event.name == "S5 Summit 2028")) is None


# --- editing ---------------------------------------------------------------------------------


def test_an_admin_edits_an_event_and_the_change_is_audited(client, admin, make_event):
    event = make_event()
    page = client.get(f"/staff/events/{event.slug}/edit")
    assert page.status_code == 200 and event.name in text(page)
    form = event_form(
        event,
        name="S5 Summit (renamed)",
        venue_address="1 Main St",
        registration_opens_at="2026-12-01T08:00",
        registration_closes_at="2027-06-01T17:00",
        required_minutes="90",
        capacity="80",
    )
    response = client.post(f"/staff/events/{event.slug}/edit", data=form)
    assert response.status_code == 303
    event = reload(event)
    assert event.name == "S5 Summit (renamed)" and event.venue_address == "1 Main St"
    assert event.default_required_minutes == 90 and event.capacity == 80
    assert event.registration_closes_at == datetime(2027, 6, 2, 0, 0, tzinfo=UTC)  # 17:00 PDT
    assert audit_actions(event) == ["event.update", "event.credit_policy"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "event.update"))
    assert entry.after["name"] == "S5 Summit (renamed)" and entry.actor == f"staff:{admin.email}"
    # The form shows the window back in the event's time zone.
    assert 'value="2027-06-01T17:00"' in client.get(f"/staff/events/{event.slug}/edit").get_data(
        as_text=True
    )


def test_a_capacity_below_the_seats_taken_is_refused(client, admin, make_event, make_registration):
    event = make_event(capacity=100)
    for _ in range(3):
        make_registration(event=event)
    make_registration(event=event, state="cancelled")  # holds no seat
    response = client.post(f"/staff/events/{event.slug}/edit", data=event_form(event, capacity=2))
    assert response.status_code == 409
    assert (
        "3 seats are already taken"
        in response.get_data(as_text=True).split('id="capacity-error"')[1]
    )
    assert reload(event).capacity == 100
    ok = client.post(f"/staff/events/{event.slug}/edit", data=event_form(event, capacity=3))
    assert ok.status_code == 303 and reload(event).capacity == 3


def test_dates_out_of_order_on_edit_save_nothing(client, admin, make_event):
    event = make_event()
    before = (event.name, event.ends_on)
    form = event_form(event, name="Changed", ends_on=event.starts_on - timedelta(days=1))
    response = client.post(f"/staff/events/{event.slug}/edit", data=form)
    assert response.status_code == 400
    assert "The last day is before the first day." in response.get_data(as_text=True)
    event = reload(event)
    assert (event.name, event.ends_on) == before
    assert audit_actions(event) == []


def test_a_slug_in_use_by_another_event_is_refused_on_edit(client, admin, make_event):
    event, other = make_event(), make_event()
    response = client.post(
        f"/staff/events/{event.slug}/edit", data=event_form(event, slug=other.slug)
    )
    assert response.status_code == 409
    assert "Another event already uses" in response.get_data(as_text=True)
    assert reload(event).slug != other.slug


def test_a_published_event_with_registrations_keeps_its_slug(
    client, admin, make_event, make_registration
):
    event = make_event(is_published=True)
    slug = event.slug
    make_registration(event=event)
    page = client.get(f"/staff/events/{slug}/edit").get_data(as_text=True)
    slug_input = page.split('id="slug"', 1)[1].split(">", 1)[0]
    assert "readonly" in slug_input
    assert "its address stays" in page
    response = client.post(f"/staff/events/{slug}/edit", data=event_form(event, slug="renamed"))
    assert response.status_code == 409
    assert "its address stays" in response.get_data(as_text=True).split('id="slug-error"')[1]
    assert reload(event).slug == slug
    # Unpublishing first is no way round: the tickets already carry the address.
    assert client.post(f"/staff/events/{slug}/unpublish").status_code == 303
    again = client.post(f"/staff/events/{slug}/edit", data=event_form(event, slug="renamed"))
    assert again.status_code == 409 and reload(event).slug == slug


def test_an_event_nobody_registered_for_may_change_its_slug(client, admin, make_event):
    event = make_event(is_published=True)
    response = client.post(
        f"/staff/events/{event.slug}/edit", data=event_form(event, slug="s5-renamed")
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/events/s5-renamed/edit")
    assert client.get("/events/s5-renamed").status_code == 200


# --- publishing and archiving ------------------------------------------------------------


def test_publish_unpublish_archive_and_restore(client, admin, make_upcoming_event):
    event = make_upcoming_event(is_published=False)
    slug = event.slug
    assert client.get(f"/events/{slug}").status_code == 404
    assert client.post(f"/staff/events/{slug}/publish").status_code == 303
    assert client.get(f"/events/{slug}").status_code == 200
    assert event.name in text(client.get("/"))
    assert client.post(f"/staff/events/{slug}/unpublish").status_code == 303
    assert client.get(f"/events/{slug}").status_code == 404
    assert client.post(f"/staff/events/{slug}/publish").status_code == 303
    assert client.post(f"/staff/events/{slug}/archive").status_code == 303
    event = reload(event)
    assert event.archived_at is not None and not event.is_published
    assert client.get(f"/events/{slug}").status_code == 404
    listing = text(client.get("/staff/events/"))
    assert listing.index("Archived") < listing.index(event.name)
    refused = client.post(f"/staff/events/{slug}/publish")
    assert refused.status_code == 409
    assert "restore it before publishing" in text(refused)
    assert client.post(f"/staff/events/{slug}/restore").status_code == 303
    event = reload(event)
    assert event.archived_at is None and not event.is_published
    assert audit_actions(event) == [
        "event.publish",
        "event.unpublish",
        "event.publish",
        "event.unpublish",
        "event.archive",
        "event.restore",
    ]


def test_an_event_without_an_open_tier_cannot_be_published(client, admin, make_upcoming_event):
    event = make_upcoming_event(is_published=False)
    for tier in event.tiers:
        tier.is_open = False
    db.session.commit()
    response = client.post(f"/staff/events/{event.slug}/publish")
    assert response.status_code == 409
    assert "Add an open tier first" in text(response)
    assert not reload(event).is_published


def test_the_staff_home_links_to_the_event_pages(client, admin, make_event):
    event = make_event()
    page = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/events/"' in page
    assert f'href="/staff/events/{event.slug}/edit"' in page


def test_checkin_staff_see_no_set_up_links(client, auth, make_event):
    make_event()
    auth.as_role("checkin")
    page = client.get("/staff/").get_data(as_text=True)
    assert '/staff/events/"' not in page and "/edit" not in page


def test_an_archived_event_leaves_the_staff_home(client, admin, make_event):
    kept, archived = make_event(name="Kept Summit"), make_event(name="Old Summit")
    client.post(f"/staff/events/{archived.slug}/archive")
    page = text(client.get("/staff/"))
    assert kept.name in page and archived.name not in page
    assert archived.name in text(client.get("/staff/events/"))


def test_an_admin_lets_purchase_orders_confirm(client, admin, make_event):
    event = make_event()
    form = event_form(event, confirm_on_purchase_order="y")
    assert client.post(f"/staff/events/{event.slug}/edit", data=form).status_code == 303
    assert reload(event).confirm_on_purchase_order is True
    assert (
        client.post(f"/staff/events/{event.slug}/edit", data=event_form(event)).status_code == 303
    )
    assert reload(event).confirm_on_purchase_order is False  # an unticked box turns it off
