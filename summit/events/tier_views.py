"""An event's tiers for admins: list with seats, add, edit, move up or down, delete.

Moving is two POST buttons per row (no dragging), so it works from the keyboard
and on a tablet; after a move the page returns to the moved row.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import case, func, select

from summit.errors import render_error
from summit.events import tiers as tier_services
from summit.events.blueprint import ADMIN, acting_staff, bp, show_refusal
from summit.events.errors import EventSetupError
from summit.events.forms import TierForm
from summit.extensions import db
from summit.forms import ActionForm
from summit.loaders import event_or_404, get_or_404
from summit.models import SEAT_HOLDING_STATES, Event, Registration, Tier
from summit.payments.money import format_cents
from summit.security import staff_required


@bp.get("/<slug>/tiers")
@staff_required(ADMIN)
def tiers(slug: str):
    return _tiers_page(event_or_404(slug))


def _tiers_page(event: Event, form: TierForm | None = None, status: int = 200):
    return render_template(
        "events/tiers.html",
        event=event,
        tiers=sorted(event.tiers, key=lambda tier: (tier.position, tier.id)),
        usage=_usage(event),
        form=form or TierForm(formdata=None, data={"price": "0", "is_open": True}),
        action_form=ActionForm(formdata=None),
    ), status


def _usage(event: Event) -> dict[int, tuple[int, int]]:
    """Per tier: (seats taken, registrations of any state), in one query."""
    holds = case((Registration.state.in_(SEAT_HOLDING_STATES), 1), else_=0)
    rows = db.session.execute(
        select(Registration.tier_id, func.sum(holds), func.count())
        .where(Registration.event_id == event.id)
        .group_by(Registration.tier_id)
    ).all()
    return {tier_id: (int(taken or 0), count) for tier_id, taken, count in rows}


@bp.post("/<slug>/tiers")
@staff_required(ADMIN)
def create_tier(slug: str):
    event = event_or_404(slug)
    form = TierForm()
    if not form.validate():
        return _tiers_page(event, form, 400)
    try:
        tier = tier_services.create_tier(event.id, form.details(), actor=acting_staff())
    except EventSetupError as error:
        show_refusal(form, error)
        return _tiers_page(event_or_404(slug), form, error.status_code)
    flash(f"Tier “{tier.name}” added.", "success")
    return redirect(url_for("events.tiers", slug=slug, _anchor=f"tier-{tier.id}"), code=303)


@bp.route("/<slug>/tiers/<int:tier_id>", methods=["GET", "POST"])
@staff_required(ADMIN)
def edit_tier(slug: str, tier_id: int):
    event = event_or_404(slug)
    tier = get_or_404(Tier, tier_id, event=event)
    form = TierForm(data=_stored(tier))
    if not form.is_submitted():
        return _tier_page(event, tier, form)
    if not form.validate():
        return _tier_page(event, tier, form, 400)
    try:
        tier_services.update_tier(tier, form.details(), actor=acting_staff())
    except EventSetupError as error:
        show_refusal(form, error)
        event = event_or_404(slug)
        return _tier_page(event, get_or_404(Tier, tier_id, event=event), form, error.status_code)
    flash("Tier saved.", "success")
    return redirect(url_for("events.tiers", slug=slug, _anchor=f"tier-{tier_id}"), code=303)


def _stored(tier: Tier) -> dict[str, object]:
    fields = ("name", "slug", "capacity", "requires_approval", "eligibility", "is_open")
    return {
        **{name: getattr(tier, name) for name in fields},
        "price": format_cents(tier.price_cents).lstrip("$"),
    }


def _tier_page(event: Event, tier: Tier, form: TierForm, status: int = 200):
    taken, count = _usage(event).get(tier.id, (0, 0))
    return render_template(
        "events/tier.html", event=event, tier=tier, form=form, taken=taken, count=count
    ), status


@bp.post("/<slug>/tiers/<int:tier_id>/move")
@staff_required(ADMIN)
def move_tier(slug: str, tier_id: int):
    event = event_or_404(slug)
    tier = get_or_404(Tier, tier_id, event=event)
    direction = request.form.get("direction", "")
    if not ActionForm().validate_on_submit() or direction not in ("up", "down"):
        return render_error(400, "Move a tier up or down with its buttons.")
    tier_services.move_tier(tier, direction, actor=acting_staff())  # type: ignore[arg-type]
    return redirect(url_for("events.tiers", slug=slug, _anchor=f"tier-{tier_id}"), code=303)


@bp.post("/<slug>/tiers/<int:tier_id>/delete")
@staff_required(ADMIN)
def delete_tier(slug: str, tier_id: int):
    """Delete a tier nobody chose; otherwise the page says why and suggests closing it."""
    event = event_or_404(slug)
    tier = get_or_404(Tier, tier_id, event=event)
    if not ActionForm().validate_on_submit():
        return render_error(400, "This form has expired; reload the page and try again.")
    name = tier.name
    try:
        tier_services.delete_tier(tier, actor=acting_staff())
    except EventSetupError as error:
        flash(error.message, "danger")
        return _tiers_page(event_or_404(slug), status=error.status_code)
    flash(f"Tier “{name}” deleted.", "success")
    return redirect(url_for("events.tiers", slug=slug), code=303)
