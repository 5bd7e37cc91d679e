"""The demo event: next June's S5 Summit in Yakima, with both tiers and a full agenda."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from summit import audit
from summit.curricula import STATUTE_CODE, ensure_curricula
from summit.extensions import db
from summit.models import AgendaSession, Curriculum, Event, SessionTopic, Tier, utcnow
from summit.training.resources import seed_training_resources

PACIFIC = ZoneInfo("America/Los_Angeles")
SESSION_MINUTES = 60
# Start times of the topic sessions each day; lunch and breaks sit between them.
DAY_SLOTS = (
    time(8, 30), time(9, 40), time(10, 50), time(13, 0), time(14, 10), time(15, 20), time(16, 30)
)  # fmt: skip


def next_june(today: date) -> date:
    """The third Tuesday of the next June that has not started yet."""
    year = today.year if today < date(today.year, 6, 1) else today.year + 1
    first = date(year, 6, 1)
    first_tuesday = first + timedelta(days=(1 - first.weekday()) % 7)
    return first_tuesday + timedelta(weeks=2)


def seed_demo(today: date | None = None) -> Event:
    """Create the demo event if it is not there yet; returns it either way."""
    curricula = ensure_curricula()
    seed_training_resources()
    starts_on = next_june(today or utcnow().date())
    existing = existing_summit(starts_on)
    if existing is not None:
        return existing
    event = summit_event(
        starts_on,
        curricula[STATUTE_CODE],
        description=(
            "School Safety Staff State Summit: the training Washington law requires of "
            "school resource officers and school safety and security staff, every topic "
            "in one event, with networking and threat-assessment sessions."
        ),
        registration_opens_at=utcnow() - timedelta(days=1),
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        "event.create", event, after={"slug": event.slug}, actor="seed-demo", event_id=event.id
    )
    db.session.commit()
    return event


def existing_summit(starts_on: date) -> Event | None:
    """The demo summit of that year, when an earlier run made it (the demo never duplicates)."""
    return db.session.scalar(select(Event).where(Event.slug == f"s5-{starts_on.year}"))


def summit_event(
    starts_on: date, curriculum: Curriculum, *, description: str, registration_opens_at: datetime
) -> Event:
    """A demo summit in Yakima: both tiers and an hour per subject, not yet added."""
    days = -(-len(curriculum.items) // len(DAY_SLOTS))
    event = Event(
        slug=f"s5-{starts_on.year}",
        name=f"S5 Summit {starts_on.year}",
        description=description,
        starts_on=starts_on,
        ends_on=starts_on + timedelta(days=days - 1),
        venue_name="Yakima Convention Center",
        venue_address="10 N 8th St, Yakima, WA 98901",
        registration_opens_at=registration_opens_at,
        registration_closes_at=_at(starts_on - timedelta(days=7), time(23, 59)),
        capacity=250,
        curriculum=curriculum,
        default_required_minutes=SESSION_MINUTES,
    )
    event.tiers = [
        Tier(
            slug="sro",
            name="SRO (commissioned law enforcement officer)",
            price_cents=0,
            eligibility="Commissioned law enforcement officers assigned to, or preparing "
            "to serve in, Washington schools.",
            position=1,
        ),
        Tier(
            slug="security",
            name="Security and other school safety staff",
            price_cents=5000,
            eligibility="School security officers and other school safety and security "
            "staff (RCW 28A.310.515).",
            position=2,
        ),
    ]
    event.sessions = _agenda(curriculum, starts_on)
    return event


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=PACIFIC).astimezone(UTC)


def _agenda(curriculum: Curriculum, first_day: date) -> list[AgendaSession]:
    """One hour per subject, titled as ESD 105's unit, spread over the days, plus the
    untaught essentials; threat assessment takes the last day's first free slot."""
    sessions: list[AgendaSession] = []
    items = list(curriculum.items)
    day_index, free_slots, day = 0, list(DAY_SLOTS), first_day
    while items:
        day = first_day + timedelta(days=day_index)
        sessions.append(_plain("Check-in and breakfast", "Lobby", day, time(7, 30), time(8, 30)))
        free_slots = list(DAY_SLOTS)
        while items and free_slots:
            slot, item = free_slots.pop(0), items.pop(0)
            start = _at(day, slot)
            session = AgendaSession(
                title=item.title,
                room="Ballroom A",
                starts_at=start,
                ends_at=start + timedelta(minutes=SESSION_MINUTES),
            )
            session.topics.append(SessionTopic(topic=item.topic, minutes=SESSION_MINUTES))
            sessions.append(session)
        sessions.append(_plain("Lunch and networking", "Hall B", day, time(12, 0), time(13, 0)))
        day_index += 1
    start = free_slots[0] if free_slots else time(17, 40)
    end = (datetime.combine(day, start) + timedelta(minutes=SESSION_MINUTES)).time()
    threat = _plain("Behavioral threat assessment in schools", "Ballroom A", day, start, end)
    sessions.append(threat)
    return sessions


def _plain(title: str, room: str, day: date, start: time, end: time) -> AgendaSession:
    return AgendaSession(title=title, room=room, starts_at=_at(day, start), ends_at=_at(day, end))


# ESD 105's own details, so the demo's invoices and emails read like the real ones.
DEMO_SETTINGS = {
    "ORGANISATION_ADDRESS": "33 South 2nd Avenue, Yakima, WA 98902",
    "ORGANISATION_PHONE": "509-575-2885",
    "INVOICE_DUE_DAYS": 30,
    "INVOICE_PAYEE": "ESD 105",
    "INVOICE_REMIT_TO": "ESD 105, Attn: SSOCC, 33 South 2nd Avenue, Yakima, WA 98902",
}


def use_demo_settings(config: dict) -> None:
    """Fill in the demo's organisation details and payment terms where the install has none."""
    for key, value in DEMO_SETTINGS.items():
        if config.get(key) in (None, ""):
            config[key] = value
