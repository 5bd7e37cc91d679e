"""The staff home: events at a glance and where to go next."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from summit.security import staff_required
from summit.staff import services

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required()
def home():
    """The control room: what to do next per event, the pages this role may open, and
    (for admins) what others changed since this staff member's previous sign-in."""
    room = services.control_room(current_user)
    return render_template("staff/home.html", room=room, events=room.events, counts=room.counts)


@bp.get("/audit")
@staff_required("admin")
def audit_log():
    """The latest changes, newest first: who did what to which record."""
    return render_template("staff/audit.html", entries=services.latest_changes())
