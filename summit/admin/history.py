"""A registration's history in words: what staff read instead of the audit log's JSON.

The audit log keeps ``before`` and ``after`` as data (the record of truth); this
turns one row into a title ("State changed") and lines such as
``State: Waiting for approval → Awaiting payment`` or ``Amount: $20.00``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from summit.models import AuditLog, RegistrationState

ACTIONS = {
    "registration.create": "Registered",
    "registration.state": "State changed",
    "registration.email_resend": "Email sent again",
    "payment.record": "Payment recorded",
    "payment.checkout_start": "Card payment started",
    "payment.card_refused": "Card payment refused",
    "invoice.issue": "Invoice issued",
    "registration.merge": "Merged with another person",
    "person.merge": "Merged with another person",
}
LABELS = {
    "amount_cents": "Amount",
    "pay_by_check": "Pay by check",
    "purchase_order": "Purchase order",
    "session_id": "Stripe session",
    "kind": "Email",
    "merged_in": "Merged with",
    "moved": "Moved here",
    "details_filled": "Details filled in",
}
# Internal ids say nothing to a reader: the page is already about this registration.
HIDDEN = frozenset({"registration_id", "person_id", "event_id"})


@dataclass(frozen=True)
class HistoryEntry:
    title: str
    changes: list[str]


def describe(entry: AuditLog) -> HistoryEntry:
    before, after = entry.before or {}, entry.after or {}
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key in HIDDEN:
            continue
        label = LABELS.get(key) or key.replace("_", " ").capitalize()
        if key in before and key in after:
            if before[key] == after[key]:
                continue
            changes.append(f"{label}: {_value(key, before[key])} → {_value(key, after[key])}")
        elif key in after:
            changes.append(f"{label}: {_value(key, after[key])}")
        else:
            changes.append(f"{label}: {_value(key, before[key])} → (none)")
    return HistoryEntry(ACTIONS.get(entry.action, entry.action), changes)


def _value(key: str, value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "state":
        state = RegistrationState.find(value)
        return state.label if state else str(value).replace("_", " ")
    if key.endswith("_cents") and isinstance(value, int):
        dollars, cents = divmod(value, 100)
        return f"${dollars:,}.{cents:02d}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
