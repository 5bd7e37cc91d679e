"""The state machines as types: each state's stored value, its words, its badge, its facts.

Every state a row can be in is a member of one ``StrEnum`` here. The value is the
string stored in the database and sent by the API, so stored data, JSON and
``state == "confirmed"`` keep working; code asks a member's facts (``holds_seat``,
``has_ticket``) instead of listing states, and pages and emails read its
``label`` and ``badge`` (a Bootstrap class) from here instead of keeping their own
tables. The models load these columns as members (``StateType``); the templates
reach the enums as Jinja globals (``summit.templating``).

The transitions between registration states stay in
``summit.registration.services`` (``TRANSITIONS``), the one function that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self


class StateEnum(StrEnum):
    """A state whose members are written ``NAME = Facts("value", label=…, …)``.

    The facts' ``value`` is the stored string; every other field becomes an
    attribute of the member, so a template reads ``registration.state.label``
    and code asks ``state.holds_seat``.
    """

    def __new__(cls, facts: Any) -> Self:
        member = str.__new__(cls, facts.value)
        member._value_ = facts.value
        member.__dict__.update({k: v for k, v in vars(facts).items() if k != "value"})
        return member

    @classmethod
    def find(cls, value: object) -> Self | None:
        """The member stored as ``value``, or None for anything else (never raises)."""
        return cls._value2member_map_.get(value) if isinstance(value, str) else None

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The stored strings, in declaration order (for CHECK constraints and schemas)."""
        return tuple(member.value for member in cls)

    @classmethod
    def sql_list(cls, members: tuple[StateEnum, ...] | None = None) -> str:
        """``'a', 'b'``: the values quoted for a CHECK constraint or an index condition."""
        return ", ".join(f"'{member.value}'" for member in (members or tuple(cls)))


# --- registration ------------------------------------------------------------------


@dataclass(frozen=True)
class _Registration:
    value: str
    label: str  # what staff read: lists, history, the check-in desk
    badge: str
    phrase: str  # inside a sentence to the attendee: "Your registration is …"
    attendee_label: str = ""  # the portal's words, when they differ from ``label``
    holds_seat: bool = False  # counts against event and tier capacity
    has_ticket: bool = False  # a QR ticket that lets the person in
    is_active: bool = True  # the person's one live registration for the event
    no_ticket_reason: str = ""  # the portal, where the QR would be
    checkin_refusal: str = ""  # the door, after "Not confirmed: "


class RegistrationState(StateEnum):
    """Where a registration stands: ``PRODUCT.md`` names these six."""

    label: str
    badge: str
    phrase: str
    attendee_label: str
    holds_seat: bool
    has_ticket: bool
    is_active: bool
    no_ticket_reason: str
    checkin_refusal: str

    PENDING_APPROVAL = _Registration(
        "pending_approval",
        label="Waiting for approval",
        badge="text-bg-info",
        phrase="waiting for staff approval",
        holds_seat=True,
        no_ticket_reason="ESD 105 staff review registrations of this type. "
        "Your ticket appears here once it is approved.",
        checkin_refusal="waiting for staff approval",
    )
    AWAITING_PAYMENT = _Registration(
        "awaiting_payment",
        label="Awaiting payment",
        badge="text-bg-warning",
        phrase="waiting for payment",
        holds_seat=True,
        no_ticket_reason="Your ticket appears here once the payment has been received.",
        checkin_refusal="awaiting payment",
    )
    CONFIRMED = _Registration(
        "confirmed",
        label="Confirmed",
        badge="text-bg-success",
        phrase="confirmed",
        holds_seat=True,
        has_ticket=True,
    )
    WAITLISTED = _Registration(
        "waitlisted",
        label="On the waitlist",
        badge="text-bg-secondary",
        phrase="on the waitlist",
        no_ticket_reason="You are on the waitlist. "
        "If a seat frees up we email you and hold it for you.",
        checkin_refusal="on the waitlist",
    )
    OFFERED = _Registration(
        "offered",
        label="Offered a seat",
        attendee_label="A seat is offered to you",
        badge="text-bg-primary",
        phrase="offered a seat",
        holds_seat=True,
        no_ticket_reason="Accept the offered seat to get your ticket.",
        checkin_refusal="waitlist offer not accepted yet",
    )
    CANCELLED = _Registration(
        "cancelled",
        label="Cancelled",
        badge="text-bg-dark",
        phrase="cancelled",
        is_active=False,
        no_ticket_reason="This registration is cancelled, so it has no ticket.",
    )

    def __init__(self, *args: Any) -> None:
        self.attendee_label = self.attendee_label or self.label

    @property
    def door_badge(self) -> str:
        """The check-in desk's badge: green only for a ticket that lets the person in."""
        return "text-bg-success" if self.has_ticket else "text-bg-secondary"


# --- check-in ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Checkin:
    value: str
    label: str  # the answer to staff, when nothing more specific is known
    tone: str  # green, amber or red: the colour of the answer at the door
    reason: str = ""  # why a scan was refused, inside a sentence


class CheckinResult(StateEnum):
    """The answer to one scan, stored with it (``Checkin.status``), failures included."""

    label: str
    tone: str
    reason: str

    OK = _Checkin("ok", label="Checked in", tone="success")
    ALREADY_CHECKED_IN = _Checkin("already_checked_in", label="Already checked in", tone="warning")
    UNKNOWN_CODE = _Checkin(
        "unknown_code", label="Unknown code", tone="danger", reason="unknown code"
    )
    CANCELLED = _Checkin(
        "cancelled", label="Registration cancelled", tone="danger", reason="registration cancelled"
    )
    NOT_CONFIRMED = _Checkin("not_confirmed", label="Not confirmed", tone="danger")
    WRONG_EVENT = _Checkin(
        "wrong_event",
        label="Ticket for another event",
        tone="danger",
        reason="ticket for another event",
    )
    SESSION_CLOSED = _Checkin(
        "session_closed", label="Session closed", tone="danger", reason="session closed"
    )

    @property
    def badge(self) -> str:
        return f"text-bg-{self.tone}"

    @property
    def admits(self) -> bool:
        """The person is in (now or from an earlier scan)."""
        return self in (CheckinResult.OK, CheckinResult.ALREADY_CHECKED_IN)


# --- certificates ------------------------------------------------------------------


@dataclass(frozen=True)
class _Certificate:
    value: str
    label: str
    badge: str
    is_valid: bool = False  # what verification calls valid; what the holder may download
    is_issued: bool = False  # printed and stored: verification and staff see it
    is_revoked: bool = False  # ``revoked_at`` and ``revoked_reason`` say when and why


class CertificateStatus(StateEnum):
    """One version of a certificate, from its reservation to its revocation.

    ``pending`` is a reserved row whose PDF is not stored yet (an issue in
    progress, or one that crashed and the next issue reuses): nobody sees it.
    A re-issue makes the previous version ``superseded``; staff make one ``revoked``.
    """

    label: str
    badge: str
    is_valid: bool
    is_issued: bool
    is_revoked: bool

    PENDING = _Certificate("pending", label="Pending issue", badge="text-bg-light")
    ISSUED = _Certificate(
        "issued", label="Valid", badge="text-bg-success", is_valid=True, is_issued=True
    )
    REVOKED = _Certificate(
        "revoked", label="Revoked", badge="text-bg-danger", is_issued=True, is_revoked=True
    )
    SUPERSEDED = _Certificate(
        "superseded", label="Superseded", badge="text-bg-secondary", is_issued=True, is_revoked=True
    )


# --- self-training -----------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    value: str
    label: str
    badge: str
    counts: bool = False  # counts toward the training record
    awaits_review: bool = False  # staff have not decided; the person may still edit it


class TrainingEntryStatus(StateEnum):
    """A self-training entry's review by ESD staff."""

    label: str
    badge: str
    counts: bool
    awaits_review: bool

    SUBMITTED = _Entry(
        "submitted", label="Waiting for review", badge="text-bg-secondary", awaits_review=True
    )
    ACCEPTED = _Entry("accepted", label="Accepted", badge="text-bg-success", counts=True)
    RETURNED = _Entry("returned", label="Returned", badge="text-bg-danger")


STATE_ENUMS: tuple[type[StateEnum], ...] = (
    RegistrationState,
    CheckinResult,
    CertificateStatus,
    TrainingEntryStatus,
)
