"""The registration form as a person uses it, through the test client."""

import re
from datetime import timedelta

import pytest

from summit.extensions import db
from summit.models import OutboxMessage, Registration, utcnow
from tests.helpers import pdf_text, squash

GOOD = {
    "first_name": "Dana",
    "last_name": "Reyes",
    "email": "Dana.Reyes@YakimaPD.example",
    "phone": "(509) 555-0105",
    "agency": "Yakima Police Department",
    "job_title": "School Resource Officer",
    "tier": "sro",
    "school_district": "Yakima SD, West Valley SD",
    "accommodations": "",
}


def post(client, event, **changes):
    return client.post(f"/events/{event.slug}/register", data={**GOOD, **changes})


def test_form_has_every_field_with_its_label(client, make_event):
    html = client.get(f"/events/{make_event().slug}/register").get_data(as_text=True)
    labels = {
        "first_name": "First name",
        "last_name": "Last name",
        "email": "Email",
        "phone": "Phone",
        "agency": "Agency or employer",
        "job_title": "Job title",
        "school_district": "School district(s) served",
        "accommodations": "Accessibility or dietary needs",
    }
    for name, label in labels.items():
        assert re.search(rf'<label[^>]*for="{name}"[^>]*>{re.escape(label)}</label>', html), name
        assert f'name="{name}"' in html
    assert "SRO (commissioned law enforcement officer) — Free" in html
    assert "Security and other school safety staff ($50)" in html
    assert 'value="Register"' in html


def test_query_string_prefills_the_form(client, make_event):
    event = make_event()
    html = client.get(
        f"/events/{event.slug}/register?tier=security&agency=Wapato+SD&first_name=Ana"
    ).get_data(as_text=True)
    assert 'value="Wapato SD"' in html and 'value="Ana"' in html
    assert re.search(r'<input[^>]*checked[^>]*value="security"|value="security"[^>]*checked', html)


def test_registering_confirms_and_shows_the_receipt(client, make_event):
    event = make_event()
    response = post(client, event)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "check your email" in page and "dana.reyes@yakimapd.example" in page
    assert "/my/enter/" not in page  # the emailed link is the way in, not this page
    assert 'href="/my/sign-in"' in page
    registration = db.session.query(Registration).one()
    assert registration.state == "confirmed"
    assert registration.person.phone == "+1 509-555-0105"
    assert registration.school_district == "Yakima SD, West Valley SD"
    assert db.session.query(OutboxMessage).filter_by(kind="confirmed").count() == 1


def test_registering_someone_elses_email_opens_nothing_of_theirs(
    app, client, make_event, make_registration
):
    """The receipt proves only that someone typed an address: no way into that account."""
    victim = make_registration(event=make_event())
    other_event = make_event()
    response = post(client, other_event, email=victim.person.email)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "/my/enter/" not in page
    assert client.get("/my/").status_code == 302  # still signed out: to the sign-in page


def test_fee_tier_receipt_names_the_fee(client, make_event):
    response = post(client, make_event(), tier="security")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "how to pay the $50 fee" in page
    assert db.session.query(OutboxMessage).filter_by(kind="awaiting_payment").count() == 1


def test_full_event_puts_the_person_on_the_waitlist_and_emails_it(client, make_event):
    event = make_event(capacity=0)
    assert "waitlist" in client.get(f"/events/{event.slug}").get_data(as_text=True).lower()
    response = post(client, event)
    assert response.status_code == 303
    assert db.session.query(Registration).one().state == "waitlisted"
    assert db.session.query(OutboxMessage).filter_by(kind="waitlisted").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "", "Enter your first name."),
        ("last_name", "x" * 101, "Field cannot be longer than 100 characters."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("phone", "12", "phone number"),
        ("agency", "", "Enter your agency or employer."),
        ("tier", "vip", "Not a valid choice"),
        ("first_name", "Dana http://win.example", "web addresses"),
        ("last_name", "<b>Reyes</b>", "web addresses and the characters &lt; and &gt;"),
        ("agency", "www.cheap-pills.example", "web addresses"),
        ("job_title", "see bit.ly/x", "web addresses"),
    ],
)
def test_each_bad_field_gets_its_own_message_and_keeps_the_input(
    client, make_event, field, value, message
):
    event = make_event()
    changes = {"agency": "Kept Agency", field: value}
    response = post(client, event, **changes)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error and message in error.group(1)
    if field != "agency":
        assert 'value="Kept Agency"' in html
    assert db.session.query(Registration).count() == 0


def receipt_of(client, response) -> str:
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_registered_address_gets_the_same_answer_as_a_new_one(client, make_event):
    """The form must not tell a stranger who is registered: the email tells the owner."""
    event = make_event()
    first = post(client, event)
    again = post(client, event, email="DANA.REYES@yakimapd.example", first_name="Other")
    new = post(client, event, email="kim.lee@yakimapd.example")
    assert again.status_code == new.status_code == first.status_code == 303
    pages = [receipt_of(client, r).replace("kim.lee@", "dana.reyes@") for r in (again, new)]
    assert pages[0] == pages[1]
    assert "already registered" not in pages[0].lower()
    assert db.session.query(Registration).count() == 2
    mail = db.session.query(OutboxMessage).filter_by(kind="already_registered").one()
    assert mail.recipient == "dana.reyes@yakimapd.example"


def test_a_registered_address_with_a_closed_tier_is_refused_like_a_new_one(client, make_event):
    event = make_event()
    post(client, event)
    for email in ("dana.reyes@yakimapd.example", "kim.lee@yakimapd.example"):
        response = post(client, event, email=email, tier="vip")
        assert response.status_code == 400
        assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.query(OutboxMessage).filter_by(kind="already_registered").count() == 0


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Eve\u202elive", "Evelive"),  # a right-to-left override: "evil" would print "live"
        ("Da\u200bna", "Dana"),  # a zero-width space
        ("Dana\r\nReyes", "Dana Reyes"),
        ("Dana\x07\t ", "Dana"),
        ("\u2066Dana\u2069", "Dana"),
    ],
)
def test_names_lose_control_and_format_characters(client, make_event, typed, stored):
    event = make_event()
    response = post(client, event, first_name=typed, agency=f"Yakima{typed[-2:]} PD")
    assert response.status_code == 303
    person = db.session.query(Registration).one().person
    assert person.first_name == stored
    assert all(ch.isprintable() for ch in person.full_name + person.agency)


def test_closed_registration_refuses_with_a_message(client, make_event):
    event = make_event(registration_closes_at=utcnow() - timedelta(days=1))
    response = post(client, event)
    assert response.status_code == 409
    assert "Registration is closed" in response.get_data(as_text=True)
    assert db.session.query(Registration).count() == 0


def test_unknown_event_is_404(client):
    assert client.get("/events/nope/register").status_code == 404


def test_oversized_body_is_refused(make_event, make_app):
    slug = make_event().slug
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post(f"/events/{slug}/register", data={"first_name": "x" * 5000})
    assert response.status_code == 413


def test_receipt_link_is_signed(client, make_event):
    post(client, make_event())
    registration = db.session.query(Registration).one()
    event = registration.event
    assert client.get(f"/events/{event.slug}/registered/{registration.id}").status_code == 404


def test_form_needs_csrf(make_app, make_event):
    slug = make_event().slug
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post(f"/events/{slug}/register", data=GOOD)
    assert response.status_code == 400


def test_the_error_summary_lists_fields_in_the_order_of_the_form(client, make_event):
    event = make_event()
    empty = {name: "" for name in GOOD}
    html = client.post(f"/events/{event.slug}/register", data=empty).get_data(as_text=True)
    summary = html[html.index('id="form-errors"') : html.index("<form")]
    form = html[html.index("<form") :]
    listed = re.findall(r'<a href="#([\w-]+)">', summary)
    on_the_page = [id_ for id_ in re.findall(r'<input[^>]* id="([\w-]+)"', form) if id_ in listed]
    assert listed[:3] == ["tier-0", "first_name", "last_name"]
    assert listed == on_the_page
    assert "Please correct 8 fields" in summary


@pytest.mark.parametrize(
    ("name", "price_cents", "shown"),
    [
        ("School resource officers (free)", 0, "School resource officers (free)"),
        ("SRO (commissioned officer)", 0, "SRO (commissioned officer) — Free"),
        ("Security staff", 5000, "Security staff ($50)"),
        ("Security staff ($50)", 5000, "Security staff ($50)"),
        ("Freelance trainers", 0, "Freelance trainers (Free)"),
    ],
)
def test_a_tier_name_gets_one_pair_of_brackets(client, make_event, name, price_cents, shown):
    event = make_event()
    tier = event.tiers[0]
    tier.name, tier.price_cents = name, price_cents
    db.session.commit()
    assert tier.name_with_price == shown
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert shown.replace("&", "&amp;") in html
    assert "(free) (Free)" not in html and "(free) — Free" not in html


def test_a_badge_prints_the_name_without_a_bidi_override(client, auth, make_event):
    """U+202E once turned "Eve" + "live" into "Eve" + "evil" on the printed badge."""
    event = make_event()
    assert post(client, event, first_name="Eve\u202elive").status_code == 303
    auth.as_role("checkin")
    response = client.get(f"/staff/events/{event.slug}/badges.pdf")
    assert response.status_code == 200
    printed = pdf_text(response.data)
    assert "Evelive" in squash(printed)
    assert "\u202e" not in printed
