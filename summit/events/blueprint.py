"""The one ``events`` blueprint and what its page modules share.

Pages: :mod:`~summit.events.views` (the list, the event form, publishing and
archiving), :mod:`~summit.events.tier_views` (tiers), :mod:`~summit.events.agenda_views`
(the agenda's sessions), :mod:`~summit.events.clone_views` (next year's clone),
:mod:`~summit.events.email_views` (the event's email texts). Every
route is for admins only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash
from flask_login import current_user
from flask_wtf import FlaskForm

from summit.events.errors import EventSetupError

bp = Blueprint("events", __name__, url_prefix="/staff/events")
ADMIN = "admin"


def acting_staff() -> Any:
    """The signed-in admin, as the audit log's actor."""
    return current_user._get_current_object()


def show_refusal(form: FlaskForm, error: EventSetupError) -> None:
    """Put a service's reason beside the field it names, or above the form."""
    if error.field and error.field in form:
        field = form[error.field]
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")
