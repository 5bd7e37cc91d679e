"""Admins set up events from the browser: list, create, edit, publish, archive.

Views are thin: the form reads the values, one service applies the rules and
writes, and a refusal comes back as the form again with the reason beside its
field and a 4xx status, nothing saved. Importing this module registers the tier,
clone, agenda and email pages too (one blueprint, ``events.*``).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from summit.errors import render_error
from summit.events import (
    agenda_views,
    clone_views,
    email_views,
    room_views,
    services,
    tier_views,
)
from summit.events.blueprint import ADMIN, acting_staff, bp, show_refusal
from summit.events.errors import EventSetupError
from summit.events.forms import EventForm
from summit.extensions import db
from summit.forms import ActionForm
from summit.loaders import event_or_404
from summit.models import Curriculum, Event
from summit.registration.services import registration_counts
from summit.security import staff_required

PAGES = (tier_views, clone_views, agenda_views, room_views, email_views)


@bp.get("/")
@staff_required(ADMIN)
def index():
    """Every event, newest first; archived ones in their own list below."""
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.id)).all()
    counts = registration_counts()
    return render_template(
        "events/index.html",
        current=[event for event in events if event.archived_at is None],
        archived=[event for event in events if event.archived_at is not None],
        counts=counts,
        restore_form=ActionForm(),
    )


def _curricula() -> list[Curriculum]:
    return list(db.session.scalars(select(Curriculum).order_by(Curriculum.name)))


@bp.route("/new", methods=["GET", "POST"])
@staff_required(ADMIN)
def create():
    """A new event; it starts unpublished so nobody registers before it is ready."""
    form = EventForm(curricula=_curricula(), data={"required_minutes": 60})
    if not form.is_submitted():
        return _form_page(form, event=None)
    if not form.validate():
        return _form_page(form, event=None, status=400)
    try:
        event = services.create_event(form.details(), actor=acting_staff())
    except EventSetupError as error:
        show_refusal(form, error)
        return _form_page(form, event=None, status=error.status_code)
    flash("Event created. Add its tiers, then publish it.", "success")
    return redirect(url_for("events.tiers", slug=event.slug), code=303)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@staff_required(ADMIN)
def edit(slug: str):
    event = event_or_404(slug)
    form = EventForm(curricula=_curricula(), stored_zone=event.timezone, data=_stored(event))
    if not form.is_submitted():
        return _form_page(form, event=event)
    if not form.validate():
        return _form_page(form, event=event, status=400)
    try:
        event = services.update_event(event.id, form.details(), actor=acting_staff())
    except EventSetupError as error:
        show_refusal(form, error)
        return _form_page(form, event=event_or_404(slug), status=error.status_code)
    flash("Event saved.", "success")
    return redirect(url_for("events.edit", slug=event.slug), code=303)


def _stored(event: Event) -> dict[str, object]:
    """What the form shows on GET: the stored values, the window in the event's zone."""
    values = {name: getattr(event, name) for name in EventForm.STORED}
    return {
        **values,
        **EventForm.local_window(event),
        "required_minutes": event.default_required_minutes,
    }


def _form_page(form: EventForm, *, event: Event | None, status: int = 200):
    locked = event is not None and services.slug_is_locked(event)
    if locked:
        form.slug.render_kw = {**(form.slug.render_kw or {}), "readonly": True}
    return render_template(
        "events/edit.html",
        form=form,
        event=event,
        slug_locked=locked,
        action_form=ActionForm(formdata=None),
    ), status


# --- publishing and archiving -------------------------------------------------------------


def _change(slug: str, run: Callable[..., Event], done: str) -> Response | tuple:
    """One button's service; a refusal comes back on the edit page with its reason."""
    event = event_or_404(slug)
    if not ActionForm().validate_on_submit():
        return render_error(400, "This form has expired; reload the page and try again.")
    try:
        run(event.id, actor=acting_staff())
    except EventSetupError as error:
        flash(error.message, "danger")
        form = EventForm(
            curricula=_curricula(), stored_zone=event.timezone, data=_stored(event), formdata=None
        )
        return _form_page(form, event=event, status=error.status_code)
    flash(done, "success")
    return redirect(url_for("events.edit", slug=slug), code=303)


@bp.post("/<slug>/publish")
@staff_required(ADMIN)
def publish(slug: str):
    return _change(slug, services.publish_event, "Published: the event is on the public site.")


@bp.post("/<slug>/unpublish")
@staff_required(ADMIN)
def unpublish(slug: str):
    return _change(
        slug,
        services.unpublish_event,
        "Unpublished: the event is off the public site; registrations keep their links.",
    )


@bp.post("/<slug>/archive")
@staff_required(ADMIN)
def archive(slug: str):
    return _change(slug, services.archive_event, "Archived: the event is off the lists.")


@bp.post("/<slug>/restore")
@staff_required(ADMIN)
def restore(slug: str):
    return _change(slug, services.restore_event, "Restored. It stays unpublished.")
