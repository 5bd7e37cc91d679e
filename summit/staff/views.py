"""The staff home: events at a glance and where to go next."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from summit.extensions import db
from summit.models import AuditLog, Event, Registration, RegistrationState
from summit.security import staff_required

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required()
def home():
    counts = dict(
        db.session.execute(
            select(Registration.event_id, func.count())
            .where(Registration.state != RegistrationState.CANCELLED)
            .group_by(Registration.event_id)
        ).all()
    )
    events = db.session.scalars(
        select(Event).where(Event.archived_at.is_(None)).order_by(Event.starts_on.desc())
    ).all()  # archived events are done with: admins find them on the events page
    return render_template("staff/home.html", events=events, counts=counts)


@bp.get("/audit")
@staff_required("admin")
def audit_log():
    """The latest changes, newest first: who did what to which record."""
    entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(200)).all()
    return render_template("staff/audit.html", entries=entries)
