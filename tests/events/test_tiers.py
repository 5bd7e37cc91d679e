"""Admins add, edit, reorder and delete an event's tiers."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import AuditLog, Tier
from tests.helpers import reload, text


def tier_form(**changes) -> dict[str, str]:
    data = {
        "name": "District administrators",
        "slug": "admins",
        "price": "75.50",
        "capacity": "20",
        "eligibility": "Principals and district safety leads.",
        "requires_approval": "y",
        "is_open": "y",
    }
    data.update({key: str(value) for key, value in changes.items()})
    return {key: value for key, value in data.items() if value != "<unset>"}


def ordered(event) -> list[str]:
    return [
        tier.slug
        for tier in db.session.scalars(
            select(Tier).where(Tier.event_id == event.id).order_by(Tier.position, Tier.id)
        )
    ]


@pytest.fixture
def admin(auth):
    return auth.as_role("admin")


def test_an_admin_adds_a_tier_last(client, admin, make_event):
    event = make_event()
    response = client.post(f"/staff/events/{event.slug}/tiers", data=tier_form())
    assert response.status_code == 303
    tier = db.session.scalar(select(Tier).where(Tier.slug == "admins"))
    assert (tier.price_cents, tier.capacity, tier.requires_approval, tier.is_open) == (
        7550,
        20,
        True,
        True,
    )
    assert ordered(event) == ["sro", "security", "admins"]
    assert response.headers["Location"].endswith(f"#tier-{tier.id}")
    page = text(client.get(f"/staff/events/{event.slug}/tiers"))
    assert "District administrators" in page and "$75.50" in page
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.event_id == event.id))
    assert list(actions) == ["tier.create"]


def test_an_unticked_box_closes_the_tier(client, admin, make_event):
    event = make_event()
    sro = event.tiers[0]
    form = tier_form(name=sro.name, slug="sro", price="0", capacity="", is_open="<unset>")
    response = client.post(f"/staff/events/{event.slug}/tiers/{sro.id}", data=form)
    assert response.status_code == 303
    sro = reload(sro)
    assert not sro.is_open and sro.capacity is None and sro.requires_approval


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price": "-10"}, "price", "A price cannot be negative."),
        ({"price": "$-10"}, "price", "A price cannot be negative."),
        ({"price": "ten"}, "price", "Enter a price in dollars"),
        ({"price": ""}, "price", "Give a price"),
        ({"capacity": "-1"}, "capacity", "Give a number of seats from 0"),
        ({"slug": "SRO tier"}, "slug", "Use lowercase letters"),
        ({"name": ""}, "name", "Give the tier a name."),
    ],
)
def test_bad_tier_input_comes_back_beside_its_field(
    client, admin, make_event, changes, field, message
):
    event = make_event()
    response = client.post(f"/staff/events/{event.slug}/tiers", data=tier_form(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page.split(f'id="{field}-error"', 1)[1].split("</div>", 1)[0]
    assert ordered(event) == ["sro", "security"]


def test_a_tier_link_name_in_use_is_refused(client, admin, make_event):
    event = make_event()
    response = client.post(f"/staff/events/{event.slug}/tiers", data=tier_form(slug="security"))
    assert response.status_code == 409
    assert "already uses “security”" in response.get_data(as_text=True).split('id="slug-error"')[1]
    assert ordered(event) == ["sro", "security"]
    sro = event.tiers[0]
    edit = client.post(
        f"/staff/events/{event.slug}/tiers/{sro.id}", data=tier_form(slug="security")
    )
    assert edit.status_code == 409 and reload(sro).slug == "sro"


def test_another_event_may_use_the_same_link_name(client, admin, make_event):
    make_event()
    event = make_event()
    response = client.post(f"/staff/events/{event.slug}/tiers", data=tier_form(slug="admins"))
    assert response.status_code == 303


def test_a_tier_capacity_below_its_seats_is_refused(client, admin, make_event, make_registration):
    event = make_event()
    fee = event.tiers[1]
    for _ in range(2):
        make_registration(event=event, tier=fee, state="awaiting_payment")
    form = tier_form(name=fee.name, slug=fee.slug, price="50", capacity="1")
    response = client.post(f"/staff/events/{event.slug}/tiers/{fee.id}", data=form)
    assert response.status_code == 409
    assert "2 seats in this tier are already taken" in response.get_data(as_text=True)
    assert reload(fee).capacity is None and reload(fee).price_cents == 5000


def test_the_edit_page_shows_what_is_stored(client, admin, make_event):
    event = make_event()
    fee = event.tiers[1]
    page = client.get(f"/staff/events/{event.slug}/tiers/{fee.id}").get_data(as_text=True)
    assert 'value="50.00"' in page and f'value="{fee.slug}"' in page


def test_moving_tiers_changes_the_public_order(client, admin, make_upcoming_event):
    event = make_upcoming_event()
    sro, security = event.tiers
    client.post(f"/staff/events/{event.slug}/tiers", data=tier_form())
    response = client.post(
        f"/staff/events/{event.slug}/tiers/{security.id}/move", data={"direction": "up"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#tier-{security.id}")
    assert ordered(event) == ["security", "sro", "admins"]
    client.post(f"/staff/events/{event.slug}/tiers/{sro.id}/move", data={"direction": "down"})
    assert ordered(event) == ["security", "admins", "sro"]
    # Already last: nothing moves.
    client.post(f"/staff/events/{event.slug}/tiers/{sro.id}/move", data={"direction": "down"})
    assert ordered(event) == ["security", "admins", "sro"]
    page = text(client.get(f"/events/{event.slug}"))
    assert re.findall(r'<h3 class="h5">(.*?)</h3>', page) == [
        "Security and other school safety staff",
        "District administrators",
        "SRO (commissioned law enforcement officer)",
    ]


def test_a_move_without_a_direction_is_refused(client, admin, make_event):
    event = make_event()
    tier = event.tiers[0]
    response = client.post(
        f"/staff/events/{event.slug}/tiers/{tier.id}/move", data={"direction": "sideways"}
    )
    assert response.status_code == 400
    assert ordered(event) == ["sro", "security"]


def test_a_tier_with_registrations_cannot_be_deleted(client, admin, make_event, make_registration):
    event = make_event()
    sro = event.tiers[0]
    make_registration(event=event, tier=sro, state="cancelled")
    response = client.post(f"/staff/events/{event.slug}/tiers/{sro.id}/delete")
    assert response.status_code == 409
    page = text(response)
    assert "has 1 registration" in page and "Close the tier instead" in page
    assert ordered(event) == ["sro", "security"]


def test_a_tier_nobody_chose_is_deleted(client, admin, make_event):
    event = make_event()
    security = event.tiers[1]
    response = client.post(f"/staff/events/{event.slug}/tiers/{security.id}/delete")
    assert response.status_code == 303
    assert ordered(event) == ["sro"]
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "tier.delete"))
    assert entry.before["slug"] == "security" and entry.event_id == event.id


def test_a_tier_of_another_event_is_not_found(client, admin, make_event):
    event, other = make_event(), make_event()
    tier = other.tiers[0]
    assert client.get(f"/staff/events/{event.slug}/tiers/{tier.id}").status_code == 404
    assert client.post(f"/staff/events/{event.slug}/tiers/{tier.id}/delete").status_code == 404
    assert ordered(other) == ["sro", "security"]


def test_a_tier_people_are_in_keeps_its_price(client, admin, make_event, make_registration):
    event = make_event()
    sro, fee = event.tiers
    make_registration(event=event, tier=sro)
    form = tier_form(name=sro.name, slug="sro", price="25", capacity="")
    response = client.post(f"/staff/events/{event.slug}/tiers/{sro.id}", data=form)
    assert response.status_code == 409
    error = response.get_data(as_text=True).split('id="price-error"')[1]
    assert "1 person is registered at Free" in error and "Close this tier" in error
    assert reload(sro).price_cents == 0
    # Nobody in the fee tier (a cancelled registration does not count): its price may change.
    make_registration(event=event, tier=fee, state="cancelled")
    form = tier_form(name=fee.name, slug=fee.slug, price="65", capacity="")
    response = client.post(f"/staff/events/{event.slug}/tiers/{fee.id}", data=form)
    assert response.status_code == 303 and reload(fee).price_cents == 6500
