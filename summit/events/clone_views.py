"""Set up next year's summit from this one: the admin picks the title and address.

The page says what is copied and what is not before anything happens; the clone
opens on its edit page, unpublished, so the admin checks the registration window
and publishes when ready.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from summit.events import clone as cloning
from summit.events.blueprint import ADMIN, acting_staff, bp, show_refusal
from summit.events.errors import EventSetupError
from summit.events.forms import CloneForm
from summit.loaders import event_or_404
from summit.models import Event
from summit.security import staff_required


@bp.route("/<slug>/clone", methods=["GET", "POST"])
@staff_required(ADMIN)
def clone(slug: str):
    source = event_or_404(slug)
    suggested_slug, suggested_name = cloning.suggested_names(source)
    form = CloneForm(data={"slug": suggested_slug, "name": suggested_name})
    if not form.is_submitted():
        return _clone_page(source, form)
    if not form.validate():
        return _clone_page(source, form, 400)
    try:
        copy = cloning.clone_event(
            source.id, slug=form.slug.data, name=form.name.data, actor=acting_staff()
        )
    except EventSetupError as error:
        show_refusal(form, error)
        return _clone_page(event_or_404(slug), form, error.status_code)
    flash(
        f"{copy.name} is set up from {source.name}, unpublished. Check the dates and the "
        "registration window, then publish it.",
        "success",
    )
    return redirect(url_for("events.edit", slug=copy.slug), code=303)


def _clone_page(source: Event, form: CloneForm, status: int = 200):
    return render_template(
        "events/clone.html",
        event=source,
        form=form,
        shift_days=cloning.SHIFT.days,
        new_starts_on=source.starts_on + cloning.SHIFT,
        new_ends_on=source.ends_on + cloning.SHIFT,
    ), status
