"""The staff home: events at a glance and where to go next."""

from __future__ import annotations

from flask import Blueprint, render_template

from summit.security import staff_required
from summit.staff import services

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required()
def home():
    events, counts = services.events_with_counts()
    return render_template("staff/home.html", events=events, counts=counts)


@bp.get("/audit")
@staff_required("admin")
def audit_log():
    """The latest changes, newest first: who did what to which record."""
    return render_template("staff/audit.html", entries=services.latest_changes())
