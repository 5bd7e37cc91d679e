"""Every state a registration can reach, through the one service that moves it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from summit.extensions import db
from summit.models import AuditLog, OutboxMessage, Person, Registration, Tier, utcnow
from summit.registration.errors import (
    InvalidTransition,
    OfferExpired,
    RegistrationClosed,
    TierNotAvailable,
)
from summit.registration.fields import TICKET_ALPHABET
from summit.registration.services import (
    accept_offer,
    approve_registration,
    cancel_registration,
    expire_offers,
    payment_recorded,
    register_attendee,
    reject_registration,
    seats_left,
)


def register(event, n=1, tier="sro", **overrides):
    fields = {
        "tier_slug": tier,
        "email": f"Officer{n}@YakimaPD.example",
        "first_name": "Dana",
        "last_name": f"Reyes{n}",
        "phone": "+1 509-555-0105",
        "agency": "Yakima Police Department",
        "job_title": "School Resource Officer",
        "school_district": "Yakima SD",
    }
    fields.update(overrides)
    return register_attendee(event.id, **fields)


def emails_of(registration):
    return [
        m.kind
        for m in db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.registration_id == registration.id)
            .order_by(OutboxMessage.id)
        )
    ]


def test_free_tier_is_confirmed_with_a_safe_ticket_code(make_event):
    result = register(make_event())
    registration = result.registration
    assert result.created and registration.state == "confirmed"
    assert registration.confirmed_at is not None
    code = registration.ticket_code
    assert len(code) >= 32 and set(code) <= set(TICKET_ALPHABET)
    assert not set(code) & set("0O1IL")
    assert str(registration.id) != code
    assert registration.person.email == "officer1@yakimapd.example"
    assert emails_of(registration) == ["confirmed"]


def test_ticket_codes_are_unique(make_event):
    event = make_event(capacity=None)
    codes = {register(event, n).registration.ticket_code for n in range(30)}
    assert len(codes) == 30


def test_fee_tier_awaits_payment_then_confirms_when_paid(make_event):
    from summit.models import Payment

    registration = register(make_event(), tier="security").registration
    assert registration.state == "awaiting_payment"
    assert registration.amount_due_cents == 5000
    db.session.add(Payment(registration=registration, amount_cents=2000, method="check"))
    payment_recorded(registration, actor="test")
    db.session.commit()
    assert registration.state == "awaiting_payment" and registration.amount_due_cents == 3000
    db.session.add(Payment(registration=registration, amount_cents=3000, method="check"))
    payment_recorded(registration, actor="test")
    db.session.commit()
    assert registration.state == "confirmed"
    assert emails_of(registration) == ["awaiting_payment", "payment_received"]


def test_approval_tier_waits_for_staff(make_event, make_staff):
    event = make_event()
    event.tiers[0].requires_approval = True
    db.session.commit()
    registration = register(event).registration
    assert registration.state == "pending_approval"
    approve_registration(registration, actor=make_staff("admin"))
    assert registration.state == "confirmed"


def test_rejection_cancels_with_the_reason_in_the_audit_log(make_event, make_staff):
    event = make_event()
    event.tiers[1].requires_approval = True
    db.session.commit()
    registration = register(event, tier="security").registration
    reject_registration(registration, actor=make_staff("admin"), reason="Not school staff")
    assert registration.state == "cancelled"
    entry = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "registration.state")
    ).one()
    assert entry.after == {"state": "cancelled", "reason": "Not school staff"}
    assert entry.actor.startswith("staff:")
    assert emails_of(registration)[-1] == "rejected"


def test_only_pending_registrations_can_be_rejected(make_event):
    registration = register(make_event()).registration
    with pytest.raises(InvalidTransition):
        reject_registration(registration, actor="test", reason="x")


def test_second_attempt_returns_the_existing_registration_and_resends_the_link(make_event):
    event = make_event()
    first = register(event).registration
    again = register(event, email="  OFFICER1@yakimapd.example ", tier="security")
    assert not again.created
    assert again.registration.id == first.id and again.registration.tier.slug == "sro"
    assert db.session.query(Registration).count() == 1
    assert emails_of(first) == ["confirmed", "already_registered"]
    register(event, email="officer1@yakimapd.example")
    assert emails_of(first) == ["confirmed", "already_registered"], "once an hour at most"


def test_a_person_registers_for_two_events_with_one_person_row(make_event):
    first, second = make_event(), make_event()
    register(first, phone="")
    register(second, agency="Union Gap PD", phone="+1 509-555-0142", first_name="Mallory")
    person = db.session.scalars(select(Person)).one()
    # The public form proves nothing about owning the address: it may fill what the
    # record lacks, never change a name or the agency certificates print.
    assert (person.first_name, person.agency) == ("Dana", "Yakima Police Department")
    assert person.phone == "+1 509-555-0142"
    assert db.session.query(Registration).filter_by(person_id=person.id).count() == 2


def test_registering_again_with_blank_details_keeps_the_stored_ones(make_event):
    """A walk-in at the desk asks only for name and email."""
    first, second = make_event(), make_event()
    register(first)
    register(second, phone="", agency="", job_title="")
    person = db.session.scalars(select(Person)).one()
    assert (person.phone, person.agency, person.job_title) == (
        "+1 509-555-0105",
        "Yakima Police Department",
        "School Resource Officer",
    )


def test_full_event_waitlists(make_event):
    event = make_event(capacity=2)
    states = [register(event, n).registration.state for n in range(4)]
    assert states == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert seats_left(event) == 0


def test_full_tier_waitlists_even_when_the_event_has_room(make_event):
    event = make_event(capacity=10)
    event.tiers[1].capacity = 1
    db.session.commit()
    assert register(event, 1, tier="security").registration.state == "awaiting_payment"
    assert register(event, 2, tier="security").registration.state == "waitlisted"
    assert register(event, 3, tier="sro").registration.state == "confirmed"


def test_cancellation_offers_the_seat_to_the_first_on_the_waitlist(make_event, app):
    event = make_event(capacity=1)
    holder = register(event, 1).registration
    first_waiting = register(event, 2).registration
    second_waiting = register(event, 3).registration
    cancel_registration(holder, actor="attendee")
    assert holder.state == "cancelled" and holder.cancelled_at is not None
    assert first_waiting.state == "offered"
    hours = app.config.get("OFFER_HOLD_HOURS", 48)
    remaining = first_waiting.offer_expires_at - utcnow()
    assert timedelta(hours=hours) - timedelta(minutes=1) < remaining <= timedelta(hours=hours)
    assert second_waiting.state == "waitlisted"
    assert emails_of(first_waiting) == ["waitlisted", "offered"]


def test_accepting_an_offer_confirms(make_event):
    event = make_event(capacity=1)
    holder = register(event, 1).registration
    waiting = register(event, 2).registration
    cancel_registration(holder, actor="attendee")
    accept_offer(waiting, actor="attendee")
    assert waiting.state == "confirmed" and waiting.offer_expires_at is None


def test_an_expired_offer_passes_to_the_next_person(make_event):
    event = make_event(capacity=1)
    holder = register(event, 1).registration
    first = register(event, 2).registration
    second = register(event, 3).registration
    cancel_registration(holder, actor="attendee")
    later = utcnow() + timedelta(hours=49)
    with pytest.raises(OfferExpired):
        accept_offer(first, actor="attendee", now=later)
    assert first.state == "cancelled"
    assert second.state == "offered"


def test_expire_offers_command_passes_lapsed_offers_on(make_event, runner):
    event = make_event(capacity=1)
    holder = register(event, 1).registration
    first = register(event, 2).registration
    second = register(event, 3).registration
    cancel_registration(holder, actor="attendee")
    assert expire_offers(now=utcnow() + timedelta(hours=47)) == 0
    assert expire_offers(now=utcnow() + timedelta(hours=49)) == 1
    db.session.expire_all()
    assert (first.state, second.state) == ("cancelled", "offered")
    second.offer_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["expire-offers"])
    assert "1 lapsed offer(s) passed on." in result.output
    db.session.expire_all()
    assert second.state == "cancelled"


def test_registration_window_is_enforced(make_event):
    future = make_event(registration_opens_at=utcnow() + timedelta(days=3))
    with pytest.raises(RegistrationClosed, match="opens on"):
        register(future)
    past = make_event(registration_closes_at=utcnow() - timedelta(minutes=1))
    with pytest.raises(RegistrationClosed, match="is closed"):
        register(past)
    assert db.session.query(Registration).count() == 0


def test_closed_or_unknown_tier_is_refused(make_event):
    event = make_event()
    event.tiers[1].is_open = False
    db.session.commit()
    with pytest.raises(TierNotAvailable):
        register(event, tier="security")
    with pytest.raises(TierNotAvailable):
        register(event, tier="vip")


def test_tier_of_another_event_is_refused(make_event):
    event, other = make_event(), make_event()
    db.session.add(Tier(event=other, slug="only-there", name="Elsewhere"))
    db.session.commit()
    with pytest.raises(TierNotAvailable):
        register(event, tier="only-there")


def test_cancelled_registration_cannot_change_again(make_event):
    registration = register(make_event()).registration
    cancel_registration(registration, actor="attendee")
    with pytest.raises(InvalidTransition):
        cancel_registration(registration, actor="attendee")


def test_after_cancelling_a_person_can_register_again(make_event):
    event = make_event()
    first = register(event).registration
    cancel_registration(first, actor="attendee")
    again = register(event)
    assert again.created and again.registration.id != first.id
