"""Admins' page for the scanner apps' API tokens (``/staff/api-tokens``).

On the ``checkin`` blueprint (endpoints ``checkin.api_tokens`` and
``checkin.revoke_token``): the tokens exist for check-in scanners, and the
check-in overview links here. The tokens themselves live in :mod:`summit.auth.api_tokens`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from summit.auth.api_tokens import (
    TokenError,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
    scope_label,
    token_holders,
)
from summit.checkin.blueprint import bp
from summit.checkin.forms import ApiTokenForm
from summit.extensions import db
from summit.models import Event, StaffUser
from summit.security import staff_required


@bp.route("/api-tokens", methods=["GET", "POST"])
@staff_required("admin")
def api_tokens():
    form = ApiTokenForm()
    form.staff.choices = [
        (member.id, f"{member.display_name} ({member.role})") for member in token_holders()
    ]
    events = list(db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.id)))
    form.events.choices = [
        SelectChoice(event.id, event.name + ("" if event.is_published else " (not published)"))
        for event in events
    ]
    new_token = None
    refused = False
    if form.validate_on_submit():
        new_token = _create_token(form, [event for event in events if event.id in form.events.data])
        refused = new_token is None
    status = 400 if form.is_submitted() and (form.errors or refused) else 200
    return render_template(
        "checkin/api_tokens.html",
        form=form,
        tokens=list_api_tokens(),
        new_token=new_token,
        scope_label=scope_label,
    ), status


def _create_token(form: ApiTokenForm, events: list[Event]) -> str | None:
    """The new token's text, or None with the reason flashed (e.g. a role above the member's)."""
    member = db.session.get(StaffUser, form.staff.data)
    try:
        _row, token = create_api_token(
            member,
            name=form.name.data or "",
            actor=current_user._get_current_object(),
            role=form.role.data,
            events=events,
        )
    except TokenError as problem:
        flash(f"No token made: {problem}.", "danger")
        return None
    return token


@bp.post("/api-tokens/<int:token_id>/revoke")
@staff_required("admin")
def revoke_token(token_id: int):
    try:
        row = revoke_api_token(token_id, actor=current_user._get_current_object())
    except TokenError:
        abort(404)
    flash(f"Token {row.prefix}… revoked: scanners using it stop working now.", "info")
    return redirect(url_for("checkin.api_tokens"))
