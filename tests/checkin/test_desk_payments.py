"""Payments where people are: door staff take cash, a check or a purchase order."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import Invoice, Payment, Registration
from tests.helpers import outbox, words


@pytest.fixture
def walk_in(make_event, make_registration, make_person):
    """A fee-tier registration waiting for payment ($50), as a walk-in is made."""
    event = make_event()
    person = make_person(first_name="Dana", last_name="Reyes")
    return make_registration(
        event=event, person=person, tier=event.tiers[1], state="awaiting_payment"
    )


def page(registration: Registration) -> str:
    slug = registration.event.slug
    return f"/staff/events/{slug}/registrations/{registration.id}/desk-payment"


def test_desk_search_offers_take_payment(auth, client, walk_in):
    auth.as_role("checkin")
    html = client.get(f"/staff/events/{walk_in.event.slug}/checkin?q=Reyes").get_data(True)
    assert page(walk_in) in html
    found = client.get(
        f"/staff/events/{walk_in.event.slug}/checkin/search?q=Reyes",
        headers={"Accept": "application/json"},
    ).get_json()
    assert found["items"][0]["payment_url"].endswith(page(walk_in))


def test_cash_in_full_confirms_and_returns_to_the_desk(auth, client, walk_in):
    staff = auth.as_role("checkin")
    form = words(client.get(page(walk_in)))
    assert "Balance due: $50.00" in form
    response = client.post(page(walk_in), data={"pay-method": "cash", "pay-amount": "50"})
    assert response.status_code == 302
    assert "/checkin?q=Dana" in response.headers["Location"]
    db.session.expire_all()
    assert walk_in.state == "confirmed"
    [payment] = db.session.scalars(select(Payment)).all()
    assert (payment.method, payment.amount_cents) == ("cash", 5000)
    assert payment.recorded_by_id == staff.id
    assert len(outbox("payment_received")) == 1
    desk = words(client.get(response.headers["Location"]))
    assert "Payment recorded. Dana Reyes is confirmed: check them in." in desk


def test_part_payment_keeps_waiting(auth, client, walk_in):
    auth.as_role("checkin")
    client.post(page(walk_in), data={"pay-method": "cash", "pay-amount": "20"})
    db.session.expire_all()
    assert walk_in.state == "awaiting_payment" and walk_in.amount_due_cents == 3000


def test_two_walk_ins_may_pay_with_check_1001_from_their_own_banks(
    auth, client, walk_in, make_registration, make_person
):
    """Check numbers repeat across bank accounts; the desk must take both."""
    second = make_registration(
        event=walk_in.event,
        person=make_person(first_name="Lee", last_name="Ortiz"),
        tier=walk_in.event.tiers[1],
        state="awaiting_payment",
    )
    auth.as_role("checkin")
    check = {"pay-method": "check", "pay-amount": "50", "pay-reference": "1001"}
    for registration in (walk_in, second):
        assert client.post(page(registration), data=check).status_code == 302
    again = client.post(page(walk_in), data={**check, "pay-amount": "1"})
    assert again.status_code in (400, 409)
    db.session.expire_all()
    assert walk_in.state == second.state == "confirmed"
    assert len(db.session.scalars(select(Payment)).all()) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pay-method": "check", "pay-amount": "50"}, "Enter the check number."),
        ({"pay-method": "cash", "pay-amount": "0"}, "Enter an amount greater than zero."),
        ({"pay-method": "cash", "pay-amount": "fifty"}, "Enter an amount in dollars"),
        ({"pay-method": "cash", "pay-amount": "80"}, "more than the balance due ($50.00)"),
        ({"pay-method": "card", "pay-amount": "50"}, "Not a valid choice"),
    ],
)
def test_bad_payments_are_refused_with_the_reason(auth, client, walk_in, data, message):
    auth.as_role("checkin")
    response = client.post(page(walk_in), data=data)
    assert response.status_code in (400, 409)
    assert message in words(response)
    db.session.expire_all()
    assert walk_in.state == "awaiting_payment"
    assert db.session.scalar(select(Payment)) is None


def test_purchase_order_confirms_when_the_event_accepts_them(auth, client, walk_in):
    walk_in.event.confirm_on_purchase_order = True
    db.session.commit()
    auth.as_role("checkin")
    response = client.post(page(walk_in) + "/purchase-order", data={"po-purchase_order": "PO-7"})
    assert response.status_code == 302
    db.session.expire_all()
    invoice = db.session.scalar(select(Invoice))
    assert invoice.purchase_order == "PO-7"
    assert walk_in.state == "confirmed" and walk_in.amount_due_cents == 5000
    assert len(outbox("invoice")) == 1 and len(outbox("confirmed")) == 1


def test_purchase_order_alone_does_not_confirm_by_default(auth, client, walk_in):
    auth.as_role("checkin")
    response = client.post(page(walk_in) + "/purchase-order", data={"po-purchase_order": "PO-8"})
    assert response.status_code == 302
    db.session.expire_all()
    assert walk_in.state == "awaiting_payment"
    assert "Dana Reyes is still waiting for payment." in words(
        client.get(response.headers["Location"])
    )


def test_purchase_order_needs_a_number(auth, client, walk_in):
    auth.as_role("checkin")
    response = client.post(page(walk_in) + "/purchase-order", data={"po-purchase_order": ""})
    assert response.status_code == 400
    assert "Enter the purchase-order number." in words(response)


def test_only_staff_and_only_this_events_registrations(
    client, auth, walk_in, make_event, make_registration
):
    assert client.get(page(walk_in)).status_code == 302  # to the sign-in page
    auth.as_role("checkin")
    other = make_event()
    wrong = f"/staff/events/{other.slug}/registrations/{walk_in.id}/desk-payment"
    assert client.get(wrong).status_code == 404
    assert client.post(wrong, data={"pay-method": "cash", "pay-amount": "50"}).status_code == 404
