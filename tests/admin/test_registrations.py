"""The staff registrations view: list, search, filter, CSV, and every action audited."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from summit.admin.history import describe as describe_history
from summit.extensions import db
from summit.models import AuditLog, Payment, Registration
from summit.payments import services as payments
from tests.conftest import STAFF_PASSWORD
from tests.helpers import outbox, reload, text


def audit_actions(registration: Registration) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditLog.action)
            .where(AuditLog.event_id == registration.event_id)
            .order_by(AuditLog.id)
        )
    )


@pytest.fixture
def scene(make_event, make_person, make_registration):
    """One event with people in several states and agencies."""
    event = make_event()
    free, fee = event.tiers
    people = {
        "lee": make_person(
            first_name="Jordan",
            last_name="Lee",
            agency="Yakima Police Department",
            email="jordan.lee@yakimapd.example",
        ),
        "ortiz": make_person(
            first_name="Maria",
            last_name="Ortiz",
            agency="Sunnyside School District",
            email="mortiz@sunnyside.example",
        ),
        "kim": make_person(
            first_name="Sam", last_name="Kim", agency="Wapato Schools", email="skim@wapato.example"
        ),
    }
    registrations = {
        "lee": make_registration(event=event, person=people["lee"], tier=free),
        "ortiz": make_registration(
            event=event, person=people["ortiz"], tier=fee, state="awaiting_payment"
        ),
        "kim": make_registration(
            event=event, person=people["kim"], tier=fee, state="pending_approval"
        ),
    }
    make_registration(person=people["lee"])  # another event: never listed here
    return event, registrations


def list_url(event, **query) -> str:
    return f"/staff/events/{event.slug}/registrations" + (
        "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    )


# --- who may see and do what --------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, scene):
    event, registrations = scene
    response = client.get(list_url(event))
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    detail = client.get(f"/staff/registrations/{registrations['lee'].id}")
    assert detail.status_code == 302
    action = client.post(f"/staff/registrations/{registrations['kim'].id}/approve")
    assert action.status_code == 302
    assert reload(registrations["kim"]).state == "pending_approval"


def test_checkin_staff_can_look_but_not_change(client, auth, scene):
    event, registrations = scene
    auth.as_role("checkin")
    assert client.get(list_url(event)).status_code == 200
    kim = registrations["kim"]
    page = client.get(f"/staff/registrations/{kim.id}")
    assert page.status_code == 200
    assert "Approve" not in text(page) and "Actions" not in text(page)
    for action, data in [
        ("approve", {}),
        ("reject", {"reject-reason": "no"}),
        ("payments", {"pay-amount": "50", "pay-method": "check"}),
        ("waive", {"waive-reason": "x"}),
        ("cancel", {}),
        ("resend", {}),
    ]:
        response = client.post(f"/staff/registrations/{kim.id}/{action}", data=data)
        assert response.status_code == 403, action
    assert reload(kim).state == "pending_approval"
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_unknown_event_or_registration_is_404(client, auth):
    auth.as_role("admin")
    assert client.get("/staff/events/nope/registrations").status_code == 404
    assert client.get("/staff/registrations/999999").status_code == 404
    assert client.post("/staff/registrations/999999/approve").status_code == 404


# --- the list -----------------------------------------------------------------------------


def test_list_shows_the_columns_staff_need(client, auth, scene):
    event, registrations = scene
    auth.as_role("admin")
    html = text(client.get(list_url(event)))
    for expected in (
        "Lee, Jordan",
        "jordan.lee@yakimapd.example",
        "Yakima Police Department",
        "Awaiting payment",
        "$50.00",
        "$0.00",
        "3 registrations",
    ):
        assert expected in html, expected
    assert f"/staff/registrations/{registrations['ortiz'].id}" in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ortiz", {"ortiz"}),
        ("MARIA", {"ortiz"}),
        ("yakimapd", {"lee"}),
        ("school", {"ortiz", "kim"}),
        ("jordan lee", {"lee"}),
        ("jordan ortiz", set()),
        ("100%_", set()),
    ],
)
def test_search_over_name_email_and_agency(client, auth, scene, q, expected):
    event, registrations = scene
    auth.as_role("checkin")
    html = text(client.get(list_url(event), query_string={"q": q}))
    found = {key for key, r in registrations.items() if r.person.email in html}
    assert found == expected


def test_state_filter_and_search_combine(client, auth, scene):
    event, registrations = scene
    auth.as_role("admin")
    html = text(client.get(list_url(event, state="awaiting_payment")))
    assert registrations["ortiz"].person.email in html
    assert registrations["lee"].person.email not in html
    html = text(client.get(list_url(event, state="confirmed", q="ortiz")))
    assert "No registrations match" in html


def test_unknown_state_is_a_clear_400(client, auth, scene):
    event, _ = scene
    auth.as_role("admin")
    response = client.get(list_url(event, state="paid"))
    assert response.status_code == 400
    assert "no registration state called" in text(response)


def test_list_is_paginated(client, auth, make_event, make_registration, make_person):
    event = make_event(capacity=None)
    for _ in range(55):
        make_registration(event=event, person=make_person())
    auth.as_role("admin")
    first = text(client.get(list_url(event)))
    second = text(client.get(list_url(event, page=2)))
    assert first.count("/staff/registrations/") == 50
    assert second.count("/staff/registrations/") == 5
    assert client.get(list_url(event, page=99)).status_code == 200
    assert client.get(list_url(event, page="x")).status_code == 200


def test_csv_export_has_agency_and_email_and_follows_the_filter(client, auth, scene):
    event, _ = scene
    auth.as_role("admin")
    response = client.get(list_url(event, format="csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"{event.slug}-registrations.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3
    by_email = {row["Email"]: row for row in rows}
    ortiz = by_email["mortiz@sunnyside.example"]
    assert ortiz["Agency"] == "Sunnyside School District"
    assert ortiz["State"] == "awaiting_payment" and ortiz["Amount due"] == "$50.00"

    filtered = client.get(list_url(event, format="csv", state="confirmed"))
    rows = list(csv.DictReader(io.StringIO(filtered.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["Email"] for row in rows] == ["jordan.lee@yakimapd.example"]


def test_csv_defuses_spreadsheet_formulas(client, auth, make_registration, make_person):
    registration = make_registration(person=make_person(agency='=HYPERLINK("http://x")'))
    auth.as_role("admin")
    body = text(client.get(list_url(registration.event, format="csv")))
    assert "'=HYPERLINK" in body


# --- one registration and its actions -----------------------------------------------------


def test_detail_shows_payments_and_history(client, auth, scene, make_staff):
    _, registrations = scene
    ortiz = registrations["ortiz"]
    payments.record_payment(
        ortiz, amount_cents=2000, method="check", reference="CHK 7", actor=make_staff()
    )
    auth.as_role("checkin")
    html = text(client.get(f"/staff/registrations/{ortiz.id}"))
    assert "CHK 7" in html and "$20.00" in html and "$30.00" in html
    history = html[html.index('id="history-heading"') :]
    assert "Payment recorded" in history
    assert "<li>Amount: $20.00</li>" in history
    assert "<li>Paid by: Check</li>" in history
    assert "<li>Reference: CHK 7</li>" in history
    assert "{&#34;" not in history and '{"' not in history  # no raw JSON
    assert "registration_id" not in history


def test_history_says_state_changes_in_words(client, auth, scene):
    _, registrations = scene
    kim = registrations["kim"]
    auth.as_role("admin")
    client.post(f"/staff/registrations/{kim.id}/approve")
    html = text(client.get(f"/staff/registrations/{kim.id}"))
    history = html[html.index('id="history-heading"') :]
    assert "State changed" in history
    assert "<li>State: Waiting for approval → Awaiting payment</li>" in history


def test_approve(client, auth, scene):
    _, registrations = scene
    kim = registrations["kim"]
    auth.as_role("admin")
    response = client.post(f"/staff/registrations/{kim.id}/approve")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/registrations/{kim.id}"
    assert reload(kim).state == "awaiting_payment"  # a fee tier goes on to payment
    assert "registration.state" in audit_actions(kim)


def test_approve_twice_is_a_clear_409(client, auth, scene):
    _, registrations = scene
    auth.as_role("admin")
    lee = registrations["lee"]  # already confirmed
    response = client.post(f"/staff/registrations/{lee.id}/approve")
    assert response.status_code == 409
    assert "cannot become" in text(response)


def test_reject_needs_a_reason(client, auth, scene):
    _, registrations = scene
    kim = registrations["kim"]
    auth.as_role("admin")
    response = client.post(f"/staff/registrations/{kim.id}/reject", data={"reject-reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in text(response)
    assert reload(kim).state == "pending_approval"
    response = client.post(
        f"/staff/registrations/{kim.id}/reject", data={"reject-reason": "Not school staff"}
    )
    assert response.status_code == 302
    assert reload(kim).state == "cancelled"
    assert len(outbox("rejected")) == 1
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "registration.state"))
    assert (
        entry.after["reason"] == "Not school staff" and entry.actor == "staff:admin@esd105.example"
    )


def test_mark_paid_in_full(client, auth, scene):
    _, registrations = scene
    ortiz = registrations["ortiz"]
    auth.as_role("admin")
    response = client.post(
        f"/staff/registrations/{ortiz.id}/payments",
        data={
            "pay-amount": "$50.00",
            "pay-method": "check",
            "pay-reference": "CHK 1001",
            "pay-note": "Mailed",
        },
    )
    assert response.status_code == 302
    ortiz = reload(ortiz)
    assert ortiz.state == "confirmed" and ortiz.amount_due_cents == 0
    [payment] = ortiz.payments
    assert (payment.amount_cents, payment.reference, payment.recorded_by.role) == (
        5000,
        "CHK 1001",
        "admin",
    )
    assert {"payment.record", "registration.state"} <= set(audit_actions(ortiz))


def test_mark_partly_paid(client, auth, scene):
    _, registrations = scene
    ortiz = registrations["ortiz"]
    auth.as_role("admin")
    response = client.post(
        f"/staff/registrations/{ortiz.id}/payments",
        data={"pay-amount": "20", "pay-method": "invoice"},
    )
    assert response.status_code == 302
    ortiz = reload(ortiz)
    assert ortiz.state == "awaiting_payment" and ortiz.amount_due_cents == 3000
    assert "payment.record" in audit_actions(ortiz)


@pytest.mark.parametrize(
    ("amount", "method", "status", "message"),
    [
        ("", "check", 400, "Enter the amount received"),
        ("fifty", "check", 400, "Enter an amount in dollars"),
        ("0", "check", 400, "greater than zero"),
        ("50.001", "check", 400, "Enter an amount in dollars"),
        ("60", "check", 400, "more than the balance"),
        ("10", "card", 400, "Not a valid choice"),
    ],
)
def test_bad_payment_input_is_a_clear_4xx(client, auth, scene, amount, method, status, message):
    _, registrations = scene
    ortiz = registrations["ortiz"]
    auth.as_role("admin")
    response = client.post(
        f"/staff/registrations/{ortiz.id}/payments",
        data={"pay-amount": amount, "pay-method": method},
    )
    assert response.status_code == status
    assert message in text(response)
    assert reload(ortiz).payments == []


def test_waive(client, auth, scene):
    _, registrations = scene
    ortiz = registrations["ortiz"]
    auth.as_role("admin")
    response = client.post(
        f"/staff/registrations/{ortiz.id}/waive", data={"waive-reason": "Presenter"}
    )
    assert response.status_code == 302
    ortiz = reload(ortiz)
    assert ortiz.state == "confirmed"
    assert [(p.method, p.amount_cents) for p in ortiz.payments] == [("waiver", 5000)]
    assert "payment.record" in audit_actions(ortiz)


def test_cancel(client, auth, scene):
    _, registrations = scene
    lee = registrations["lee"]
    auth.as_role("admin")
    response = client.post(
        f"/staff/registrations/{lee.id}/cancel", data={"cancel-reason": "Asked by phone"}
    )
    assert response.status_code == 302
    assert reload(lee).state == "cancelled"
    assert len(outbox("cancelled")) == 1
    assert "registration.state" in audit_actions(lee)
    again = client.post(f"/staff/registrations/{lee.id}/cancel")
    assert again.status_code == 409


def test_resend_queues_the_state_email_again(client, auth, scene):
    _, registrations = scene
    ortiz = registrations["ortiz"]
    auth.as_role("admin")
    for _ in range(2):
        assert client.post(f"/staff/registrations/{ortiz.id}/resend").status_code == 302
    assert len(outbox("awaiting_payment")) == 2  # no dedupe: each press sends a copy
    assert audit_actions(ortiz).count("registration.email_resend") == 2


def test_actions_are_not_get(client, auth, scene):
    _, registrations = scene
    auth.as_role("admin")
    for action in ("approve", "reject", "payments", "waive", "cancel", "resend"):
        response = client.get(f"/staff/registrations/{registrations['kim'].id}/{action}")
        assert response.status_code == 405
    assert reload(registrations["kim"]).state == "pending_approval"


def _csrf_token(html: str, name: str = "csrf_token") -> str:
    return re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)


def test_actions_carry_and_need_a_csrf_token(make_app, make_staff, make_registration):
    app = make_app(WTF_CSRF_ENABLED=True)
    registration = make_registration(state="pending_approval")
    staff = make_staff("admin")
    client = app.test_client()
    with app.app_context():
        token = _csrf_token(text(client.get("/staff/sign-in")))
        signed_in = client.post(
            "/staff/sign-in",
            data={"email": staff.email, "password": STAFF_PASSWORD, "csrf_token": token},
        )
        assert signed_in.status_code == 302
        url = f"/staff/registrations/{registration.id}/approve"
        assert client.post(url).status_code == 400
        assert reload(registration).state == "pending_approval"

        page = text(client.get(f"/staff/registrations/{registration.id}"))
        token = _csrf_token(page, "approve-csrf_token")
        assert client.post(url, data={"approve-csrf_token": token}).status_code == 302
        assert reload(registration).state == "confirmed"  # the first tier is free


def test_admin_page_labels_every_input(client, auth, scene):
    _, registrations = scene
    auth.as_role("admin")
    html = text(client.get(f"/staff/registrations/{registrations['ortiz'].id}"))
    for field_id in (
        "pay-amount",
        "pay-method",
        "pay-reference",
        "pay-note",
        "waive-reason",
        "cancel-reason",
    ):
        assert f'for="{field_id}"' in html and f'id="{field_id}"' in html


def test_history_lines_for_each_kind_of_value():
    before = {"state": "offered", "note": "kept", "old": "gone"}
    after = {
        "state": "cancelled",
        "note": "kept",
        "pay_by_check": True,
        "amount_cents": 5000,
        "purchase_order": "",
        "registration_id": 7,
    }
    described = describe_history(AuditLog(action="invoice.issue", before=before, after=after))
    assert described.title == "Invoice issued"
    assert described.changes == [
        "State: Offered a seat → Cancelled",
        "Old: gone → (none)",
        "Pay by check: yes",
        "Amount: $50.00",
        "Purchase order: (none)",
    ]
