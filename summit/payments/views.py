"""Paying a fee tier: invoice (PO or check) and card (Stripe Checkout), plus Stripe's webhook.

Attendee pages live under the portal's ``/my/registrations/<id>/``; a registration
of anyone else is answered exactly like one that does not exist (404). The
webhook is the only CSRF-exempt view: its proof is Stripe's signature instead.
"""

from __future__ import annotations

import json
from typing import Any

import stripe
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response

from summit.auth.attendees import attendee_required, current_attendee, signed_in_attendee
from summit.extensions import csrf
from summit.loaders import get_or_404
from summit.models import Registration
from summit.payments import services
from summit.payments.errors import PaymentError
from summit.payments.forms import CardPaymentForm, InvoiceRequestForm
from summit.payments.money import format_cents
from summit.payments.providers import card_enabled
from summit.portal.services import registration_of
from summit.security import no_store

bp = Blueprint("payments", __name__)
bp.add_app_template_filter(format_cents, "money")


bp.after_request(no_store)  # invoices and balances are personal


def _own_registration(registration_id: int) -> Registration:
    registration = registration_of(current_attendee(), registration_id)
    if registration is None:
        abort(404)
    return registration


def _pay_page(registration: Registration, *, invoice_form=None, status: int = 200):
    return render_template(
        "payments/pay.html",
        registration=registration,
        event=registration.event,
        summary=services.payment_summary(registration),
        invoice=services.invoice_for(registration),
        invoice_form=invoice_form or InvoiceRequestForm(),
        card_form=CardPaymentForm(),
        card_enabled=card_enabled(),
    ), status


@bp.get("/my/registrations/<int:registration_id>/pay")
@attendee_required
def pay(registration_id: int):
    """Choose how to pay: an invoice (PO number or check) or, when configured, card."""
    return _pay_page(_own_registration(registration_id))


@bp.post("/my/registrations/<int:registration_id>/pay/invoice")
@attendee_required
def request_invoice(registration_id: int):
    registration = _own_registration(registration_id)
    form = InvoiceRequestForm()
    if not form.validate_on_submit():
        return _pay_page(registration, invoice_form=form, status=400)
    try:
        invoice = services.request_invoice(
            registration,
            purchase_order=form.purchase_order.data or "",
            pay_by_check=form.pay_by_check,
            actor=f"person:{registration.person.email}",
        )
    except PaymentError as error:
        flash(error.message, "danger")
        return _pay_page(registration, invoice_form=form, status=error.status_code)
    flash(
        f"Invoice {invoice.number} is on its way by email. You can also download it here.",
        "success",
    )
    return redirect(url_for("payments.pay", registration_id=registration.id))


@bp.post("/my/registrations/<int:registration_id>/pay/card")
@attendee_required
def pay_by_card(registration_id: int):
    """Send the attendee to Stripe Checkout (303 so the browser follows with GET)."""
    registration = _own_registration(registration_id)
    if not CardPaymentForm().validate_on_submit():
        abort(400)
    try:
        checkout_url = services.create_checkout_session(registration)
    except PaymentError as error:
        flash(error.message, "danger")
        return _pay_page(registration, status=error.status_code)
    return redirect(checkout_url, code=303)


@bp.get("/my/registrations/<int:registration_id>/pay/done")
@attendee_required
def returned(registration_id: int):
    """Where Stripe sends the attendee back: paid, or still being confirmed by the webhook."""
    registration = _own_registration(registration_id)
    return render_template(
        "payments/returned.html",
        registration=registration,
        event=registration.event,
        pending=services.checkout_pending(registration),
        summary=services.payment_summary(registration),
    )


@bp.get("/my/registrations/<int:registration_id>/invoice.pdf")
def invoice_pdf(registration_id: int):
    """The invoice as it stands now; for its owner and for admins only."""
    registration = _invoice_reader_registration(registration_id)
    if not isinstance(registration, Registration):
        return registration
    invoice = services.invoice_for(registration)
    if invoice is None:
        abort(404)
    filename = services.invoice_filename(invoice)
    response = Response(services.invoice_pdf(invoice), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _invoice_reader_registration(registration_id: int) -> Registration | Response:
    """Admins may read any invoice; an attendee only their own; nobody else learns it exists.

    Check-in staff get 403: invoices are billing, which only admins handle, and the desk
    shows what it needs (the amount due) without them.
    """
    if current_user.is_authenticated:
        if not current_user.is_admin:
            abort(403)
        return get_or_404(Registration, registration_id)
    person = signed_in_attendee()
    if person is None:
        return redirect(url_for("portal.sign_in"))
    registration = registration_of(person, registration_id)
    if registration is None:
        abort(404)
    return registration


@bp.post("/payments/stripe/webhook")
def stripe_webhook():
    """Stripe's event delivery: signature checked first, then the session re-fetched.

    Answers 400 for anything unsigned, forged, stale or malformed (nothing changes),
    503 when Stripe could not be asked (Stripe retries), 200 otherwise.
    """
    if not card_enabled():
        return _json_error(404, "Card payments are not enabled here.")
    payload = request.get_data()
    try:
        stripe.WebhookSignature.verify_header(
            payload,
            request.headers.get("Stripe-Signature"),
            current_app.config["STRIPE_WEBHOOK_SECRET"],
            int(current_app.config["STRIPE_WEBHOOK_TOLERANCE"]),
        )
        event: Any = json.loads(payload)
    except stripe.SignatureVerificationError:
        return _json_error(400, "The Stripe signature is missing, wrong or too old.")
    except ValueError:  # not UTF-8, or not JSON
        return _json_error(400, "The body is not a JSON event.")
    if not isinstance(event, dict):
        return _json_error(400, "The body is not a JSON event.")
    try:
        outcome = services.handle_stripe_event(event)
    except PaymentError as error:
        return _json_error(error.status_code, error.message)
    return jsonify({"received": True, "outcome": outcome})


csrf.exempt(stripe_webhook)


def _json_error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": {"status": status, "message": message}}), status
