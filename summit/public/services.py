"""What the public pages show: open events, and one event with its seats left.

Reads only: registering is ``summit.registration.services``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit.extensions import db
from summit.loaders import event_or_404
from summit.models import AgendaSession, Event, SessionTopic
from summit.registration.services import seats_left


def open_events(today: date) -> list[Event]:
    """Published events that have not ended, soonest first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.is_published.is_(True), Event.ends_on >= today)
            .order_by(Event.starts_on)
        )
    )


@dataclass(frozen=True)
class EventPage:
    event: Event
    seats_left: int | None
    tier_seats: dict[int, int | None]


def event_page(slug: str) -> EventPage:
    """A published event with its tiers, curriculum and agenda loaded, and seats left
    overall and per tier; 404 for an unknown or unpublished slug."""
    event = event_or_404(
        slug,
        published=True,
        options=(
            selectinload(Event.tiers),
            selectinload(Event.curriculum),
            selectinload(Event.sessions)
            .selectinload(AgendaSession.topics)
            .selectinload(SessionTopic.topic),
        ),
    )
    return EventPage(
        event=event,
        seats_left=seats_left(event),
        tier_seats={tier.id: seats_left(event, tier) for tier in event.tiers},
    )
