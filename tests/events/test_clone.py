"""Next year's summit from this year's: the set-up copied 52 weeks on, nobody's records."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from summit import storage
from summit.certificates.services import issue_certificate
from summit.extensions import db
from summit.models import (
    AuditLog,
    Certificate,
    Checkin,
    Event,
    Payment,
    Person,
    Registration,
    TopicRequirement,
)
from summit.payments import services as payments
from tests.helpers import attend, png_bytes, post_branding, text, words

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def admin(auth):
    return auth.as_role("admin")


def clone_of(slug: str) -> Event:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def count(model, **where) -> int:
    statement = select(func.count()).select_from(model).filter_by(**where)
    return db.session.scalar(statement)


@pytest.fixture
def summit_2026(make_event, client, admin):
    """Last June's summit: agenda, a per-subject override, an approval tier, branding."""
    event = make_event(
        slug="s5-2026",
        name="S5 Summit 2026",
        starts_on=date(2026, 6, 16),
        registration_opens_at=datetime(2026, 1, 12, 17, 0, tzinfo=UTC),
        registration_closes_at=datetime(2026, 6, 10, 6, 59, tzinfo=UTC),
        contact_email="s5@esd105.example",
        venue_address="10 N 8th St, Yakima, WA 98901",
        description="Two days of training.",
        certificate_signer_name="Dr. Jane Example",
        certificate_signer_title="Superintendent",
    )
    event.requirements.append(
        TopicRequirement(topic_id=event.sessions[0].topics[0].topic_id, required_minutes=90)
    )
    event.tiers[1].capacity = 40
    event.tiers[1].requires_approval = True
    db.session.commit()
    response = post_branding(
        client,
        event,
        {
            "branding-signature": (io.BytesIO(png_bytes()), "signature.png"),
            "branding-logo": (io.BytesIO(png_bytes((40, 40))), "logo.png"),
        },
    )
    assert response.status_code == 200
    return db.session.get(Event, event.id)


def test_the_clone_form_suggests_next_years_title_and_address(client, summit_2026):
    page = client.get("/staff/events/s5-2026/clone")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="s5-2027"' in html and 'value="S5 Summit 2027"' in html
    assert "June 15–16, 2027" in html
    assert "Not copied" in html


def test_the_clone_copies_the_set_up_52_weeks_on(client, summit_2026):
    source = summit_2026
    response = client.post(
        "/staff/events/s5-2026/clone", data={"slug": "s5-2027", "name": "S5 Summit 2027"}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/events/s5-2027/edit")
    clone = clone_of("s5-2027")
    assert clone.name == "S5 Summit 2027" and not clone.is_published
    assert (clone.starts_on, clone.ends_on) == (date(2027, 6, 15), date(2027, 6, 16))
    assert clone.starts_on.weekday() == source.starts_on.weekday()
    assert clone.registration_opens_at == source.registration_opens_at + timedelta(weeks=52)
    for name in (
        "description", "timezone", "venue_name", "venue_address", "capacity", "curriculum_id",
        "default_required_minutes", "checkin_grace_minutes", "certificate_signer_name",
        "certificate_signer_title", "contact_email",
    ):  # fmt: skip
        assert getattr(clone, name) == getattr(source, name), name
    assert [
        (t.slug, t.name, t.price_cents, t.capacity, t.requires_approval, t.position)
        for t in clone.tiers
    ] == [
        (t.slug, t.name, t.price_cents, t.capacity, t.requires_approval, t.position)
        for t in source.tiers
    ]
    assert [(r.topic_id, r.required_minutes) for r in clone.requirements] == [
        (r.topic_id, r.required_minutes) for r in source.requirements
    ]
    assert len(clone.sessions) == len(source.sessions) == 13
    for old, new in zip(source.sessions, clone.sessions, strict=True):
        assert (new.title, new.room) == (old.title, old.room)
        assert new.starts_at.astimezone(PACIFIC).time() == old.starts_at.astimezone(PACIFIC).time()
        assert new.local_day == old.local_day + timedelta(weeks=52)
        assert [(t.topic_id, t.minutes) for t in new.topics] == [
            (t.topic_id, t.minutes) for t in old.topics
        ]
    # Its own copy of the images, under its own address.
    assert clone.signature_path.startswith("branding/s5-2027/")
    assert storage.read(clone.signature_path) == storage.read(source.signature_path)
    assert clone.logo_path.startswith("branding/s5-2027/")
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.event_id == clone.id))
    assert list(actions) == ["event.clone"]
    assert "S5 Summit 2027" in text(client.get("/staff/events/"))


def test_the_clone_copies_the_email_texts_and_each_year_keeps_its_own(client, summit_2026):
    """Next year's summit says what this year's was edited to say; editing one leaves the other."""
    subject = "Welcome to {{ event_name }}, {{ first_name }}"
    body = "See you at {{ venue }}.\n\nParking is free."
    edited = client.post(
        "/staff/events/s5-2026/emails/confirmed",
        data={"subject": subject, "body": body, "action": "save"},
    )
    assert edited.status_code == 303

    client.post("/staff/events/s5-2026/clone", data={"slug": "s5-2027", "name": "S5 Summit 2027"})

    clone = clone_of("s5-2027")
    copied = [(t.kind, t.subject, t.body) for t in clone.email_texts]
    assert copied == [("confirmed", subject, body)]
    listing = words(client.get("/staff/events/s5-2027/emails"))
    assert listing.count("Edited") == 1 and subject in listing
    client.post(
        "/staff/events/s5-2027/emails/confirmed",
        data={"subject": "New for 2027", "body": body, "action": "save"},
    )
    db.session.expire_all()
    assert clone_of("s5-2026").email_texts[0].subject == subject
    assert clone_of("s5-2027").email_texts[0].subject == "New for 2027"


def test_the_clone_keeps_no_people(client, summit_2026, make_registration, make_staff):
    source = summit_2026
    attendee = make_registration(event=source)
    attend(attendee)
    issue_certificate(attendee, actor="system")
    payer = make_registration(event=source, tier=source.tiers[1], state="awaiting_payment")
    payments.record_payment(
        payer, amount_cents=5000, method="check", reference="1001", actor=make_staff("admin")
    )
    people_before = count(Person)
    assert count(Checkin, event_id=source.id) > 0 and count(Certificate, event_id=source.id) == 1

    response = client.post(
        "/staff/events/s5-2026/clone", data={"slug": "s5-2027", "name": "S5 Summit 2027"}
    )
    assert response.status_code == 303
    clone = clone_of("s5-2027")
    assert count(Registration, event_id=clone.id) == 0
    assert count(Checkin, event_id=clone.id) == 0
    assert count(Certificate, event_id=clone.id) == 0
    assert count(Person) == people_before
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Payment)
            .join(Registration)
            .where(Registration.event_id == clone.id)
        )
        == 0
    )
    assert all(session.closed_at is None for session in clone.sessions)
    # The source is untouched: its people are still there.
    assert count(Registration, event_id=source.id) == 2
    assert count(Certificate, event_id=source.id) == 1
    page = text(client.get("/staff/events/s5-2027/registrations"))
    assert attendee.person.last_name not in page


def test_a_session_keeps_its_wall_clock_time_across_daylight_saving(client, admin, make_event):
    """March 9, 2026 is daylight time; 52 weeks on, March 8, 2027 is still standard time."""
    make_event(slug="spring-2026", name="Spring 2026", starts_on=date(2026, 3, 9))
    response = client.post(
        "/staff/events/spring-2026/clone", data={"slug": "spring-2027", "name": "Spring 2027"}
    )
    assert response.status_code == 303
    first = clone_of("spring-2027").sessions[0]
    assert first.starts_at.astimezone(PACIFIC).replace(tzinfo=None) == datetime.combine(
        date(2027, 3, 8), time(8, 0)
    )


@pytest.mark.parametrize(
    ("form", "field", "message", "status"),
    [
        ({"slug": "s5-2026", "name": "Again"}, "slug", "Another event already uses", 409),
        ({"slug": "S5 2027", "name": "Next"}, "slug", "Use lowercase letters", 400),
        ({"slug": "s5-2027", "name": ""}, "name", "Give the new event a title.", 400),
    ],
)
def test_a_bad_clone_request_creates_nothing(client, summit_2026, form, field, message, status):
    response = client.post("/staff/events/s5-2026/clone", data=form)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page.split(f'id="{field}-error"', 1)[1]
    assert count(Event) == 1
