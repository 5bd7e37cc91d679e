"""The API's contract, declared once: what ``/api/v1`` reads and what it answers.

Each marshmallow schema here is used three ways: flask-smorest validates a request
with it (a 422 naming the field, never a 500), dumps an answer through it, and
writes the OpenAPI document at ``/api/v1/openapi.json`` from it. So the document
cannot drift from what the views accept and return, and schemathesis
(``tests/test_api_schemathesis.py``) checks the running API against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from summit import models
from summit.checkin.services import DIRECTIONS, NONCE_PATTERN, NONCE_RULE, ScanResult
from summit.models import CHECKIN_STATUSES, CREDIT_MODES, REGISTRATION_STATES

MAX_CODE = 1000  # longer than any ticket: stored (cut to 80) and answered unknown_code
MAX_ID = 2**31 - 1  # what an integer column holds
MAX_PAGE = 500
NONCE_PROBLEM = f"must be {NONCE_RULE}"
NONCE_SCHEMA_PATTERN = f"^{NONCE_PATTERN.pattern}$"  # JSON Schema patterns match anywhere


def iso(value: datetime | None) -> str | None:
    """A timestamp as the API writes it: UTC with a ``Z``."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


# The first and last days every time zone can reach from UTC without leaving the calendar.
CALENDAR_START = datetime(1, 1, 2, tzinfo=UTC)
CALENDAR_END = datetime(9999, 12, 30, tzinfo=UTC)


class Timestamp(fields.DateTime):
    """An ISO 8601 date-time that names its time zone, read as UTC, written with ``Z``.

    A scanner queues scans offline and replays them later, so a time without a
    zone would be read in the server's zone and land hours off: it is refused.
    """

    default_error_messages = {
        "invalid": "must be an ISO 8601 date-time with a time zone",
        "naive": "needs a time zone, e.g. 2027-06-15T07:42:00Z",
    }

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None
        if parsed.tzinfo is None:
            raise self.make_error("naive")
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            # Only at the calendar's ends (0001-01-01T00:00+01:00 is before year 1 in UTC).
            # The document calls it a valid date-time, so it is not refused: it is held at
            # the edge, where a clock that wrong lands anyway (a replay, or "now").
            return CALENDAR_START if parsed.year == 1 else CALENDAR_END

    def _serialize(self, value: datetime | None, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return iso(value)


class WholeNumber(fields.Integer):
    """An integer as JSON Schema counts one: ``450`` and ``450.0``, never ``true`` or ``4.5``.

    In a body a string is not a number (``"450"`` is refused); in a query string
    (``text=True``) every value is text, and only plain ASCII digits count, so a
    value of thousands of digits is refused before ``int()`` is asked to read it.
    """

    def __init__(
        self, *, low: int, high: int, text: bool = False, problem: str = "", **kwargs: Any
    ) -> None:
        self.text = text
        problem = problem or f"must be a whole number from {low} to {high}"
        super().__init__(
            validate=validate.Range(low, high, error=problem),
            error_messages={"invalid": problem},
            **kwargs,
        )

    def _validated(self, value: Any) -> int:
        if self.text:
            digits = isinstance(value, str) and value.isascii() and value.isdigit()
            if not digits or len(value) > 12:
                raise self.make_error("invalid")
            return int(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class IsSet(fields.Boolean):
    """True when the attribute holds a value: a session is closed once it has ``closed_at``."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> bool:
        return value is not None


class BlankIsNull(fields.String):
    """Text that is written as null when empty (a scan's ``reason`` when nothing was refused)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return super()._serialize(value or None, attr, obj, **kwargs)


class Whole(validate.Regexp):
    """A pattern the whole value must match (marshmallow's ``Regexp`` matches a prefix)."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Strict(Schema):
    """A request schema: an unknown field is an error, not something silently dropped."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "is not a known field", "type": "must be a JSON object"}


# ------------------------------------------------------------------ requests


class CheckinRequest(Strict):
    """One scan: event entry, or attendance of a session."""

    code = fields.String(
        required=True,
        validate=validate.Length(max=MAX_CODE, error=f"must be at most {MAX_CODE} characters"),
        error_messages={
            "required": "is required and must be a string",
            "null": "is required and must be a string",
            "invalid": "is required and must be a string",
        },
        metadata={
            "description": "The scanned ticket code. Spaces and dashes are ignored, case too. "
            "Anything that is not a ticket of this event is answered and recorded as a "
            "failed scan."
        },
    )
    session_id = WholeNumber(
        low=1,
        high=MAX_ID,
        problem="must be a session id (a positive integer) or null",
        allow_none=True,
        metadata={
            "description": "Attend this session (also records event entry if missing); "
            "null for event entry."
        },
    )
    nonce = fields.String(
        allow_none=True,
        validate=Whole(NONCE_SCHEMA_PATTERN, error=NONCE_PROBLEM),
        error_messages={"invalid": NONCE_PROBLEM},
        metadata={
            "description": "Client-made id of this scan, unique per token: sending the same "
            "scan again returns the first answer and records nothing new; a different scan "
            "(ticket code, session or direction) with it is refused with 409."
        },
    )
    scanned_at = Timestamp(
        allow_none=True,
        metadata={
            "description": "When the scan happened, for scans queued offline. More than a "
            "minute in the past: recorded as given and flagged as a replay."
        },
    )
    direction = fields.String(
        load_default="in",
        validate=validate.OneOf(DIRECTIONS, error="must be 'in' or 'out'"),
        error_messages={"invalid": "must be 'in' or 'out'", "null": "must be 'in' or 'out'"},
        metadata={
            "description": "`out` records a check-out from the session (needs session_id).",
        },
    )

    @validates_schema
    def _check_out_names_a_session(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Check-out is per session; the document says so in ``OPENAPI_RULES`` below."""
        if data.get("direction") == "out" and data.get("session_id") is None:
            raise ValidationError("check-out needs a session_id", "direction")


class RegistrationQuery(Strict):
    """The filters and cursor of ``GET /events/<slug>/registrations``."""

    error_messages = {"unknown": "is not a known parameter"}

    q = fields.String(
        load_default="",
        validate=validate.Length(max=200, error="must be at most 200 characters"),
        metadata={"description": "Words of the name, email or agency."},
    )
    updated_since = Timestamp(
        metadata={"description": "Only registrations changed or checked in since then."},
    )
    after = WholeNumber(
        low=0,
        high=MAX_ID,
        text=True,
        load_default=0,
        metadata={"description": "Cursor from `next`."},
    )
    limit = WholeNumber(low=1, high=MAX_PAGE, text=True, load_default=100)


# What JSON Schema can say about a request that a field alone cannot: added to the
# generated document (summit/api/document.py) next to the validator that enforces it.
OPENAPI_RULES: dict[str, dict[str, Any]] = {
    "CheckinRequest": {
        "if": {"required": ["direction"], "properties": {"direction": {"const": "out"}}},
        "then": {"required": ["session_id"], "properties": {"session_id": {"type": "integer"}}},
    },
}


# ------------------------------------------------------------------ answers


@dataclass(frozen=True)
class Holder:
    """A registration with its successful check-ins: enough for an app to decide offline."""

    registration: models.Registration
    checkins: Sequence[models.Checkin]


@dataclass(frozen=True)
class ScanAnswer:
    """One scan as the API answers it: the service's result, the words for staff, the holder."""

    result: ScanResult
    message: str
    registration: Holder | None


class ErrorBody(Schema):
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    problems = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        attribute="fields",
        data_key="fields",
        metadata={"description": "What is wrong where: field or parameter name to problem."},
    )


class Error(Schema):
    """Every error of the API, 400 to 409 and 422 alike."""

    error = fields.Nested(ErrorBody, required=True)


class Event(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    timezone = fields.String(required=True)
    credit_mode = fields.String(required=True, validate=validate.OneOf(CREDIT_MODES))


class EventList(Schema):
    items = fields.List(fields.Nested(Event), required=True)


class CheckinRecord(Schema):
    class Meta:
        description = (
            "A successful, not annulled check-in: event entry (session_id null) "
            "or attendance of one session."
        )

    nonce = fields.String(required=True, allow_none=True)
    session_id = fields.Integer(required=True, allow_none=True)
    direction = fields.String(required=True, validate=validate.OneOf(DIRECTIONS))
    scanned_at = Timestamp(required=True)
    source = fields.String(required=True)
    is_replay = fields.Boolean(required=True)


class Tier(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)


class Registration(Schema):
    class Meta:
        description = (
            "Enough for a scanner app to decide offline: only `confirmed` may enter; "
            "`checkins` says who is already in where."
        )

    ticket_code = fields.String(required=True, attribute="registration.ticket_code")
    first_name = fields.String(attribute="registration.person.first_name")
    last_name = fields.String(attribute="registration.person.last_name")
    name = fields.String(required=True, attribute="registration.person.full_name")
    email = fields.String(attribute="registration.person.email")
    agency = fields.String(required=True, attribute="registration.person.agency")
    tier = fields.Nested(Tier, required=True, attribute="registration.tier")
    state = fields.String(
        required=True, attribute="registration.state", validate=validate.OneOf(REGISTRATION_STATES)
    )
    updated_at = Timestamp(attribute="registration.updated_at")
    checkins = fields.List(fields.Nested(CheckinRecord), required=True)


class RegistrationPage(Schema):
    items = fields.List(fields.Nested(Registration), required=True)
    next = fields.String(
        required=True, allow_none=True, metadata={"description": "The next page, or null."}
    )
    server_time = Timestamp(
        required=True, metadata={"description": "Pass as updated_since on the next sync."}
    )


class CheckinResponse(Schema):
    status = fields.String(
        required=True, attribute="result.status", validate=validate.OneOf(CHECKIN_STATUSES)
    )
    message = fields.String(
        required=True,
        metadata={"description": "What to show staff, e.g. 'Already checked in at 07:42 by Kim'."},
    )
    reason = BlankIsNull(allow_none=True, attribute="result.reason")
    registration = fields.Nested(
        Registration,
        required=True,
        allow_none=True,
        metadata={"description": "Null for unknown codes and tickets of another event."},
    )
    checked_in_at = Timestamp(
        required=True,
        allow_none=True,
        attribute="result.checked_in_at",
        metadata={"description": "The (first) successful check-in this answer is about."},
    )
    checked_in_by = fields.String(
        allow_none=True, dump_default=None, attribute="result.first.staff_user.display_name"
    )
    nonce = fields.String(
        required=True,
        attribute="result.checkin.nonce",
        metadata={"description": "Use it to annul the check-in."},
    )
    session_id = fields.Integer(allow_none=True, attribute="result.checkin.session_id")
    direction = fields.String(
        attribute="result.checkin.direction", validate=validate.OneOf(DIRECTIONS)
    )
    scanned_at = Timestamp(attribute="result.checkin.scanned_at")
    is_replay = fields.Boolean(attribute="result.checkin.is_replay")
    replayed = fields.Boolean(
        attribute="result.replayed",
        metadata={"description": "True when answered from an earlier request with this nonce."},
    )


class Topic(Schema):
    code = fields.String(required=True, attribute="topic.code")
    title = fields.String(required=True, attribute="topic.title")
    minutes = fields.Integer(required=True)


class Session(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    room = fields.String(required=True)
    starts_at = Timestamp(required=True)
    ends_at = Timestamp(required=True)
    closed = IsSet(attribute="closed_at")
    topics = fields.List(fields.Nested(Topic), required=True)


class SessionList(Schema):
    items = fields.List(fields.Nested(Session), required=True)


class Annulment(Schema):
    status = fields.Constant("annulled", required=True, metadata={"enum": ["annulled"]})
    annulled_at = Timestamp(attribute="checkin.annulled_at")
    checkin = fields.Nested(CheckinRecord, required=True)
