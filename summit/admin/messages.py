"""What the registration page says after staff edit details or move a tier.

Kept apart from the views so the words (and the money in them) are written once.
"""

from __future__ import annotations

from summit.admin.history import field_label
from summit.payments.money import format_cents
from summit.registration.services import TierMove


def saved_details_message(changed: list[str]) -> str:
    if not changed:
        return "Nothing was changed."
    return "Saved: " + ", ".join(field_label(name).lower() for name in changed) + "."


def moved_message(move: TierMove) -> str:
    """The new tier, the state and the amount due when they changed, who was emailed."""
    registration = move.registration
    words = [f"Moved from {move.old_tier.name} to {registration.tier.name}."]
    due = registration.amount_due_cents
    if registration.state != move.old_state:
        words.append(f"Now {registration.state.label.lower()}.")
    if due != move.old_due_cents:
        words.append(f"Amount due: {format_cents(move.old_due_cents)} → {format_cents(due)}.")
    if move.emailed:
        words.append("The person has been emailed.")
    if move.overpaid_cents:
        words.append(
            f"Payments are kept: {format_cents(move.overpaid_cents)} was paid beyond the new "
            "fee; refund it outside the app if it is owed."
        )
    return " ".join(words)
