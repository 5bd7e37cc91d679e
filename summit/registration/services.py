"""Registration rules in one place: states, seats, the waitlist and its offers.

Every function that changes seats runs in one ``write_transaction`` and first locks
the event's row, so counting and writing happen as one step: no oversell under
concurrency. Services commit once (the transaction's end); views never commit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from summit import audit
from summit.extensions import db
from summit.mail import queue_registration_email
from summit.models import (
    SEAT_HOLDING_STATES,
    Event,
    Person,
    Registration,
    RegistrationState,
    StaffUser,
    Tier,
    utcnow,
)
from summit.registration.errors import (
    InvalidTransition,
    OfferExpired,
    RegistrationClosed,
    TierFull,
    TierNotAvailable,
)
from summit.registration.fields import new_ticket_code, normalise_email
from summit.transactions import lock_row, write_transaction

Actor = StaffUser | str

# The only transitions a registration may make.
TRANSITIONS: dict[RegistrationState, frozenset[RegistrationState]] = {
    RegistrationState.PENDING_APPROVAL: frozenset(
        {
            RegistrationState.AWAITING_PAYMENT,
            RegistrationState.CONFIRMED,
            RegistrationState.CANCELLED,
        }
    ),
    RegistrationState.AWAITING_PAYMENT: frozenset(
        {RegistrationState.CONFIRMED, RegistrationState.CANCELLED}
    ),
    # Back to awaiting payment only when staff move a registration to a dearer tier.
    RegistrationState.CONFIRMED: frozenset(
        {RegistrationState.AWAITING_PAYMENT, RegistrationState.CANCELLED}
    ),
    RegistrationState.WAITLISTED: frozenset(
        {RegistrationState.OFFERED, RegistrationState.CANCELLED}
    ),
    RegistrationState.OFFERED: frozenset(
        {
            RegistrationState.PENDING_APPROVAL,
            RegistrationState.AWAITING_PAYMENT,
            RegistrationState.CONFIRMED,
            RegistrationState.CANCELLED,
        }
    ),
    RegistrationState.CANCELLED: frozenset(),
}
# The email each arrival state sends, unless the caller names another: the one
# named after the state (``mail/confirmed.txt`` …).
STATE_EMAILS = {state: state.value for state in RegistrationState}
PERSON_FIELDS = ("first_name", "last_name", "phone", "agency", "job_title")


@dataclass(frozen=True)
class RegistrationResult:
    registration: Registration
    created: bool


def seats_taken(event: Event, tier: Tier | None = None) -> int:
    statement = select(func.count()).where(
        Registration.event_id == event.id, Registration.state.in_(SEAT_HOLDING_STATES)
    )
    if tier is not None:
        statement = statement.where(Registration.tier_id == tier.id)
    return db.session.scalar(statement) or 0


def registration_counts() -> dict[int, int]:
    """Registrations per event id, cancelled ones not counted: one grouped query."""
    return dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(Registration.state != RegistrationState.CANCELLED)
            .group_by(Registration.event_id)
        ).all()
    )


def seats_left(event: Event, tier: Tier | None = None) -> int | None:
    """Seats still free for the event (and the tier, if given); None when unlimited."""
    limits = []
    if event.capacity is not None:
        limits.append(event.capacity - seats_taken(event))
    if tier is not None and tier.capacity is not None:
        limits.append(tier.capacity - seats_taken(event, tier))
    return max(min(limits), 0) if limits else None


@write_transaction()
def register_attendee(
    event_id: int,
    *,
    tier_slug: str,
    email: str,
    first_name: str,
    last_name: str,
    phone: str = "",
    agency: str = "",
    job_title: str = "",
    school_district: str = "",
    accommodations: str = "",
    role_type: str | None = None,
    actor: Actor = "attendee",
    now: datetime | None = None,
    at_the_door: bool = False,
) -> RegistrationResult:
    """Register a person, or return their existing active registration unchanged.

    The state follows the rules: full → waitlisted; approval tier →
    pending_approval; fee tier → awaiting_payment; otherwise confirmed.
    ``at_the_door`` is the check-in desk's walk-in: the online registration
    window does not apply, everything else does.
    """
    now = now or utcnow()
    event = lock_row(Event, event_id)
    expire_offers_for(event, now=now)
    email = normalise_email(email)
    person = db.session.scalar(select(Person).where(Person.email == email))
    existing = _active_registration(event, person) if person is not None else None
    # The window and the tier are checked first, for a known address too: the public form
    # must answer the same for everyone, so what it refuses can never depend on who is
    # registered (issue 14, item 10). At the door a registered person is simply found.
    if not (at_the_door and existing is not None):
        if not at_the_door and event.registration_status(now) != "open":
            raise RegistrationClosed(_closed_message(event, now))
        tier = _open_tier(event, tier_slug)
    if existing is not None:
        return _already_registered(existing, now)
    details = dict(
        first_name=first_name, last_name=last_name, phone=phone, agency=agency, job_title=job_title
    )
    person = _person_for(person, email, details, role_type=role_type or _role_type_for(tier))
    state = _arrival_state(event, tier)  # counted before the new row can join the session
    registration = _add_registration(
        Registration(
            event=event,
            person=person,
            tier=tier,
            state=state,
            ticket_code=new_ticket_code(),
            school_district=school_district,
            accommodations=accommodations,
        ),
        now=now,
        actor=actor,
    )
    return RegistrationResult(registration, created=True)


def _person_for(
    person: Person | None, email: str, details: dict[str, str], *, role_type: str
) -> Person:
    """A new person with these details, or the known one with blanks filled in (never
    overwritten: the form cannot change someone else's name)."""
    if person is None:
        person = Person(email=email, role_type=role_type, **details)
        db.session.add(person)
    else:
        _fill_missing_details(person, details)
    return person


def _already_registered(existing: Registration, now: datetime) -> RegistrationResult:
    """Nothing changes; the person is emailed what they have, at most once an hour so the
    form cannot flood someone's inbox."""
    hour = f"{now:%Y%m%d%H}"
    queue_registration_email(
        existing, "already_registered", dedupe_key=f"already:{existing.id}:{hour}"
    )
    return RegistrationResult(existing, created=False)


def _add_registration(registration: Registration, *, now: datetime, actor: Actor) -> Registration:
    """Stamp, audit and email a new registration in the state its arrival earned."""
    if registration.state == RegistrationState.CONFIRMED:
        registration.confirmed_at = now
    db.session.add(registration)
    db.session.flush()
    audit.record(
        "registration.create",
        registration,
        after={"state": registration.state, "tier": registration.tier.slug},
        actor=actor,
    )
    queue_registration_email(registration, STATE_EMAILS[registration.state])
    return registration


def change_state(
    registration: Registration,
    new_state: RegistrationState,
    *,
    actor: Actor,
    reason: str = "",
    email_kind: str | None = None,
    now: datetime | None = None,
) -> None:
    """The single place a registration changes state: checks, stamps, audits, emails.

    Does not commit: the calling service does, once.
    """
    old_state = registration.state
    if new_state not in TRANSITIONS[old_state]:
        raise InvalidTransition(
            f"A registration that is {old_state.replace('_', ' ')} cannot become "
            f"{new_state.replace('_', ' ')}."
        )
    now = now or utcnow()
    registration.state = new_state
    if new_state == RegistrationState.CONFIRMED:
        registration.confirmed_at = now
    if new_state == RegistrationState.CANCELLED:
        registration.cancelled_at = now
    if new_state == RegistrationState.OFFERED:
        hours = current_app.config["OFFER_HOLD_HOURS"]
        registration.offer_expires_at = now + timedelta(hours=hours)
    elif old_state == RegistrationState.OFFERED:
        registration.offer_expires_at = None
    after: dict[str, Any] = {"state": new_state}
    if reason:
        after["reason"] = reason
    audit.record(
        "registration.state", registration, before={"state": old_state}, after=after, actor=actor
    )
    queue_registration_email(registration, email_kind or STATE_EMAILS[new_state])


@write_transaction()
def cancel_registration(
    registration: Registration, *, actor: Actor, reason: str = "", email_kind: str | None = None
) -> Registration:
    """Cancel, free the seat, and offer it to the first person on the waitlist."""
    event = lock_row(Event, registration.event_id)
    db.session.refresh(registration)
    change_state(
        registration, RegistrationState.CANCELLED, actor=actor, reason=reason, email_kind=email_kind
    )
    offer_free_seats(event)
    return registration


@write_transaction()
def approve_registration(registration: Registration, *, actor: Actor) -> Registration:
    """Staff approval of a restricted tier: on to payment, or confirmed when free."""
    lock_row(Event, registration.event_id)
    db.session.refresh(registration)
    change_state(registration, _after_approval(registration.tier), actor=actor)
    return registration


def reject_registration(registration: Registration, *, actor: Actor, reason: str) -> Registration:
    if registration.state != RegistrationState.PENDING_APPROVAL:
        raise InvalidTransition("Only a registration waiting for approval can be rejected.")
    return cancel_registration(registration, actor=actor, reason=reason, email_kind="rejected")


def accept_offer(
    registration: Registration, *, actor: Actor, now: datetime | None = None
) -> Registration:
    """The waitlisted person takes the seat held for them, before the offer runs out."""
    now = now or utcnow()
    with write_transaction():
        event = lock_row(Event, registration.event_id)
        db.session.refresh(registration)
        if registration.state != RegistrationState.OFFERED:
            raise InvalidTransition("There is no seat on offer for this registration.")
        lapsed = registration.offer_expires_at is not None and registration.offer_expires_at <= now
        if lapsed:  # the expiry is kept (committed) before the refusal
            expire_offers_for(event, now=now)
        else:
            approval = registration.tier.requires_approval
            state = RegistrationState.PENDING_APPROVAL if approval else None
            state = state or _after_approval(registration.tier)
            change_state(registration, state, actor=actor, now=now)
    if lapsed:
        raise OfferExpired("This offer has expired and the seat went to the next person.")
    return registration


def payment_recorded(registration: Registration, *, actor: Actor) -> Registration:
    """After payments are added: confirm once nothing is due. Does not commit."""
    db.session.refresh(registration)
    if (
        registration.state == RegistrationState.AWAITING_PAYMENT
        and registration.amount_due_cents == 0
    ):
        change_state(
            registration, RegistrationState.CONFIRMED, actor=actor, email_kind="payment_received"
        )
    return registration


def expire_offers(now: datetime | None = None) -> int:
    """Expire every lapsed offer on every event and pass the seats on (the task queue
    runs this every 5 minutes; ``expire-offers`` by hand)."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        select(Registration.event_id)
        .where(
            Registration.state == RegistrationState.OFFERED, Registration.offer_expires_at <= now
        )
        .distinct()
    ).all()
    expired = 0
    for event_id in event_ids:
        with write_transaction():
            expired += expire_offers_for(lock_row(Event, event_id), now=now)
    return expired


def expire_offers_for(event: Event, *, now: datetime) -> int:
    """Cancel this event's lapsed offers and offer their seats on. Caller holds the lock."""
    lapsed = db.session.scalars(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.state == RegistrationState.OFFERED,
            Registration.offer_expires_at <= now,
        )
    ).all()
    for registration in lapsed:
        change_state(
            registration,
            RegistrationState.CANCELLED,
            actor="system",
            reason="offer expired",
            now=now,
        )
    if lapsed:
        offer_free_seats(event, now=now)
    return len(lapsed)


def offer_free_seats(event: Event, *, now: datetime | None = None) -> list[Registration]:
    """Offer free seats to waitlisted people, first come first served. Caller holds the lock."""
    db.session.flush()
    offered = []
    waiting = db.session.scalars(
        select(Registration)
        .where(
            Registration.event_id == event.id, Registration.state == RegistrationState.WAITLISTED
        )
        .order_by(Registration.created_at, Registration.id)
    ).all()
    for registration in waiting:
        left = seats_left(event, registration.tier)
        if left is not None and left <= 0:
            if seats_left(event) == 0:
                break
            continue  # this tier is full; someone further down may fit another tier
        change_state(registration, RegistrationState.OFFERED, actor="system", now=now)
        db.session.flush()
        offered.append(registration)
    return offered


@dataclass(frozen=True)
class TierMove:
    """What a move did, for the page to say: the state and the amount due before and after."""

    registration: Registration
    old_tier: Tier
    old_state: RegistrationState
    old_due_cents: int
    paid_cents: int
    emailed: bool = False

    @property
    def overpaid_cents(self) -> int:
        """Paid (or waived) beyond the new fee: the rows are kept, nothing is refunded here."""
        return max(self.paid_cents - self.registration.tier.price_cents, 0)


@write_transaction()
def move_to_tier(registration: Registration, tier_id: int, *, actor: Actor) -> TierMove:
    """Staff move a registration to another tier of its event, under the seat rules.

    The event's row is locked first, as for a new registration, so two moves into a
    tier's last seat cannot both succeed. A registration holding a seat moves only
    where a seat is free (it is never put on a waitlist: it would lose the seat it
    holds); a waitlisted one keeps its place in the line, now for the new tier. The
    state then follows the new tier (``_state_after_move``), the emails follow the
    state or a new amount due, and the seat freed in the old tier is offered on.
    Payments stay attached: a cheaper tier leaves them as they are.
    """
    event = lock_row(Event, registration.event_id)
    db.session.refresh(registration)
    target = _tier_to_move_to(event, registration, tier_id)
    paid = sum(payment.amount_cents for payment in registration.payments)
    move = TierMove(
        registration, registration.tier, registration.state, registration.amount_due_cents, paid
    )
    registration.tier = target
    audit.record(
        "registration.tier",
        registration,
        before={"tier_id": move.old_tier.id, "amount_due_cents": move.old_due_cents},
        after={"tier_id": target.id, "amount_due_cents": registration.amount_due_cents},
        actor=actor,
    )
    new_state = _state_after_move(registration, move)
    emailed = new_state != move.old_state or (
        new_state == RegistrationState.AWAITING_PAYMENT
        and registration.amount_due_cents != move.old_due_cents
    )
    if new_state != move.old_state:
        change_state(registration, new_state, actor=actor)  # emails the new state
    elif emailed:
        queue_registration_email(registration, STATE_EMAILS[new_state])  # the new amount
    offer_free_seats(event)
    return replace(move, emailed=emailed)


def _tier_to_move_to(event: Event, registration: Registration, tier_id: int) -> Tier:
    if not registration.state.is_active:
        raise InvalidTransition("A cancelled registration cannot move to another tier.")
    target = next((tier for tier in event.tiers if tier.id == tier_id), None)
    if target is None:
        raise TierNotAvailable("Choose a tier of this event.")
    if target.id == registration.tier_id:
        raise TierNotAvailable(f"This registration is already in {target.name}.")
    if registration.state.holds_seat and target.capacity is not None:
        taken = seats_taken(event, target)
        if taken >= target.capacity:
            raise TierFull(
                f"{target.name} is full ({taken} of {target.capacity} seats taken). "
                "Nothing was changed: the registration keeps its seat."
            )
    return target


def _state_after_move(registration: Registration, move: TierMove) -> RegistrationState:
    """The state the new tier's rules give a registration that already stands somewhere.

    Waitlisted and offered ones stay so (accepting an offer applies the new tier's
    approval and fee). One waiting for approval stays so in a tier that needs it, and
    otherwise arrives as a new registration would: confirmed, or awaiting payment. A
    staff move counts as the approval an approval tier asks for, so one already past
    approval is never sent back to it. A confirmed registration turns to awaiting
    payment only when the move makes a balance appear where none was: one confirmed
    with a balance still due (a purchase order that confirms) stays confirmed.
    """
    state = registration.state
    if state in (RegistrationState.WAITLISTED, RegistrationState.OFFERED):
        return state
    if state == RegistrationState.PENDING_APPROVAL and registration.tier.requires_approval:
        return state
    due = registration.amount_due_cents
    if state == RegistrationState.CONFIRMED and move.old_due_cents > 0:
        return state
    return RegistrationState.AWAITING_PAYMENT if due > 0 else RegistrationState.CONFIRMED


@write_transaction()
def update_contact_details(person: Person, *, actor: Actor, **fields: str) -> Person:
    """The attendee corrects their own contact details (never the email)."""
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
    before = {name: getattr(person, name) for name in fields}
    _apply_details(person, fields)
    audit.record("person.update", person, before=before, after=dict(fields), actor=actor)
    return person


def _active_registration(event: Event, person: Person) -> Registration | None:
    return db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.person_id == person.id,
            Registration.state != RegistrationState.CANCELLED,
        )
    )


def _open_tier(event: Event, tier_slug: str) -> Tier:
    for tier in event.tiers:
        if tier.slug == tier_slug and tier.is_open:
            return tier
    raise TierNotAvailable("That registration type is not open. Please choose another.")


def _arrival_state(event: Event, tier: Tier) -> RegistrationState:
    left = seats_left(event, tier)
    if left is not None and left <= 0:
        return RegistrationState.WAITLISTED
    if tier.requires_approval:
        return RegistrationState.PENDING_APPROVAL
    return _after_approval(tier)


def _after_approval(tier: Tier) -> RegistrationState:
    return RegistrationState.CONFIRMED if tier.is_free else RegistrationState.AWAITING_PAYMENT


def _role_type_for(tier: Tier) -> str:
    return "sro" if tier.slug == "sro" else "security" if tier.price_cents else "other"


def _apply_details(person: Person, details: dict[str, str]) -> None:
    for name, value in details.items():
        setattr(person, name, value)


def _fill_missing_details(person: Person, details: dict[str, str]) -> None:
    """A known person registering again: fill in what their record lacks, change nothing.

    Typing someone's email into the public form proves nothing about owning it, so
    it must not rename them or change the agency their certificates print (and a
    walk-in that asks only for name and email must not blank the rest). People
    correct their details in the portal, which they reach by an emailed link.
    """
    for name, value in details.items():
        if value and not getattr(person, name):
            setattr(person, name, value)


def _closed_message(event: Event, now: datetime) -> str:
    if event.registration_status(now) == "not_yet_open" and event.registration_opens_at:
        opens = event.registration_opens_at.astimezone(event.tz).strftime("%B %-d, %Y")
        return f"Registration for {event.name} opens on {opens}."
    return f"Registration for {event.name} is closed."
