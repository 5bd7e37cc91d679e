"""The audit log: one call records who changed what, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from summit.extensions import db
from summit.models import AuditLog, StaffUser

ACTOR_LENGTH = 254  # AuditLog.actor


def record(
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: StaffUser | str | None = None,
    event_id: int | None = None,
) -> AuditLog:
    """Add an audit row to the session; the caller's commit makes it durable.

    ``actor`` defaults to the signed-in staff member, or ``system`` outside a request.
    """
    staff = actor if isinstance(actor, StaffUser) else None
    if actor is None and has_request_context() and current_user.is_authenticated:
        staff = current_user._get_current_object()
    if staff is not None:
        label = f"staff:{staff.email}"
    else:
        label = actor if isinstance(actor, str) else "system"
    entry = AuditLog(
        actor=label[:ACTOR_LENGTH],  # a 250-character email plus "person:" would not fit
        staff_user_id=staff.id if staff else None,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=getattr(obj, "id", None),
        event_id=event_id if event_id is not None else getattr(obj, "event_id", None),
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def record_event_change(
    action: str, event: Any, before: dict[str, Any], after: dict[str, Any], actor: Any
) -> None:
    """Audit a change of an event's settings, and only when something did change."""
    if after != before:
        record(action, event, before=before, after=after, actor=actor, event_id=event.id)
