"""The registration form and its confirmation page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from flask import redirect as http_redirect
from flask_limiter.errors import RateLimitExceeded
from itsdangerous import BadSignature, URLSafeTimedSerializer

from summit.loaders import event_or_404
from summit.models import Event, utcnow
from summit.registration.errors import RegistrationError
from summit.registration.forms import PREFILL_FIELDS, RegistrationForm
from summit.registration.services import register_attendee, seats_left
from summit.security import no_store
from summit.throttle import registration_per_address, registration_per_event, throttled_message

bp = Blueprint("registration", __name__)
RECEIPT_SALT = "summit.registration.receipt"
RECEIPT_MAX_AGE = 3600


def _receipts() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RECEIPT_SALT)


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@registration_per_address
@registration_per_event
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
    # A known address gets the very same answer as a new one (the "already registered"
    # email tells its owner): the form must not tell a stranger who is registered.
    token = _receipts().dumps({"email": result.registration.person.email, "tier": form.tier.data})
    return http_redirect(url_for("registration.receipt", slug=slug, token=token), code=303)


def _form_page(event: Event, form: RegistrationForm, throttled: str | None = None):
    return render_template(
        "registration/form.html",
        event=event,
        form=form,
        seats_left=seats_left(event),
        throttled=throttled,
    )


@bp.errorhandler(RateLimitExceeded)
def registration_throttled(error: RateLimitExceeded):
    """The form again, as typed, with what happened and when to send it again (429)."""
    event = event_or_404((request.view_args or {}).get("slug", ""), published=True)
    return _form_page(event, RegistrationForm(event), throttled_message(error)), 429


@bp.get("/events/<slug>/registered/<token>")
def receipt(slug: str, token: str):
    """ "Check your email", for the next hour in this browser; the email has the rest.

    The page is made from what was typed (address and tier), never from the stored
    registration: it reads the same whether the address was new or already registered,
    and it shows nothing of anyone's account. No portal link either: it would open
    that person's registrations, certificates and training record to whoever typed the
    address. The emailed link reaches only the address's owner.
    """
    try:
        typed = _receipts().loads(token, max_age=RECEIPT_MAX_AGE)
        email, tier_slug = str(typed["email"]), str(typed["tier"])
    except (BadSignature, KeyError, TypeError):
        abort(404)
    event = event_or_404(slug, published=True)
    tier = next((tier for tier in event.tiers if tier.slug == tier_slug), None)
    if tier is None:
        abort(404)
    page = render_template("registration/receipt.html", event=event, tier=tier, email=email)
    return no_store(make_response(page))  # it names an address: no shared cache keeps it
