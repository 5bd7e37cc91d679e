"""Admins list an event's rooms with their seats; the agenda editor checks sessions against them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import AuditLog, Event, Room
from tests.helpers import words


@pytest.fixture
def admin(auth):
    return auth.as_role("admin")


def rooms_of(event) -> list[tuple[str, int | None]]:
    rows = db.session.scalars(select(Room).where(Room.event_id == event.id).order_by(Room.name))
    return [(room.name, room.capacity) for room in rows]


def add(client, event, name: str, capacity: str = ""):
    return client.post(
        f"/staff/events/{event.slug}/agenda/rooms", data={"name": name, "capacity": capacity}
    )


def test_an_admin_adds_a_room_and_the_session_form_offers_it(client, admin, make_event):
    event = make_event()
    response = add(client, event, "Ballroom  A", "250")
    assert response.status_code == 303
    assert rooms_of(event) == [("Ballroom A", 250)]
    page = client.get(f"/staff/events/{event.slug}/agenda").get_data(as_text=True)
    assert '<option value="Ballroom A">' in page and 'list="room-names"' in page
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "room.create"))


@pytest.mark.parametrize(
    ("name", "capacity", "status", "message"),
    [
        ("ballroom a", "", 409, "This event already has a room “ballroom a”."),
        ("", "10", 400, "Give the room a name."),
        ("Hall B", "-5", 400, "Give a number of seats from 0"),
        ("Hall B", "many", 400, "Not a valid integer value."),
    ],
)
def test_bad_rooms_are_refused_by_the_field(
    client, admin, make_event, name, capacity, status, message
):
    event = make_event()
    add(client, event, "Ballroom A", "250")
    response = add(client, event, name, capacity)
    assert response.status_code == status
    assert message in words(response)
    assert rooms_of(event) == [("Ballroom A", 250)]


def test_seats_are_changed_and_a_room_is_removed(client, admin, make_event):
    event = make_event()
    add(client, event, "Ballroom A", "250")
    room = db.session.scalar(select(Room))
    url = f"/staff/events/{event.slug}/agenda/rooms/{room.id}"
    assert client.post(url, data={"capacity": "-1"}).status_code == 400
    assert rooms_of(event) == [("Ballroom A", 250)]
    assert client.post(url, data={"capacity": "180"}).status_code == 303
    assert rooms_of(event) == [("Ballroom A", 180)]
    assert client.post(url, data={"capacity": ""}).status_code == 303
    assert rooms_of(event) == [("Ballroom A", None)]
    assert client.post(url + "/delete").status_code == 303
    assert rooms_of(event) == []
    # its sessions keep their room's name
    assert {s.room for s in db.session.get(Event, event.id).sessions} == {"Ballroom A"}


def test_a_session_in_a_room_not_on_the_list_is_pointed_out(client, admin, make_event):
    event = make_event()
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert "which is not one of the rooms" not in page  # no list yet: nothing to compare
    add(client, event, "Ballroom B")
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert f"“{event.sessions[0].title}” is in “Ballroom A”, which is not one of the rooms." in page
    add(client, event, "ballroom a")
    page = words(client.get(f"/staff/events/{event.slug}/agenda"))
    assert "which is not one of the rooms" not in page


def test_a_room_of_another_event_is_not_found(client, admin, make_event):
    event, other = make_event(), make_event()
    add(client, other, "Hall B", "40")
    room = db.session.scalar(select(Room))
    url = f"/staff/events/{event.slug}/agenda/rooms/{room.id}"
    assert client.post(url, data={"capacity": "1"}).status_code == 404
    assert client.post(url + "/delete").status_code == 404
    assert rooms_of(other) == [("Hall B", 40)]


def test_the_clone_copies_the_rooms(client, admin, make_event):
    event = make_event()
    add(client, event, "Ballroom A", "250")
    response = client.post(
        f"/staff/events/{event.slug}/clone", data={"name": "Next year", "slug": "next-year"}
    )
    assert response.status_code == 303
    clone = db.session.scalar(select(Event).where(Event.slug == "next-year"))
    assert rooms_of(clone) == [("Ballroom A", 250)]
    assert rooms_of(event) == [("Ballroom A", 250)]
