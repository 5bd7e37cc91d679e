"""Payment rules in one place: invoices, money recorded by staff, waivers and Stripe.

Payments are append-only rows; a registration's state follows their sum through
``summit.registration.services.payment_recorded`` (the one place that confirms).
Every service here commits once and writes the audit log; none sees a request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from summit import audit
from summit.documents import render_pdf
from summit.extensions import db
from summit.mail import queue_registration_email
from summit.mail.content import Attachment
from summit.models import Invoice, Payment, Registration, RegistrationState, StaffUser
from summit.payments.errors import (
    CardPaymentsUnavailable,
    InvalidPayment,
    PaymentError,
    WebhookPayloadError,
)
from summit.payments.money import format_cents
from summit.payments.providers import card_enabled, stripe_client
from summit.registration.services import change_state, payment_recorded
from summit.transactions import write_transaction
from summit.urls import absolute_url

Actor = StaffUser | str

PAYMENT_METHODS = ("invoice", "check", "cash", "card", "waiver", "refund")
# Methods staff may record by hand from the registrations page.
MANUAL_METHODS = ("check", "invoice")
# What door staff take at the desk; a check needs its number, for the books.
DESK_METHODS = ("cash", "check")
# Stripe events that mean "a Checkout Session may now be paid".
PAID_SESSION_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
STRIPE_ACTOR = "stripe:webhook"
_INVOICE_NUMBER_ATTEMPTS = 5


# --- invoices ---------------------------------------------------------------------------


@write_transaction()
def request_invoice(
    registration: Registration, *, purchase_order: str, pay_by_check: bool, actor: Actor
) -> Invoice:
    """Issue the registration's invoice and email it as a PDF.

    A purchase-order number is required unless the attendee pays by check, because
    agencies' accounts-payable offices will not pay an invoice without one.
    """
    purchase_order = purchase_order.strip()
    if not pay_by_check and not purchase_order:
        raise InvalidPayment("Enter your purchase-order number, or choose to pay by check.")
    if len(purchase_order) > 100:
        raise InvalidPayment("The purchase-order number is too long (100 characters at most).")
    _require_balance(registration)
    if registration.state != RegistrationState.AWAITING_PAYMENT:
        raise PaymentError("This registration is not waiting for payment.")
    if invoice_for(registration) is not None:
        raise PaymentError(
            "An invoice has already been issued for this registration. Download it below, "
            "or contact us to change the purchase-order number."
        )
    invoice = _insert_invoice(
        registration, purchase_order=purchase_order, pay_by_check=pay_by_check
    )
    registration.payment_method = "check" if pay_by_check else "invoice"
    audit.record(
        "invoice.issue",
        invoice,
        after={
            "number": invoice.number,
            "amount_cents": invoice.amount_cents,
            "purchase_order": purchase_order,
            "pay_by_check": pay_by_check,
        },
        actor=actor,
        event_id=registration.event_id,
    )
    queue_registration_email(
        registration,
        "invoice",
        dedupe_key=f"invoice:{invoice.number}",
        attachments=[invoice_attachment(invoice)],
        context=invoice_mail_context(invoice),
    )
    if purchase_order and registration.event.confirm_on_purchase_order:
        # The district pays by the invoice's due date, often after the event.
        change_state(registration, RegistrationState.CONFIRMED, actor=actor, email_kind="confirmed")
    return invoice


def invoice_for(registration: Registration) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.registration_id == registration.id))


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as it stands now: amounts paid and the balance are read live."""
    number = invoice.number
    return render_pdf(
        "documents/invoice.html",
        invoice_context(invoice),
        title=f"Invoice {number}",
        subject=f"Invoice {number} for {invoice.registration.event.name}",
    )


def invoice_filename(invoice: Invoice) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", invoice.number).strip("-") + ".pdf"


def invoice_attachment(invoice: Invoice) -> Attachment:
    return Attachment(invoice_filename(invoice), "application/pdf", invoice_pdf(invoice))


def invoice_mail_context(invoice: Invoice) -> dict[str, Any]:
    """What the ``invoice`` email says beside the attached PDF."""
    return {
        "invoice": invoice,
        "invoice_number": invoice.number,
        "invoice_amount": format_cents(invoice.amount_cents),
        "invoice_url": absolute_url(
            "payments.invoice_pdf", registration_id=invoice.registration_id
        ),
        "payment_instructions": payment_instructions(),
    }


def invoice_context(invoice: Invoice) -> dict[str, Any]:
    """Everything the invoice template prints, with money already formatted.

    Empty settings print nothing (no placeholder lines), and the district is left
    out when it only repeats the agency, as it does for district staff.
    """
    registration = invoice.registration
    config = current_app.config
    paid = sum(payment.amount_cents for payment in registration.payments)
    issued_on = invoice.created_at.astimezone(registration.event.tz).date()
    due_days = config.get("INVOICE_DUE_DAYS")
    person = registration.person
    district = registration.school_district.strip()
    if district.casefold() == (person.agency or "").strip().casefold():
        district = ""
    return {
        "invoice": invoice,
        "registration": registration,
        "event": registration.event,
        "tier": registration.tier,
        "person": person,
        "district": district,
        "issued_on": issued_on,
        "due_days": due_days,
        "due_on": issued_on + timedelta(days=due_days) if due_days is not None else None,
        "amount": format_cents(invoice.amount_cents),
        "paid": format_cents(paid),
        "balance": format_cents(registration.amount_due_cents),
        "is_settled": registration.amount_due_cents == 0,
        "org": {
            key.lower(): (config.get(f"ORGANISATION_{key}") or "").strip()
            for key in ("NAME", "UNIT", "ADDRESS", "EMAIL", "PHONE")
        },
        "instructions": payment_instructions(),
    }


def payment_instructions() -> str:
    """``INVOICE_PAYMENT_INSTRUCTIONS``, or sentences built from the payee, the remit-to
    address and the organisation's email, leaving out any that is not configured."""
    config = current_app.config
    configured = config.get("INVOICE_PAYMENT_INSTRUCTIONS")
    if configured:
        return str(configured)
    name = config["ORGANISATION_NAME"]
    payee = (config.get("INVOICE_PAYEE") or "").strip() or name
    remit_to = (config.get("INVOICE_REMIT_TO") or "").strip()
    address = (config.get("ORGANISATION_ADDRESS") or "").strip()
    if not remit_to and address:
        remit_to = ", ".join(
            part for part in (name, config.get("ORGANISATION_UNIT"), address) if part
        )
    email = (config.get("ORGANISATION_EMAIL") or "").strip()
    sentences = [f"Make checks payable to {payee} and write the invoice number on the check."]
    if remit_to:
        sentences.append(f"Mail checks to {remit_to}.")
    if email:
        sentences.append(f"Send purchase orders or questions to {email}.")
    return " ".join(sentences)


def _insert_invoice(
    registration: Registration, *, purchase_order: str, pay_by_check: bool
) -> Invoice:
    """Add the invoice under the next free number; two at once retry instead of colliding."""
    for _ in range(_INVOICE_NUMBER_ATTEMPTS):
        invoice = Invoice(
            registration=registration,
            number=_next_invoice_number(registration.event.starts_on.year),
            amount_cents=registration.tier.price_cents,
            purchase_order=purchase_order,
            pay_by_check=pay_by_check,
        )
        try:
            with db.session.begin_nested():
                db.session.add(invoice)
        except IntegrityError:
            if invoice_for(registration) is not None:
                raise PaymentError(
                    "An invoice has already been issued for this registration."
                ) from None
            continue
        return invoice
    raise PaymentError("Could not number the invoice just now. Please try again.")


def _next_invoice_number(year: int) -> str:
    """``S5-2027-INV-000123``: per event year, zero-padded so text order is number order."""
    prefix = f"{current_app.config['INVOICE_NUMBER_PREFIX']}-{year}-INV-"
    last = db.session.scalar(
        select(Invoice.number)
        .where(Invoice.number.startswith(prefix, autoescape=True))
        .order_by(Invoice.number.desc())
        .limit(1)
    )
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


# --- money recorded by staff ------------------------------------------------------------


@write_transaction()
def record_payment(
    registration: Registration,
    *,
    amount_cents: int,
    method: str,
    reference: str | None = None,
    note: str = "",
    actor: Actor,
) -> Payment:
    """Add a payment (full or partial) and let the registration's state follow.

    Refunds are stored as negative amounts; everything else must be positive and
    no more than the balance, so a typo cannot make the books disagree silently.
    """
    if method not in PAYMENT_METHODS:
        raise InvalidPayment(f"Unknown payment method {method!r}.")
    if method == "refund":
        if amount_cents == 0:
            raise InvalidPayment("Enter the amount refunded.")
        amount_cents = -abs(amount_cents)
    else:
        if amount_cents <= 0:
            raise InvalidPayment("Enter an amount greater than zero.")
        due = _require_balance(registration)
        if amount_cents > due:
            raise InvalidPayment(f"That is more than the balance due ({format_cents(due)}).")
    payment = _append_payment(
        registration,
        amount_cents=amount_cents,
        method=method,
        reference=reference,
        note=note,
        actor=actor,
    )
    payment_recorded(registration, actor=actor)
    return payment


def take_desk_payment(
    registration: Registration,
    *,
    method: str,
    amount_cents: int,
    reference: str = "",
    actor: Actor,
) -> Payment:
    """Cash or a check handed over at the door: recorded like any payment, so a fee-tier
    walk-in paid in full is confirmed and can be checked in at once."""
    if method not in DESK_METHODS:
        raise InvalidPayment("At the desk, take cash or a check.")
    if method == "check" and not reference.strip():
        raise InvalidPayment("Enter the check number.")
    return record_payment(
        registration,
        amount_cents=amount_cents,
        method=method,
        reference=reference,
        note="Taken at the check-in desk.",
        actor=actor,
    )


@write_transaction()
def waive_fee(registration: Registration, *, reason: str, actor: Actor) -> Payment:
    """Forgive the balance (a waiver row for the amount due), e.g. a presenter's fee."""
    reason = reason.strip()
    if not reason:
        raise InvalidPayment("Say why the fee is waived; it is kept in the audit log.")
    due = _require_balance(registration)
    payment = _append_payment(
        registration, amount_cents=due, method="waiver", reference=None, note=reason, actor=actor
    )
    payment_recorded(registration, actor=actor)
    return payment


def _require_balance(registration: Registration) -> int:
    if not registration.state.is_active:
        raise PaymentError("This registration is cancelled.")
    due = registration.amount_due_cents
    if due <= 0:
        raise PaymentError("Nothing is due on this registration.")
    return due


def _append_payment(
    registration: Registration,
    *,
    amount_cents: int,
    method: str,
    reference: str | None,
    note: str,
    actor: Actor,
) -> Payment:
    """Insert one payment row and its audit entry; a reference entered twice is refused."""
    reference = (reference or "").strip() or None
    if reference and _payment_with_reference(registration, method, reference) is not None:
        raise _reference_recorded(method, reference)
    payment = Payment(
        registration_id=registration.id,
        amount_cents=amount_cents,
        method=method,
        reference=reference,
        note=note.strip(),
        recorded_by_id=actor.id if isinstance(actor, StaffUser) else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError:  # only the savepoint is rolled back; the caller's block ends
        raise _reference_recorded(method, reference) from None
    db.session.expire(registration, ["payments"])  # the next read sees the new row
    audit.record(
        "payment.record",
        payment,
        after={
            "registration_id": registration.id,
            "amount_cents": amount_cents,
            "method": method,
            "reference": reference,
            "note": payment.note,
        },
        actor=actor,
        event_id=registration.event_id,
    )
    return payment


def _payment_with_reference(
    registration: Registration, method: str, reference: str
) -> Payment | None:
    """The same check or Stripe session already on this registration: a double entry.

    Another registration may carry the same reference (two districts' check 1001).
    """
    return db.session.scalar(
        select(Payment).where(
            Payment.registration_id == registration.id,
            Payment.method == method,
            Payment.reference == reference,
        )
    )


def _card_session_recorded(session_id: str) -> bool:
    """Stripe session ids are unique across Stripe, so any registration's row counts."""
    found = select(Payment.id).where(Payment.method == "card", Payment.reference == session_id)
    return db.session.scalar(found.limit(1)) is not None


def _reference_recorded(method: str, reference: str) -> PaymentError:
    return PaymentError(
        f"A {method} payment with reference {reference!r} is already recorded "
        "for this registration."
    )


# --- Stripe -----------------------------------------------------------------------------


def create_checkout_session(registration: Registration) -> str:
    """Open a Stripe Checkout Session for the balance and return its URL.

    The registration id and amount travel in the session's metadata, which the
    webhook reads back from Stripe (never from the event body) before recording.
    """
    if not card_enabled():
        raise CardPaymentsUnavailable("Card payment is not available. Please choose an invoice.")
    due = _require_balance(registration)
    if registration.state != RegistrationState.AWAITING_PAYMENT:
        raise PaymentError("This registration is not waiting for payment.")
    try:
        session = stripe_client().v1.checkout.sessions.create(
            params=_session_params(registration, due)
        )
    except stripe.StripeError as error:
        current_app.logger.warning("Stripe refused a checkout session: %s", error)
        raise CardPaymentsUnavailable(
            "Card payment is not available just now. Please try again later or choose an invoice."
        ) from None
    with write_transaction():  # after Stripe answered: no lock held across the call
        registration.payment_method = "card"
        audit.record(
            "payment.checkout_start",
            registration,
            after={"session_id": session.id, "amount_cents": due},
            actor=f"person:{registration.person.email}",
        )
    return str(session.url)


def _session_params(registration: Registration, due: int) -> dict[str, Any]:
    event, tier = registration.event, registration.tier
    metadata = {"registration_id": str(registration.id), "amount_cents": str(due)}
    return_url = absolute_url("payments.returned", registration_id=registration.id)
    return {
        "mode": "payment",
        "customer_email": registration.person.email,
        "client_reference_id": str(registration.id),
        "metadata": metadata,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": tier.currency.lower(),
                    "unit_amount": due,
                    "product_data": {"name": f"{event.name}: {tier.name}"},
                },
            }
        ],
        # Stripe fills in {CHECKOUT_SESSION_ID}; url_for would escape the braces.
        "success_url": return_url + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": absolute_url("payments.pay", registration_id=registration.id),
    }


def handle_stripe_event(event: Mapping[str, Any]) -> str:
    """Act on a signature-verified Stripe event; returns what happened, for the log.

    The event body is only a hint: the session is fetched again from Stripe and
    only what Stripe says now is trusted. The session id is the payment's unique
    reference, so a repeated delivery (or another event about the same session)
    records nothing new.
    """
    if event.get("type") not in PAID_SESSION_EVENTS:
        return "ignored"
    session_id = _session_id(event)
    if _card_session_recorded(session_id):
        return "duplicate"
    session = _fetch_session(session_id)
    if session is None:
        current_app.logger.warning(
            "Stripe event %s names unknown session %s", event.get("id"), session_id
        )
        return "unknown_session"
    if session.get("payment_status") != "paid":
        return "not_paid"
    registration = _session_registration(session)
    if registration is None:
        current_app.logger.warning("Stripe session %s names no registration here", session_id)
        return "unknown_registration"
    problem = _session_problem(session, registration)
    if problem:
        _audit_refused_session(registration, session_id, problem)
        return "mismatch"
    return _record_card_payment(registration, session, event_id=str(event.get("id", "")))


def _session_id(event: Mapping[str, Any]) -> str:
    data = event.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    session_id = obj.get("id") if isinstance(obj, Mapping) else None
    if not isinstance(session_id, str) or not session_id.startswith("cs_") or len(session_id) > 200:
        raise WebhookPayloadError("The event carries no Checkout Session id.")
    return session_id


def _fetch_session(session_id: str) -> dict[str, Any] | None:
    """The session as Stripe has it now, as a plain dict; ``None`` if Stripe does not know it."""
    try:
        session = stripe_client().v1.checkout.sessions.retrieve(session_id)
    except stripe.InvalidRequestError:
        return None
    except stripe.StripeError as error:
        current_app.logger.warning("Could not re-fetch Stripe session %s: %s", session_id, error)
        raise CardPaymentsUnavailable(
            "Stripe did not answer; deliver the event again later."
        ) from None
    return session.to_dict()


def _session_registration(session: Mapping[str, Any]) -> Registration | None:
    metadata = session.get("metadata") or {}
    raw = str(metadata.get("registration_id", ""))
    if not raw.isdigit():
        return None
    return db.session.get(Registration, int(raw))


def _session_problem(session: Mapping[str, Any], registration: Registration) -> str:
    """Why a paid session cannot be this registration's payment; empty when it can."""
    amount = session.get("amount_total")
    metadata = session.get("metadata") or {}
    if session.get("client_reference_id") not in (None, str(registration.id)):
        return "client_reference_id differs from the metadata registration id"
    if not isinstance(amount, int) or amount <= 0:
        return f"amount_total {amount!r} is not a positive amount"
    if str(metadata.get("amount_cents")) != str(amount):
        return (
            f"amount_total {amount} differs from the amount asked ({metadata.get('amount_cents')})"
        )
    if amount > registration.tier.price_cents:
        return f"amount_total {amount} is more than the tier's price"
    if str(session.get("currency", "")).lower() != registration.tier.currency.lower():
        return f"currency {session.get('currency')!r} is not the tier's"
    return ""


@write_transaction()
def _audit_refused_session(registration: Registration, session_id: str, problem: str) -> None:
    """Keep a trace for staff: money may have moved that we would not book."""
    current_app.logger.warning("Refused Stripe session %s: %s", session_id, problem)
    audit.record(
        "payment.card_refused",
        registration,
        after={"session_id": session_id, "problem": problem},
        actor=STRIPE_ACTOR,
    )


def _record_card_payment(
    registration: Registration, session: Mapping[str, Any], *, event_id: str
) -> str:
    note = f"Stripe Checkout; event {event_id}"
    if session.get("payment_intent"):
        note += f"; payment intent {session.get('payment_intent')}"
    try:
        with write_transaction():
            _append_payment(
                registration,
                amount_cents=int(session["amount_total"]),
                method="card",
                reference=str(session["id"]),
                note=note,
                actor=STRIPE_ACTOR,
            )
            payment_recorded(registration, actor=STRIPE_ACTOR)
    except PaymentError:
        return "duplicate"  # another delivery of the same session won the race
    return "recorded"


# --- what the pages show ----------------------------------------------------------------


def payment_summary(registration: Registration) -> dict[str, Any]:
    """Price, paid and balance for pages: one place that adds the rows up."""
    paid = sum(payment.amount_cents for payment in registration.payments)
    return {
        "price_cents": registration.tier.price_cents,
        "paid_cents": paid,
        "due_cents": registration.amount_due_cents,
        "last_payment_at": max(
            (payment.created_at for payment in registration.payments), default=None
        ),
    }


def checkout_pending(registration: Registration) -> bool:
    """Card chosen and still awaiting payment: Stripe's webhook has not landed yet."""
    return (
        registration.payment_method == "card"
        and registration.state == RegistrationState.AWAITING_PAYMENT
        and registration.amount_due_cents > 0
    )
