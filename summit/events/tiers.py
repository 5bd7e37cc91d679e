"""An event's tiers: create, edit, reorder, delete (only while nobody registered in one).

The event row is locked for every change, as registration locks it, so a capacity
is never lowered under a seat being taken at that moment.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import func, select

from summit import audit
from summit.events.errors import Conflict, EventSetupError
from summit.events.services import SLUG_PATTERN, SLUG_RULE, Actor
from summit.extensions import db
from summit.models import Event, Registration, RegistrationState, Tier
from summit.registration.services import seats_taken
from summit.transactions import lock_row, write_transaction

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class TierDetails:
    """Everything the tier form sets; the price in cents."""

    name: str
    slug: str
    price_cents: int
    capacity: int | None
    requires_approval: bool
    eligibility: str
    is_open: bool


def create_tier(event_id: int, details: TierDetails, *, actor: Actor) -> Tier:
    """A new tier, placed last."""
    _check(details)
    with write_transaction():
        event = lock_row(Event, event_id)
        _refuse_slug_in_use(event, details.slug)
        position = max((tier.position for tier in event.tiers), default=0) + 1
        tier = Tier(event=event, position=position, **asdict(details))
        db.session.add(tier)
        db.session.flush()
        audit.record("tier.create", tier, after=asdict(details), actor=actor)
    return tier


def update_tier(tier: Tier, details: TierDetails, *, actor: Actor) -> Tier:
    """Change a tier; its capacity never drops below the seats its people hold."""
    _check(details)
    with write_transaction():
        event = lock_row(Event, tier.event_id)
        tier = _tier_of(event, tier.id)
        _refuse_slug_in_use(event, details.slug, other_than=tier)
        _check_price_change(tier, details.price_cents)
        taken = seats_taken(event, tier)
        if details.capacity is not None and details.capacity < taken:
            raise Conflict(
                f"{taken} seats in this tier are already taken; the capacity cannot be lower.",
                field="capacity",
            )
        before = _values(tier)
        for name, value in asdict(details).items():
            setattr(tier, name, value)
        if _values(tier) != before:
            audit.record("tier.update", tier, before=before, after=_values(tier), actor=actor)
    return tier


def move_tier(tier: Tier, direction: Direction, *, actor: Actor) -> None:
    """Swap the tier with its neighbour; positions become 1…n (the public page's order)."""
    with write_transaction():
        event = lock_row(Event, tier.event_id)
        tiers = sorted(event.tiers, key=lambda t: (t.position, t.id))
        index = next(i for i, t in enumerate(tiers) if t.id == tier.id)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(tiers):
            return  # already first or last: nothing to do
        tiers[index], tiers[other] = tiers[other], tiers[index]
        for position, each in enumerate(tiers, start=1):
            each.position = position
        moved = tiers[other]
        audit.record("tier.move", moved, after={"position": moved.position}, actor=actor)


def delete_tier(tier: Tier, *, actor: Actor) -> None:
    """Delete a tier nobody registered in; one with registrations is closed instead."""
    with write_transaction():
        event = lock_row(Event, tier.event_id)
        tier = _tier_of(event, tier.id)
        count = db.session.scalar(select(func.count()).where(Registration.tier_id == tier.id))
        if count:
            people = "registration" if count == 1 else "registrations"
            raise Conflict(
                f"{tier.name} has {count} {people} (cancelled ones count: their history "
                "points to it). Close the tier instead so nobody new can choose it."
            )
        audit.record("tier.delete", tier, before=_values(tier), actor=actor)
        db.session.delete(tier)


def _check_price_change(tier: Tier, price_cents: int) -> None:
    """What people owe follows their tier's price, so a tier people are in keeps its price:
    a new price would change their bills (or leave a confirmed free seat unpaid)."""
    if price_cents == tier.price_cents:
        return
    active = db.session.scalar(
        select(func.count()).where(
            Registration.tier_id == tier.id, Registration.state != RegistrationState.CANCELLED
        )
    )
    if active:
        people = "person is" if active == 1 else "people are"
        raise Conflict(
            f"{active} {people} registered at {tier.price_label}: what they owe follows this "
            "price. Close this tier and add one at the new price instead.",
            field="price",
        )


def _check(details: TierDetails) -> None:
    if not SLUG_PATTERN.match(details.slug):
        raise EventSetupError(SLUG_RULE.replace("s5-2028", "sro"), field="slug")
    if details.price_cents < 0:
        raise EventSetupError("A price cannot be negative.", field="price")
    if details.capacity is not None and details.capacity < 0:
        raise EventSetupError("A capacity cannot be negative.", field="capacity")


def _refuse_slug_in_use(event: Event, slug: str, *, other_than: Tier | None = None) -> None:
    for tier in event.tiers:
        if tier.slug == slug and tier is not other_than:
            raise Conflict(
                f"The tier “{tier.name}” already uses “{slug}” in this event's links.",
                field="slug",
            )


def _tier_of(event: Event, tier_id: int) -> Tier:
    return next(tier for tier in event.tiers if tier.id == tier_id)


def _values(tier: Tier) -> dict[str, Any]:
    return {name: getattr(tier, name) for name in TierDetails.__dataclass_fields__}
