"""A registration's history in words: what staff read instead of the audit log's JSON.

The audit log keeps ``before`` and ``after`` as data (the record of truth); this
turns one row into a title ("State changed") and lines such as
``State: Waiting for approval → Awaiting payment``, ``Tier: SRO → Security staff``
or ``Amount: $20.00``. Ids become names (tiers, staff, the scan an undo annulled),
timestamps the event's local time, cents dollars. Every action the code can record
about a registration, its person, payments, invoice, certificates or scans has a
title in ``ACTIONS`` (``tests/admin/test_history.py`` walks the code to be sure).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, or_, select

from summit.config import Defaults
from summit.extensions import db
from summit.models import (
    AuditLog,
    Certificate,
    Checkin,
    CheckinResult,
    Invoice,
    Payment,
    Registration,
    RegistrationState,
    StaffUser,
    Tier,
)
from summit.payments.money import format_cents
from summit.training.services import ROLE_LABELS

ACTIONS = {
    "registration.create": "Registered",
    "registration.state": "State changed",
    "registration.email_resend": "Email sent again",
    "registration.details": "Registration details changed",
    "registration.tier": "Moved to another tier",
    "person.create": "Training record started",
    "person.update": "Contact details changed",
    "person.assignment": "Assignment in schools changed",
    "payment.record": "Payment recorded",
    "payment.checkout_start": "Card payment started",
    "payment.card_refused": "Card payment refused",
    "invoice.issue": "Invoice issued",
    "registration.merge": "Merged with another person",
    "person.merge": "Merged with another person",
    "certificate.issue": "Certificate issued",
    "certificate.reissue": "Certificate issued again",
    "certificate.revoke": "Certificate revoked",
    "certificate.withhold": "Certificate withheld",
    "certificate.release": "Certificate no longer withheld",
    "certificate.branding": "Certificate design changed",
    "checkin.annul": "Check-in undone",
    # Beyond registrations: what the audit log and the control room list.
    "event.create": "Event created",
    "event.update": "Event changed",
    "event.clone": "Event cloned for next year",
    "event.publish": "Event published",
    "event.unpublish": "Event taken off the public site",
    "event.archive": "Event archived",
    "event.restore": "Event restored",
    "event.credit_policy": "Credit policy changed",
    "tier.create": "Tier added",
    "tier.update": "Tier changed",
    "tier.move": "Tier moved in the list",
    "tier.delete": "Tier deleted",
    "room.create": "Room added",
    "room.update": "Room changed",
    "room.delete": "Room deleted",
    "session.create": "Session added",
    "session.update": "Session changed",
    "session.delete": "Session deleted",
    "session.close": "Session closed to scans",
    "session.reopen": "Session reopened to scans",
    "email_text.create": "Email text edited",
    "email_text.update": "Email text edited",
    "email_text.reset": "Email text reset to the standard words",
    "staff.create": "Staff account created",
    "staff.update": "Staff account reset from the command line",
    "staff.invite": "Staff member invited",
    "staff.role": "Staff role changed",
    "staff.disable": "Staff account disabled",
    "staff.enable": "Staff account enabled",
    "staff.reset": "Staff password reset",
    "staff.password_set": "Staff password chosen",
    "staff.password_change": "Staff password changed",
    "staff.totp_enable": "Two-step sign-in turned on",
    "staff.totp_disable": "Two-step sign-in turned off",
    "staff.recovery_code_used": "Recovery code used",
    "staff.sign_in_locked": "Sign-in locked after failures",
    "api_token.create": "Scanner token created",
    "api_token.revoke": "Scanner token revoked",
    "self_training.create": "Self-training logged",
    "self_training.update": "Self-training changed",
    "self_training.delete": "Self-training deleted",
    "self_training.accept": "Self-training accepted",
    "self_training.return": "Self-training returned to the person",
    "prior_experience.record": "Prior training and experience recorded",
    "prior_experience.withdraw": "Prior training and experience withdrawn",
    "record_share.create": "Training record shared",
    "record_share.revoke": "Training record share ended",
    "training_resource.create": "Self-training resource added",
    "training_resource.update": "Self-training resource changed",
    "training_resource.checked": "Self-training link checked",
    "topic.summary": "Subject description changed",
    "training.policy": "Self-training policy changed",
    "training_series_documentation.issue": "Training series documentation issued",
    "training_series_documentation.reissue": "Training series documentation issued again",
    "training_series_documentation.revoke": "Training series documentation revoked",
}
# The kinds of record whose actions a registration's history shows (their prefixes).
HISTORY_SUBJECTS = ("registration", "person", "payment", "invoice", "certificate", "checkin")
LABELS = {
    "amount_cents": "Amount",
    "amount_due_cents": "Amount due",
    "pay_by_check": "Pay by check",
    "purchase_order": "Purchase order",
    "session_id": "Stripe session",
    "kind": "Email",
    "merged_in": "Merged with",
    "moved": "Moved here",
    "details_filled": "Details filled in",
    "tier": "Tier",
    "tier_id": "Tier",
    "email": "Email",
    "phone": "Phone",
    "agency": "Agency",
    "school_district": "School district",
    "accommodations": "Accessibility or dietary needs",
    "number": "Invoice number",
    "method": "Paid by",
    "total_minutes": "Minutes credited",
    "manual_reason": "Issued by hand because",
    "withheld": "Withheld because",
    "revoked": "Revoked certificate",
    "serial": "Serial number",
    "role_type": "Role",
    "assignment_started_on": "Started in schools",
    "source": "Started from",
    "problem": "Problem",
}
# The same key means another thing in these actions.
ACTION_LABELS = {
    ("certificate.issue", "kind"): "Certificate",
    ("certificate.reissue", "kind"): "Certificate",
}
PAYMENT_METHODS = {
    "invoice": "Purchase order / invoice",
    "check": "Check",
    "cash": "Cash",
    "card": "Card (Stripe)",
    "waiver": "Fee waived",
    "refund": "Refund",
}
CERTIFICATE_KINDS = {"completion": "Completion", "attendance": "Attendance"}
# Keys that say which thing was acted on rather than what changed in it.
IDENTIFYING = frozenset({"serial", "version", "number"})
# Internal ids say nothing to a reader: the page is already about this registration.
HIDDEN = frozenset({"registration_id", "person_id", "event_id"})
ACTORS = {
    "system": "Automatic (summit)",
    "attendee": "The attendee",
    "stripe:webhook": "Stripe (card payment)",
    "api": "A scanner app",
    "cli": "Command line",
    "seed-demo": "Demo data",
}


@dataclass(frozen=True)
class HistoryEntry:
    title: str
    changes: list[str]
    actor: str = ""


@dataclass
class HistoryContext:
    """What turns ids into names: the event's tiers, staff, the scans undone; its clock."""

    timezone: str = Defaults.TIMEZONE  # the event's, when there is one
    tiers: dict[int, str] = field(default_factory=dict)
    tier_slugs: dict[str, str] = field(default_factory=dict)
    staff: dict[int, str] = field(default_factory=dict)
    checkins: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryRow:
    entry: AuditLog
    described: HistoryEntry


def field_label(key: str, action: str = "") -> str:
    return ACTION_LABELS.get((action, key)) or LABELS.get(key) or key.replace("_", " ").capitalize()


def describe(entry: AuditLog, context: HistoryContext | None = None) -> HistoryEntry:
    """One audit row as a title and lines: ``Label: before → after``, or ``Label: value``.

    A key that names the thing acted on (a serial) is shown as it is, wherever it is
    kept; a value that was never there (None, only after) is not listed.
    """
    context = context or HistoryContext()
    before, after = entry.before or {}, entry.after or {}
    if entry.object_type == "checkin":  # the nonces it lists mean nothing to a reader
        before, after = {}, {"scan": context.checkins.get(entry.object_id or 0, "a scan")}
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key in HIDDEN or (key not in before and after[key] is None):
            continue
        label = field_label(key, entry.action)
        show = _shower(key, entry.action, context)
        if key in before and key in after:
            if before[key] == after[key]:
                continue
            changes.append(f"{label}: {show(before[key])} → {show(after[key])}")
        elif key in after or key in IDENTIFYING:
            changes.append(f"{label}: {show(after[key] if key in after else before[key])}")
        else:
            changes.append(f"{label}: {show(before[key])} → (none)")
    return HistoryEntry(_title(entry.action), changes, _actor(entry, context))


def _title(action: str) -> str:
    """The title in ACTIONS; an action added without one still reads as words."""
    if action in ACTIONS:
        return ACTIONS[action]
    subject, _, verb = action.partition(".")
    return f"{subject.replace('_', ' ').capitalize()}: {verb.replace('_', ' ')}".rstrip(": ")


def _actor(entry: AuditLog, context: HistoryContext) -> str:
    if entry.staff_user_id is not None and entry.staff_user_id in context.staff:
        return context.staff[entry.staff_user_id]
    actor = entry.actor or "system"
    kind, _, who = actor.partition(":")
    if kind == "staff":
        return who
    if kind in {"attendee", "person"}:
        return "The attendee"
    return ACTORS.get(actor) or ACTORS.get(kind) or actor.replace("-", " ")


def _shower(key: str, action: str, context: HistoryContext) -> Callable[[Any], str]:
    def show(value: Any) -> str:
        return _value(key, value, action, context)

    return show


def _value(key: str, value: Any, action: str, context: HistoryContext) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    named = _named(key, value, action, context)
    if named is not None:
        return named
    if key.endswith("_cents") and isinstance(value, int):
        return format_cents(value)
    if key.endswith("_at"):
        return _local_time(value, context.timezone)
    if isinstance(value, dict):
        return ", ".join(
            f"{field_label(k)}: {_value(k, v, action, context)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(_value(key, item, action, context) for item in value)
    return str(value)


def _named(key: str, value: Any, action: str, context: HistoryContext) -> str | None:
    """The words for a value that is a code or an id; None for a value to show as it is."""
    if key == "state":
        state = RegistrationState.find(value)
        return state.label if state else str(value).replace("_", " ")
    if key == "status":
        result = CheckinResult.find(value)
        return result.label if result else str(value).replace("_", " ")
    if key == "tier_id":
        return context.tiers.get(value, "a tier since deleted")
    if key == "tier":
        return context.tier_slugs.get(value, str(value))
    if key == "kind":
        if action.startswith("certificate."):
            return CERTIFICATE_KINDS.get(value, str(value))
        state = RegistrationState.find(value)
        return f"“{state.label}”" if state else str(value).replace("_", " ")
    if key == "method":
        return PAYMENT_METHODS.get(value, str(value))
    if key == "role_type":
        return ROLE_LABELS.get(value, str(value))
    if key.endswith("staff_id") or key.endswith("_by_id"):
        return context.staff.get(value, "a staff member")
    if key == "total_minutes" and isinstance(value, int):
        hours, minutes = divmod(value, 60)
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return None


def _local_time(value: Any, timezone: str) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(ZoneInfo(timezone)).strftime("%b %-d, %Y %-I:%M %p")


# --- reading a registration's history ----------------------------------------------------


def registration_history(registration: Registration) -> list[HistoryRow]:
    """Audit rows about the registration, its person, payments, invoice, certificates and
    scans, oldest first, each described with the names of what it points at."""
    rows = list(
        db.session.scalars(select(AuditLog).where(_about(registration)).order_by(AuditLog.id))
    )
    context = history_context(registration, rows)
    return [HistoryRow(row, describe(row, context)) for row in rows]


def _about(registration: Registration):
    """The person's rows from any event (their details print on every registration)."""

    def rows_of(kind: str, ids) -> Any:
        return and_(AuditLog.object_type == kind, AuditLog.object_id.in_(ids))

    in_event = and_(
        AuditLog.event_id == registration.event_id,
        or_(
            rows_of("registration", [registration.id]),
            rows_of(
                "payment", select(Payment.id).where(Payment.registration_id == registration.id)
            ),
            rows_of(
                "invoice", select(Invoice.id).where(Invoice.registration_id == registration.id)
            ),
            rows_of(
                "certificate",
                select(Certificate.id).where(Certificate.registration_id == registration.id),
            ),
            rows_of(
                "checkin", select(Checkin.id).where(Checkin.registration_id == registration.id)
            ),
        ),
    )
    return or_(in_event, rows_of("person", [registration.person_id]))


def history_context(registration: Registration, rows: list[AuditLog]) -> HistoryContext:
    event = registration.event
    tiers = list(db.session.scalars(select(Tier).where(Tier.event_id == event.id)))
    return _context(rows, tiers, event.timezone)


def described_log(rows: list[AuditLog]) -> list[HistoryRow]:
    """Any audit rows in words, for the audit log and the control room: the same titles
    and names as a registration's history, times on the install's clock."""
    event_ids = {row.event_id for row in rows if row.event_id is not None}
    tiers = (
        list(db.session.scalars(select(Tier).where(Tier.event_id.in_(event_ids))))
        if event_ids
        else []
    )
    context = _context(rows, tiers, current_app.config["TIMEZONE"])
    return [HistoryRow(row, describe(row, context)) for row in rows]


def _context(rows: list[AuditLog], tiers: list[Tier], timezone: str) -> HistoryContext:
    """Names for the ids ``rows`` mention: tiers, staff, and the scans they undid."""
    staff_ids = {row.staff_user_id for row in rows if row.staff_user_id is not None}
    staff_ids |= _ids_in(rows, lambda key: key.endswith("staff_id") or key.endswith("_by_id"))
    staff = (
        db.session.scalars(select(StaffUser).where(StaffUser.id.in_(staff_ids)))
        if staff_ids
        else []
    )
    checkin_ids = [row.object_id for row in rows if row.object_type == "checkin" and row.object_id]
    return HistoryContext(
        timezone=timezone,
        tiers={tier.id: tier.name for tier in tiers},
        tier_slugs={tier.slug: tier.name for tier in tiers},
        staff={member.id: _staff_name(member) for member in staff},
        checkins=_scans(checkin_ids, timezone),
    )


def _ids_in(rows: list[AuditLog], wanted: Callable[[str], bool]) -> set[int]:
    return {
        value
        for row in rows
        for values in (row.before or {}, row.after or {})
        for key, value in values.items()
        if wanted(key) and isinstance(value, int)
    }


def _staff_name(member: StaffUser) -> str:
    return f"{member.name} ({member.email})" if member.name else member.email


def _scans(checkin_ids: list[int], timezone: str) -> dict[int, str]:
    """ "Event entry, Jun 3, 2027 8:02 AM" or the session's title, for each scan undone."""
    if not checkin_ids:
        return {}
    scans = db.session.scalars(select(Checkin).where(Checkin.id.in_(checkin_ids)))
    return {
        scan.id: (
            f"{scan.session.title if scan.session else 'Event entry'}"
            f"{' (leaving)' if scan.direction == 'out' else ''}, "
            f"scanned {_local_time(scan.scanned_at, timezone)}"
        )
        for scan in scans
    }
