"""What the API reads and writes: request validation and JSON shapes, by hand.

Validation is small and explicit so that every bad body is a 400/422 with a
message, never a 500, and so that a scan costs no schema compilation.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from summit.checkin.services import NONCE_PATTERN, ScanResult
from summit.models import AgendaSession, Checkin, Event, Registration

MAX_CODE = 1000  # longer than any ticket: stored (cut to 80) and answered unknown_code
MAX_INT = 2**31 - 1
CHECKIN_FIELDS = {"code", "session_id", "nonce", "scanned_at", "direction"}


class Invalid(ValueError):
    """The body does not match the schema; ``fields`` says what is wrong where."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in fields.items()))
        self.fields = fields


def parse_datetime(raw: Any, name: str) -> datetime:
    if not isinstance(raw, str) or len(raw) > 40:
        raise Invalid({name: "must be an ISO 8601 date-time with a time zone"})
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise Invalid({name: "must be an ISO 8601 date-time with a time zone"}) from None
    if value.tzinfo is None:
        raise Invalid({name: "needs a time zone, e.g. 2027-06-15T07:42:00Z"})
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise Invalid({name: "is out of range"}) from None


def checkin_request(body: Any) -> dict[str, Any]:
    """The fields of ``POST …/checkins``, checked; raises :class:`Invalid`."""
    if not isinstance(body, dict):
        raise Invalid({"body": "must be a JSON object"})
    problems: dict[str, str] = {}
    for name in sorted(set(body) - CHECKIN_FIELDS):
        problems[str(name)[:40]] = "is not a known field"
    code = body.get("code")
    if not isinstance(code, str):
        problems["code"] = "is required and must be a string"
    elif len(code) > MAX_CODE:
        problems["code"] = f"must be at most {MAX_CODE} characters"
    session_id = body.get("session_id")
    if isinstance(session_id, float) and session_id.is_integer() and abs(session_id) < 2**53:
        session_id = int(session_id)  # JSON Schema: 450.0 is an integer
    if session_id is not None and (
        isinstance(session_id, bool) or not isinstance(session_id, int)
        or not 1 <= session_id <= MAX_INT
    ):  # fmt: skip
        problems["session_id"] = "must be a session id (a positive integer) or null"
    nonce = body.get("nonce")
    if nonce is not None and (not isinstance(nonce, str) or not NONCE_PATTERN.fullmatch(nonce)):
        problems["nonce"] = "must be 1 to 64 characters: letters, digits, '.', '_', '~', '-'"
    direction = body.get("direction", "in")
    if direction not in ("in", "out"):
        problems["direction"] = "must be 'in' or 'out'"
    elif direction == "out" and session_id is None:
        problems["direction"] = "check-out needs a session_id"
    scanned_at = body.get("scanned_at")
    if scanned_at is not None:
        try:
            scanned_at = parse_datetime(scanned_at, "scanned_at")
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(problems)
    return {"code": code, "session_id": session_id, "nonce": nonce, "scanned_at": scanned_at,
            "direction": direction}  # fmt: skip


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def checkin_json(row: Checkin) -> dict[str, Any]:
    return {
        "nonce": row.nonce,
        "session_id": row.session_id,
        "direction": row.direction,
        "scanned_at": iso(row.scanned_at),
        "source": row.source,
        "is_replay": row.is_replay,
    }


def registration_json(registration: Registration, checkins: list[Checkin]) -> dict[str, Any]:
    person = registration.person
    return {
        "ticket_code": registration.ticket_code,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "name": person.full_name,
        "email": person.email,
        "agency": person.agency,
        "tier": {"slug": registration.tier.slug, "name": registration.tier.name},
        "state": registration.state,
        "updated_at": iso(registration.updated_at),
        "checkins": [checkin_json(row) for row in checkins],
    }


def scan_json(result: ScanResult, message: str, checkins: list[Checkin]) -> dict[str, Any]:
    registration = result.registration
    return {
        "status": result.status,
        "message": message,
        "reason": result.reason or None,
        "registration": registration_json(registration, checkins) if registration else None,
        "checked_in_at": iso(result.checked_in_at),
        "checked_in_by": (
            result.first.staff_user.display_name
            if result.first is not None and result.first.staff_user is not None
            else None
        ),
        "nonce": result.checkin.nonce,
        "session_id": result.checkin.session_id,
        "direction": result.checkin.direction,
        "scanned_at": iso(result.checkin.scanned_at),
        "is_replay": result.checkin.is_replay,
        "replayed": result.replayed,
    }


def session_json(session: AgendaSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "title": session.title,
        "room": session.room,
        "starts_at": iso(session.starts_at),
        "ends_at": iso(session.ends_at),
        "closed": session.closed_at is not None,
        "topics": [
            {"code": taught.topic.code, "title": taught.topic.title, "minutes": taught.minutes}
            for taught in session.topics
        ],
    }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "name": event.name,
        "starts_on": event.starts_on.isoformat(),
        "ends_on": event.ends_on.isoformat(),
        "timezone": event.timezone,
        "credit_mode": event.credit_mode,
    }
