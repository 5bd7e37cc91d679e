"""The registration form and its confirmation page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask import redirect as http_redirect
from itsdangerous import BadSignature, URLSafeTimedSerializer

from summit.extensions import db
from summit.loaders import event_or_404
from summit.models import Event, Registration, utcnow
from summit.registration.errors import RegistrationError
from summit.registration.forms import PREFILL_FIELDS, RegistrationForm
from summit.registration.services import register_attendee, seats_left

bp = Blueprint("registration", __name__)
RECEIPT_SALT = "summit.registration.receipt"
RECEIPT_MAX_AGE = 3600


def _receipts() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RECEIPT_SALT)


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
def register(slug: str):
    event = event_or_404(slug, published=True)
    prefill = {key: request.args[key] for key in PREFILL_FIELDS if request.args.get(key)}
    form = RegistrationForm(event, data=prefill)
    status = event.registration_status(utcnow())
    if status != "open":
        return render_template("registration/closed.html", event=event, status=status), 409
    if not form.validate_on_submit():
        code = 400 if form.is_submitted() else 200
        return _form_page(event, form), code
    try:
        result = register_attendee(
            event.id,
            tier_slug=form.tier.data,
            **{name: form[name].data for name in PREFILL_FIELDS if name != "tier"},
        )
    except RegistrationError as error:
        form.tier.errors = [*form.tier.errors, error.message]
        return _form_page(event, form), error.status_code
    if not result.created:
        return render_template("registration/exists.html", event=event), 200
    token = _receipts().dumps(result.registration.id)
    return http_redirect(url_for("registration.receipt", slug=slug, token=token), code=303)


def _form_page(event: Event, form: RegistrationForm):
    return render_template(
        "registration/form.html", event=event, form=form, seats_left=seats_left(event)
    )


@bp.get("/events/<slug>/registered/<token>")
def receipt(slug: str, token: str):
    """What just happened, for the next hour in this browser; the email has the rest."""
    try:
        registration_id = _receipts().loads(token, max_age=RECEIPT_MAX_AGE)
    except BadSignature:
        abort(404)
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event.slug != slug:
        abort(404)
    # No portal link here: this page proves only that someone typed the address, and a
    # link would open that person's whole account (other registrations, certificates,
    # training record) for 30 days. The emailed link reaches only the address's owner.
    return render_template(
        "registration/receipt.html", registration=registration, event=registration.event
    )
