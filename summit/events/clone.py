"""Next year's summit from this year's: the set-up copied, nobody's records.

Copied: settings, tiers, the per-subject minutes, the agenda with what each session
teaches, the event's own email texts, the certificate's signer, signature and logo.
Moved 52 weeks on (364 days), so a Tuesday stays a Tuesday and 8:30 stays 8:30 in
the event's time zone.
Never copied: people, registrations, payments, scans, certificates, the audit log.
The clone starts unpublished.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from summit import audit, storage
from summit.certificates import branding
from summit.events.errors import EventSetupError
from summit.events.services import (
    SLUG_PATTERN,
    SLUG_RULE,
    Actor,
    flush_new_address,
    refuse_slug_in_use,
    snapshot,
)
from summit.extensions import db
from summit.models import (
    AgendaSession,
    EmailText,
    Event,
    Room,
    SessionTopic,
    Tier,
    TopicRequirement,
)
from summit.transactions import write_transaction

SHIFT = timedelta(weeks=52)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
SETTINGS = (
    "description", "timezone", "venue_name", "venue_address", "capacity", "curriculum_id",
    "default_required_minutes", "credit_mode", "checkin_grace_minutes",
    "certificate_signer_name", "certificate_signer_title", "contact_email",
    "confirm_on_purchase_order",
)  # fmt: skip
TIER_FIELDS = (
    "slug", "name", "price_cents", "currency", "eligibility", "capacity",
    "requires_approval", "is_open", "position",
)  # fmt: skip


def next_year(text: str, fallback_year: int, separator: str = "-") -> str:
    """``s5-2027`` → ``s5-2028``; text without a year gets the next year appended."""
    if _YEAR.search(text):
        return _YEAR.sub(lambda match: str(int(match.group(1)) + 1), text)
    return f"{text}{separator}{fallback_year}" if text else str(fallback_year)


def suggested_names(event: Event) -> tuple[str, str]:
    """The clone's address and title the form suggests: every year moved on by one."""
    year = (event.starts_on + SHIFT).year
    return next_year(event.slug, year), next_year(event.name, year, " ")


def clone_event(source_id: int, *, slug: str, name: str, actor: Actor) -> Event:
    """Copy the event's set-up 52 weeks on under a new address; unpublished."""
    if not SLUG_PATTERN.match(slug):
        raise EventSetupError(SLUG_RULE, field="slug")
    with write_transaction():
        source = db.session.get(Event, source_id)
        if source is None:
            raise EventSetupError("That event no longer exists.")
        refuse_slug_in_use(slug)
        clone = _copy_settings(source, slug=slug, name=name)
        clone.tiers = [_copy_tier(tier) for tier in source.tiers]
        clone.requirements = [
            TopicRequirement(topic_id=r.topic_id, required_minutes=r.required_minutes)
            for r in source.requirements
        ]
        clone.sessions = [_copy_session(session, source.tz) for session in source.sessions]
        clone.rooms = [Room(name=room.name, capacity=room.capacity) for room in source.rooms]
        clone.email_texts = [
            EmailText(kind=text.kind, subject=text.subject, body=text.body)
            for text in source.email_texts
        ]
        db.session.add(clone)
        flush_new_address(slug)
        audit.record(
            "event.clone",
            clone,
            after={"cloned_from": source.slug, **snapshot(clone)},
            actor=actor,
            event_id=clone.id,
        )
    return clone


def _copy_settings(source: Event, *, slug: str, name: str) -> Event:
    clone = Event(
        slug=slug,
        name=name,
        starts_on=_day(source.starts_on),
        ends_on=_day(source.ends_on),
        registration_opens_at=_moment(source.registration_opens_at, source.tz),
        registration_closes_at=_moment(source.registration_closes_at, source.tz),
        is_published=False,
        **{field: getattr(source, field) for field in SETTINGS},
    )
    clone.signature_path = _copy_image(source.signature_path, slug, "signature")
    clone.logo_path = _copy_image(source.logo_path, slug, "logo")
    return clone


def _copy_tier(tier: Tier) -> Tier:
    return Tier(**{field: getattr(tier, field) for field in TIER_FIELDS})


def _copy_session(session: AgendaSession, tz: ZoneInfo) -> AgendaSession:
    copy = AgendaSession(
        title=session.title,
        description=session.description,
        room=session.room,
        speakers=session.speakers,
        starts_at=_moment(session.starts_at, tz),
        ends_at=_moment(session.ends_at, tz),
    )
    copy.topics = [SessionTopic(topic_id=t.topic_id, minutes=t.minutes) for t in session.topics]
    return copy


def _day(day: date) -> date:
    return day + SHIFT


def _moment(moment: datetime | None, tz: ZoneInfo) -> datetime | None:
    """The same wall-clock time 52 weeks on in the event's zone (daylight saving may differ)."""
    if moment is None:
        return None
    return (moment.astimezone(tz) + SHIFT).astimezone(UTC)


def _copy_image(relative: str, slug: str, kind: str) -> str:
    """The clone gets its own copy, so replacing either year's image leaves the other's."""
    if not relative or not storage.exists(relative):
        return ""
    try:
        image = branding.check_image(storage.read(relative))
    except branding.UploadRefused:
        return ""
    return branding.store_image(slug, kind, image)
