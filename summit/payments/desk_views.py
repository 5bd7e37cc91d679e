"""Payments where people are: door staff take cash, a check or a purchase-order number
from someone whose registration waits for payment (often a fee-tier walk-in), so they
are confirmed and checked in without sending them to the office.

The rules are the payment service's (``take_desk_payment``, ``request_invoice``); these
pages only parse, call one service and go back to the desk with the person found.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from summit.loaders import event_or_404, get_or_404
from summit.models import Event, Registration, RegistrationState
from summit.payments import services as payments
from summit.payments.errors import PaymentError
from summit.payments.forms import DeskPaymentForm, DeskPurchaseOrderForm
from summit.registration.errors import RegistrationError
from summit.security import no_store, staff_required

# Beside the check-in desk (``/staff/events/<slug>/checkin``), for the same door staff.
bp = Blueprint("desk_payments", __name__, url_prefix="/staff")
bp.after_request(no_store)  # balances and names
DOOR_ROLES = ("admin", "checkin")
PAGE = "/events/<slug>/registrations/<int:registration_id>/desk-payment"


@bp.get(PAGE)
@staff_required(*DOOR_ROLES)
def desk_payment(slug: str, registration_id: int):
    event = event_or_404(slug)
    return _page(event, get_or_404(Registration, registration_id, event=event))


@bp.post(PAGE)
@staff_required(*DOOR_ROLES)
def take_payment(slug: str, registration_id: int):
    """Cash or a check for the balance (or part of it); paid in full confirms."""
    event = event_or_404(slug)
    registration = get_or_404(Registration, registration_id, event=event)
    form = DeskPaymentForm(prefix="pay")
    if not form.validate_on_submit():
        return _page(event, registration, pay_form=form, status=400)
    try:
        payments.take_desk_payment(
            registration,
            method=form.method.data,
            amount_cents=form.amount_cents,
            reference=form.reference.data or "",
            actor=current_user._get_current_object(),
        )
    except RegistrationError as error:
        return _page(event, registration, pay_form=form, error=error)
    return _back_to_desk(event, registration, "Payment recorded.")


@bp.post(PAGE + "/purchase-order")
@staff_required(*DOOR_ROLES)
def take_purchase_order(slug: str, registration_id: int):
    """A district's PO number: the invoice is issued and emailed; the event decides
    whether a PO confirms the seat before the money arrives."""
    event = event_or_404(slug)
    registration = get_or_404(Registration, registration_id, event=event)
    form = DeskPurchaseOrderForm(prefix="po")
    if not form.validate_on_submit():
        return _page(event, registration, po_form=form, status=400)
    try:
        payments.request_invoice(
            registration,
            purchase_order=form.purchase_order.data,
            pay_by_check=False,
            actor=current_user._get_current_object(),
        )
    except RegistrationError as error:
        return _page(event, registration, po_form=form, error=error)
    return _back_to_desk(event, registration, "Invoice issued and emailed.")


def _page(
    event: Event,
    registration: Registration,
    *,
    pay_form: DeskPaymentForm | None = None,
    po_form: DeskPurchaseOrderForm | None = None,
    error: PaymentError | RegistrationError | None = None,
    status: int | None = None,
):
    if error is not None:
        flash(error.message, "danger")
        status = error.status_code
    due = registration.amount_due_cents
    return (
        render_template(
            "payments/desk_payment.html",
            event=event,
            registration=registration,
            due_cents=due,
            invoice=payments.invoice_for(registration),
            pay_form=(pay_form or DeskPaymentForm(prefix="pay")).prefill(due),
            po_form=po_form or DeskPurchaseOrderForm(prefix="po"),
        ),
        status or 200,
    )


def _back_to_desk(event: Event, registration: Registration, done: str):
    """To the desk with the person searched, so the next click checks them in."""
    state = registration.state
    outcome = (
        f"{registration.person.full_name} is confirmed: check them in."
        if state == RegistrationState.CONFIRMED
        else f"{registration.person.full_name} is still {state.phrase}."
    )
    flash(f"{done} {outcome}", "success")
    return redirect(url_for("checkin.desk", slug=event.slug, q=registration.person.full_name))
