"""The staff home is the control room: next things to do, and what changed since the
staff member's previous visit."""

from __future__ import annotations

from datetime import timedelta

from summit import audit
from summit.extensions import db
from summit.models import utcnow
from summit.payments import services as payments
from tests.helpers import attend, words


def test_admin_sees_what_waits_for_them_with_links(auth, client, make_registration, make_event):
    event = make_event(name="S5 Summit 2027")
    make_registration(event=event, state="pending_approval")
    make_registration(event=event, state="pending_approval")
    make_registration(event=event, state="awaiting_payment")
    attend(make_registration(event=event))  # checked in, sessions over: certificate ready
    auth.as_role("admin")
    page = words(client.get("/staff/"))
    assert "2 registrations to approve" in page
    assert "1 awaiting payment" in page
    assert "1 certificate ready to issue" in page
    html = client.get("/staff/").get_data(as_text=True)
    assert f"/staff/events/{event.slug}/registrations?state=pending_approval" in html
    assert f"/staff/events/{event.slug}/certificates" in html


def test_seats_confirmed_on_a_purchase_order_still_owe_money(
    auth, client, make_registration, make_event, make_person
):
    """Districts pay after the event: staff see whose fee is still due, and only those."""
    event = make_event()
    fee = event.tiers[1]
    make_registration(
        event=event, tier=fee, state="confirmed", person=make_person(last_name="Owens")
    )
    paid = make_registration(
        event=event, tier=fee, state="confirmed", person=make_person(last_name="Paxton")
    )
    payments.record_payment(paid, amount_cents=fee.price_cents, method="check", actor="test")
    make_registration(event=event, state="confirmed", person=make_person(last_name="Free"))
    auth.as_role("checkin")
    assert "1 confirmed on a purchase order, payment still due" in words(client.get("/staff/"))
    listed = words(client.get(f"/staff/events/{event.slug}/registrations?due=1"))
    assert "Only confirmed registrations with payment still due" in listed
    assert "Owens" in listed
    assert "Paxton" not in listed and "Free" not in listed
    csv = client.get(f"/staff/events/{event.slug}/registrations?due=1&format=csv").get_data(True)
    assert "Owens" in csv and "Paxton" not in csv


def test_door_staff_see_no_certificate_work_and_no_audit(auth, client, make_registration):
    registration = make_registration(state="pending_approval")
    attend(make_registration(event=registration.event))
    auth.as_role("checkin")
    page = words(client.get("/staff/"))
    assert "1 registration to approve" in page
    assert "ready to issue" not in page
    assert "Since your last visit" not in page


def test_nothing_waiting_says_so(auth, client, make_upcoming_event, make_registration):
    make_registration(event=make_upcoming_event())
    auth.as_role("admin")
    assert "Nothing is waiting for staff." in words(client.get("/staff/"))


def test_changes_by_others_since_the_previous_sign_in(auth, client, make_registration, make_staff):
    colleague = make_staff("admin")
    registration = make_registration()
    admin = auth.as_role("admin")
    assert "This is your first sign-in" in words(client.get("/staff/"))
    auth.sign_out()
    audit.record(
        "registration.state",
        registration,
        before={"state": "pending_approval"},
        after={"state": "awaiting_payment"},
        actor=colleague,
    )
    audit.record("registration.email_resend", registration, after={"kind": "x"}, actor=admin)
    db.session.commit()
    auth.sign_in(admin.email)
    page = words(client.get("/staff/"))
    assert "1 change by others since" in page
    assert "State changed (State: Waiting for approval → Awaiting payment)" in page
    assert "Email sent again" not in page  # their own
    assert "registration.state" not in page  # words, not the audit log's codes


def test_the_audit_log_reads_in_words(auth, client, make_registration, make_staff):
    """Staff read titles and changes, never the stored JSON or action codes."""
    registration = make_registration()
    payment_by = make_staff("admin")
    audit.record(
        "payment.record",
        registration,
        after={"registration_id": registration.id, "amount_cents": 5000, "method": "check"},
        actor=payment_by,
    )
    db.session.commit()
    auth.as_role("admin")
    page = words(client.get("/staff/audit"))
    assert "Payment recorded" in page and "Amount: $50.00" in page and "Paid by: Check" in page
    assert payment_by.email in page or (payment_by.name and payment_by.name in page)
    assert "payment.record" not in page and "amount_cents" not in page and "{" not in page


def test_old_changes_are_not_new(auth, client, make_registration, make_staff):
    colleague = make_staff("admin")
    admin = auth.as_role("admin")
    auth.sign_out()
    audit.record("registration.approve", make_registration(), after={}, actor=colleague)
    db.session.commit()
    admin.previous_sign_in_at = admin.last_sign_in_at = utcnow() + timedelta(minutes=1)
    db.session.commit()
    auth.sign_in(admin.email)  # the previous sign-in is now after the colleague's change
    assert "Nothing changed since" in words(client.get("/staff/"))
