"""The registration page: staff edit a person's details and move a registration to another tier."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from summit.extensions import db
from summit.mail import queue_registration_email
from summit.models import AuditLog, OutboxMessage, Person, Registration, Tier
from summit.payments import services as payments
from tests.helpers import outbox, reload, text

DETAILS = {
    "details-first_name": "Jordan",
    "details-last_name": "Lee",
    "details-email": "jordan.lee@yakimapd.example",
    "details-phone": "",
    "details-agency": "Yakima Police Department",
    "details-job_title": "",
    "details-school_district": "",
    "details-accommodations": "",
}


@pytest.fixture
def lee(make_event, make_person, make_registration):
    """A confirmed SRO registration; the event has a free and a $50 tier."""
    person = make_person(
        first_name="Jordan",
        last_name="Lee",
        email="jordan.lee@yakimapd.example",
        agency="Yakima Police Department",
        phone="",
        job_title="",
    )
    return make_registration(event=make_event(), person=person)


def detail(client, registration) -> str:
    return text(client.get(f"/staff/registrations/{registration.id}"))


def history_of(html: str) -> str:
    return html[html.index('id="history-heading"') :]


def audit_rows(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def post_details(client, registration, **changes):
    data = {**DETAILS, **{f"details-{key}": value for key, value in changes.items()}}
    return client.post(f"/staff/registrations/{registration.id}/details", data=data)


def move(client, registration, tier):
    return client.post(f"/staff/registrations/{registration.id}/tier", data={"move-tier": tier.id})


def tier(event, slug: str) -> Tier:
    return next(t for t in event.tiers if t.slug == slug)


# --- who may ---------------------------------------------------------------------------


def test_checkin_staff_see_no_edit_or_move_and_may_not_post(client, auth, lee):
    """Admins only: a name fixed at the desk would reprint badges and certificates unseen
    by whoever runs the event, so the desk asks an admin (docs/payments.md)."""
    auth.as_role("checkin")
    html = detail(client, lee)
    assert "Edit details" not in html and "Move to another tier" not in html
    assert post_details(client, lee, first_name="Jordon").status_code == 403
    assert move(client, lee, tier(lee.event, "security")).status_code == 403
    assert reload(lee.person).first_name == "Jordan" and reload(lee).tier.slug == "sro"
    assert audit_rows("person.update") == [] and audit_rows("registration.tier") == []


def test_anonymous_is_sent_to_sign_in(client, lee):
    for response in (
        post_details(client, lee, first_name="Jordon"),
        move(client, lee, tier(lee.event, "security")),
    ):
        assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    assert reload(lee.person).first_name == "Jordan" and reload(lee).tier.slug == "sro"


def test_edit_and_move_are_not_get(client, auth, lee):
    auth.as_role("admin")
    for action in ("details", "tier"):
        assert client.get(f"/staff/registrations/{lee.id}/{action}").status_code == 405


def test_edit_and_move_need_a_csrf_token(make_app, make_staff, make_registration):
    from tests.admin.test_registrations import _csrf_token
    from tests.conftest import STAFF_PASSWORD

    app = make_app(WTF_CSRF_ENABLED=True)
    registration = make_registration()
    staff = make_staff("admin")
    client = app.test_client()
    with app.app_context():
        token = _csrf_token(text(client.get("/staff/sign-in")))
        client.post(
            "/staff/sign-in",
            data={"email": staff.email, "password": STAFF_PASSWORD, "csrf_token": token},
        )
        data = {**DETAILS, "details-email": registration.person.email}
        url = f"/staff/registrations/{registration.id}/details"
        assert client.post(url, data=data).status_code == 400
        page = text(client.get(f"/staff/registrations/{registration.id}"))
        data["details-csrf_token"] = _csrf_token(page, "details-csrf_token")
        assert client.post(url, data=data).status_code == 302
        assert reload(registration.person).first_name == "Jordan"


# --- edit details ------------------------------------------------------------------------


def test_admin_corrects_details_and_the_history_says_what_changed(client, auth, lee):
    auth.as_role("admin")
    response = post_details(
        client,
        lee,
        first_name="  Jordon ",
        email="J.Lee@YakimaPD.example",
        phone="509 555 0105",
        job_title="School resource officer",
        school_district="Yakima SD 7",
        accommodations="Vegetarian",
    )
    assert response.status_code == 302
    person = reload(lee.person)
    assert (person.first_name, person.email, person.phone, person.job_title) == (
        "Jordon",
        "j.lee@yakimapd.example",
        "+1 509-555-0105",
        "School resource officer",
    )
    assert (reload(lee).school_district, reload(lee).accommodations) == (
        "Yakima SD 7",
        "Vegetarian",
    )
    [entry] = audit_rows("person.update")
    assert entry.before == {
        "first_name": "Jordan",
        "email": "jordan.lee@yakimapd.example",
        "phone": "",
        "job_title": "",
    }
    assert entry.actor == "staff:admin@esd105.example"
    html = detail(client, lee)
    assert "Saved: first name, email, phone, job title, school district" in html
    history = history_of(html)
    for line in (
        "Contact details changed",
        "<li>First name: Jordan → Jordon</li>",
        "<li>Email: jordan.lee@yakimapd.example → j.lee@yakimapd.example</li>",
        "<li>Phone: (none) → +1 509-555-0105</li>",
        "Registration details changed",
        "<li>School district: (none) → Yakima SD 7</li>",
        "<li>Accessibility or dietary needs: (none) → Vegetarian</li>",
        "Admin",
    ):
        assert line in history, line


def test_saving_unchanged_details_logs_nothing(client, auth, lee):
    auth.as_role("admin")
    response = post_details(client, lee)
    assert response.status_code == 302
    assert "Nothing was changed." in detail(client, lee)
    assert audit_rows("person.update") == [] and audit_rows("registration.details") == []


def test_a_walk_in_without_phone_or_agency_gets_a_name_fixed(
    client, auth, make_registration, make_person
):
    walk_in = make_registration(person=make_person(first_name="Sma", agency="", phone=""))
    auth.as_role("admin")
    data = {**DETAILS, "details-email": walk_in.person.email, "details-agency": ""}
    data["details-first_name"] = "Sam"
    response = client.post(f"/staff/registrations/{walk_in.id}/details", data=data)
    assert response.status_code == 302
    assert reload(walk_in.person).first_name == "Sam"


def test_invisible_characters_are_dropped_as_on_the_public_form(client, auth, lee):
    auth.as_role("admin")
    assert post_details(client, lee, last_name="\u202eeeL\n").status_code == 302
    assert reload(lee.person).last_name == "eeL"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_name": ""}, "first_name", "Enter your first name."),
        ({"last_name": "Visit https://spam.example"}, "last_name", "web addresses"),
        ({"agency": "<b>Police</b>"}, "agency", "web addresses and the characters"),
        ({"job_title": "see www.spam.example"}, "job_title", "web addresses"),
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"phone": "12"}, "phone", "phone number"),
        ({"accommodations": "bell\x07"}, "accommodations", "characters that are not allowed"),
        ({"school_district": "x" * 301}, "school_district", "300"),
    ],
)
def test_bad_details_are_refused_beside_the_field(client, auth, lee, changes, field, message):
    auth.as_role("admin")
    response = post_details(
        client, lee, **{**changes, "first_name": changes.get("first_name", "Jordon")}
    )
    assert response.status_code == 400
    html = text(response)
    error = html[html.index(f'id="details-{field}-error"') :]
    assert message in error[:400]
    assert '<details class="card card-body mb-3" open>' in html  # the form stays open
    assert reload(lee.person).first_name == "Jordan"
    assert audit_rows("person.update") == []


def test_an_email_of_another_person_is_refused_with_a_pointer_to_merge(
    client, auth, lee, make_person
):
    other = make_person(email="someone@wapato.example")
    auth.as_role("admin")
    response = post_details(client, lee, first_name="Jordon", email="Someone@Wapato.example")
    assert response.status_code == 409
    html = text(response)
    error = html[html.index('id="details-email-error"') :][:400]
    assert "someone@wapato.example belongs to another person" in error and "merge" in error
    assert reload(lee.person).first_name == "Jordan"  # nothing saved, not even the name
    assert reload(other).email == "someone@wapato.example"
    assert db.session.scalar(select(func.count()).select_from(Person)) == 2
    assert audit_rows("person.update") == []


def test_mail_waiting_for_a_mistyped_address_goes_to_the_corrected_one(client, auth, lee):
    """The confirmation still in the outbox follows the fix; what was sent stays as it was."""
    queue_registration_email(lee, "reminder")
    queue_registration_email(lee, "confirmed")
    db.session.commit()
    sent, waiting = outbox("reminder")[0], outbox("confirmed")[0]
    sent.status = "sent"
    db.session.commit()
    auth.as_role("admin")
    assert post_details(client, lee, email="jordan.lee@yakimaschools.example").status_code == 302
    assert reload(waiting).recipient == "jordan.lee@yakimaschools.example"
    assert reload(sent).recipient == "jordan.lee@yakimapd.example"


# --- move to another tier ------------------------------------------------------------------


def test_free_to_fee_awaits_payment_and_emails_the_amount(client, auth, lee):
    auth.as_role("admin")
    response = move(client, lee, tier(lee.event, "security"))
    assert response.status_code == 302
    lee = reload(lee)
    assert (lee.tier.slug, lee.state, lee.amount_due_cents) == (
        "security",
        "awaiting_payment",
        5000,
    )
    [mail] = outbox("awaiting_payment")
    assert "$50 due" in mail.subject and mail.recipient == "jordan.lee@yakimapd.example"
    html = detail(client, lee)
    assert "Moved from SRO (commissioned law enforcement officer) to Security" in html
    assert "Amount due: $0.00 → $50.00" in html
    history = history_of(html)
    assert "Moved to another tier" in history
    assert (
        "<li>Tier: SRO (commissioned law enforcement officer) → "
        "Security and other school safety staff</li>"
    ) in history
    assert "<li>Amount due: $0.00 → $50.00</li>" in history
    assert "<li>State: Confirmed → Awaiting payment</li>" in history


def test_fee_to_free_with_a_payment_keeps_the_payment_and_sends_nothing(
    client, auth, make_registration, make_staff
):
    registration = make_registration(state="awaiting_payment")
    registration.tier = tier(registration.event, "security")
    db.session.commit()
    payments.record_payment(
        registration, amount_cents=5000, method="check", reference="CHK 9", actor=make_staff()
    )
    assert reload(registration).state == "confirmed"
    sent = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    auth.as_role("admin")
    assert move(client, registration, tier(registration.event, "sro")).status_code == 302
    registration = reload(registration)
    assert (registration.state, registration.amount_due_cents) == ("confirmed", 0)
    assert [(p.amount_cents, p.reference) for p in registration.payments] == [(5000, "CHK 9")]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == sent
    html = detail(client, registration)
    assert "$50.00 was paid beyond the new fee" in html
    assert "Paid beyond the fee" in html


def test_awaiting_payment_to_free_confirms_with_the_ticket_email(client, auth, make_registration):
    registration = make_registration(state="awaiting_payment")
    registration.tier = tier(registration.event, "security")
    db.session.commit()
    auth.as_role("admin")
    assert move(client, registration, tier(registration.event, "sro")).status_code == 302
    assert reload(registration).state == "confirmed"
    assert len(outbox("confirmed")) == 1


def dearer_tier_for(registration: Registration) -> Tier:
    """Put ``registration`` in the $50 tier and add a $75 "Vendor" tier to move it to."""
    event = registration.event
    registration.tier = tier(event, "security")
    event.tiers.append(Tier(slug="vendor", name="Vendor", price_cents=7500, position=3))
    db.session.commit()
    return tier(event, "vendor")


def test_a_dearer_fee_while_awaiting_payment_emails_the_new_amount(client, auth, make_registration):
    registration = make_registration(state="awaiting_payment")
    auth.as_role("admin")
    assert move(client, registration, dearer_tier_for(registration)).status_code == 302
    assert (reload(registration).state, reload(registration).amount_due_cents) == (
        "awaiting_payment",
        7500,
    )
    [mail] = outbox("awaiting_payment")
    assert "$75 due" in mail.subject


def test_a_full_tier_refuses_and_the_seat_is_kept(client, auth, lee, make_registration):
    security = tier(lee.event, "security")
    security.capacity = 1
    db.session.commit()
    make_registration(event=lee.event, tier=security, state="awaiting_payment")
    auth.as_role("admin")
    response = move(client, lee, security)
    assert response.status_code == 409
    html = text(response)
    error = html[html.index('id="move-tier-error"') :][:400]
    assert "is full (1 of 1 seats taken)" in error
    assert (reload(lee).tier.slug, reload(lee).state) == ("sro", "confirmed")
    assert audit_rows("registration.tier") == [] and outbox("awaiting_payment") == []


def test_approval_tier_rules(client, auth, make_registration):
    """Waiting for approval stays so in a tier that needs it, arrives normally in one that
    does not; a confirmed person moved into an approval tier is approved by the move."""
    pending = make_registration(state="pending_approval")
    event = pending.event
    event.tiers.append(Tier(slug="guest", name="Guest", requires_approval=True, position=3))
    sro, guest = tier(event, "sro"), tier(event, "guest")
    pending.tier = guest
    confirmed = make_registration(event=event)
    db.session.commit()
    auth.as_role("admin")
    assert move(client, pending, sro).status_code == 302
    assert reload(pending).state == "confirmed"
    assert move(client, confirmed, guest).status_code == 302
    assert reload(confirmed).state == "confirmed"
    waiting = make_registration(event=event, tier=tier(event, "security"), state="pending_approval")
    assert move(client, waiting, guest).status_code == 302
    assert (reload(waiting).tier.slug, reload(waiting).state) == ("guest", "pending_approval")


def test_a_purchase_order_confirmation_survives_a_move(client, auth, make_registration):
    """Confirmed with a balance still due (the event confirms on a PO): it stays confirmed."""
    registration = make_registration(state="confirmed")
    auth.as_role("admin")
    assert move(client, registration, dearer_tier_for(registration)).status_code == 302
    assert (reload(registration).state, reload(registration).amount_due_cents) == (
        "confirmed",
        7500,
    )


def test_moving_out_of_a_full_tier_offers_the_seat_to_its_waitlist(
    client, auth, lee, make_registration
):
    sro = tier(lee.event, "sro")
    sro.capacity = 1
    db.session.commit()
    waiting = make_registration(event=lee.event, tier=sro, state="waitlisted")
    auth.as_role("admin")
    assert move(client, lee, tier(lee.event, "security")).status_code == 302
    assert reload(waiting).state == "offered"
    assert len(outbox("offered")) == 1


def test_a_waitlisted_registration_keeps_its_place(client, auth, make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event=event)
    waiting = make_registration(event=event, state="waitlisted")
    auth.as_role("admin")
    assert move(client, waiting, tier(event, "security")).status_code == 302
    assert (reload(waiting).tier.slug, reload(waiting).state) == ("security", "waitlisted")
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_cancelled_registration_cannot_move(client, auth, make_registration):
    cancelled = make_registration(state="cancelled")
    auth.as_role("admin")
    assert "Move to another tier" not in detail(client, cancelled)
    response = move(client, cancelled, tier(cancelled.event, "security"))
    assert response.status_code == 409
    assert "A cancelled registration cannot move" in text(response)
    assert reload(cancelled).tier.slug == "sro"


@pytest.mark.parametrize("choice", ["other-event", "same", "junk", ""])
def test_a_tier_not_on_the_list_is_a_400(client, auth, lee, make_event, choice):
    value = {
        "other-event": lambda: tier(make_event(), "security").id,
        "same": lambda: lee.tier_id,
        "junk": lambda: "abc",
        "": lambda: "",
    }[choice]()
    auth.as_role("admin")
    response = client.post(f"/staff/registrations/{lee.id}/tier", data={"move-tier": value})
    assert response.status_code == 400
    assert 'id="move-tier-error"' in text(response)
    assert reload(lee).tier.slug == "sro"


def test_the_page_labels_the_new_inputs(client, auth, lee):
    auth.as_role("admin")
    html = detail(client, lee)
    for field_id in (*(key for key in DETAILS), "move-tier"):
        assert f'for="{field_id}"' in html and f'id="{field_id}"' in html, field_id
    assert "Security and other school safety staff ($50)" in html
