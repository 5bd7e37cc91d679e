"""Payments: invoices (PO or check), money recorded by staff, waivers, and Stripe.

Stripe is exercised for real through the official library: a local stand-in API
answers the Checkout Session calls, and webhook bodies are signed with the
library's own scheme (``t=…,v1=HMAC-SHA256(secret, "t.payload")``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import itertools
import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import stripe
from pypdf import PdfReader
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from summit.extensions import db
from summit.models import AuditLog, Invoice, Payment, Registration
from summit.payments import services
from summit.payments.errors import InvalidPayment, PaymentError
from summit.payments.money import format_cents, parse_cents
from summit.payments.providers import InvoiceProvider, PaymentProvider, StripeProvider
from tests.helpers import enter_portal, outbox, pdf_text, text

WEBHOOK_SECRET = "whsec_test_standin_secret"
WEBHOOK_URL = "/payments/stripe/webhook"


# --- helpers ------------------------------------------------------------------------------


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def fee_registration(make_event, make_registration):
    """A registration in the $50 tier, waiting for payment."""

    def factory(**overrides) -> Registration:
        event = overrides.pop("event", None) or make_event()
        fields = {"tier": event.tiers[1], "state": "awaiting_payment"}
        fields.update(overrides)
        return make_registration(event=event, **fields)

    return factory


# --- the Stripe stand-in ------------------------------------------------------------------


class StripeStandIn:
    """Just enough of Stripe's API for Checkout: create and retrieve sessions."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, str]] = []
        self.fail = False
        self._ids = itertools.count(1)
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        if self.fail:
            return self._error(500, "api_error", "Stand-in told to fail")
        if not request.headers.get("Authorization", "").startswith("Bearer sk_test_"):
            return self._error(401, "invalid_request_error", "No API key")
        if request.method == "POST" and request.path == "/v1/checkout/sessions":
            return self._json(self._create(request.form.to_dict()))
        prefix = "/v1/checkout/sessions/"
        if request.method == "GET" and request.path.startswith(prefix):
            session = self.sessions.get(request.path.removeprefix(prefix))
            if session is None:
                return self._error(404, "invalid_request_error", "No such checkout.session")
            return self._json(session)
        return self._error(404, "invalid_request_error", "Unrecognized request URL")

    def _create(self, form: dict[str, str]) -> dict[str, Any]:
        self.created.append(form)
        session_id = f"cs_test_{next(self._ids):04d}"
        self.sessions[session_id] = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "mode": form.get("mode"),
            "payment_status": "unpaid",
            "status": "open",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "customer_email": form.get("customer_email"),
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in form.items()
                if key.startswith("metadata[")
            },
            "payment_intent": None,
        }
        return self.sessions[session_id]

    def pay(self, session_id: str) -> dict[str, Any]:
        session = self.sessions[session_id]
        session.update(payment_status="paid", status="complete", payment_intent="pi_test_1")
        return session

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def _error(self, status: int, kind: str, message: str) -> Response:
        return self._json({"error": {"type": kind, "message": message}}, status)


@pytest.fixture
def stripe_api(app):
    api = StripeStandIn()
    api.start()
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_standin",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=api.url,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    yield api
    api.stop()


def signed_post(client, payload: str | bytes, *, secret: str = WEBHOOK_SECRET, timestamp=None):
    body = payload.decode() if isinstance(payload, bytes) else payload
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return client.post(
        WEBHOOK_URL,
        data=payload,
        headers={"Stripe-Signature": header},
        content_type="application/json",
    )


def completed_event(session: dict[str, Any], event_id: str = "evt_test_1", **object_overrides):
    """What Stripe posts; the body is only a hint, the handler re-fetches the session."""
    obj = {**session, **object_overrides}
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": obj},
        }
    )


def start_checkout(client, registration) -> str:
    enter_portal(client, registration.person)
    response = client.post(f"/my/registrations/{registration.id}/pay/card")
    assert response.status_code == 303, text(response)
    return response.headers["Location"].rsplit("/", 1)[1]


# --- money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("50", 5000), ("$50.00", 5000), ("1,250.5", 125050), ("0.07", 7), (" 20.25 ", 2025)],
)
def test_amounts_are_read_as_cents(typed, cents):
    assert parse_cents(typed) == cents


@pytest.mark.parametrize("typed", ["", "fifty", "-5", "5.005", "1,2", "5e3", "$"])
def test_nonsense_amounts_are_refused(typed):
    with pytest.raises(ValueError):
        parse_cents(typed)


def test_cents_read_as_dollars():
    assert format_cents(125050) == "$1,250.50"
    assert format_cents(-2000) == "-$20.00"


# --- providers ----------------------------------------------------------------------------


def test_invoice_is_always_on_and_card_needs_both_stripe_keys(app):
    assert isinstance(InvoiceProvider(), PaymentProvider)
    assert isinstance(StripeProvider(), PaymentProvider)
    assert InvoiceProvider().is_enabled(app)
    assert not StripeProvider().is_enabled(app)
    app.config["STRIPE_SECRET_KEY"] = "sk_test_x"
    assert not StripeProvider().is_enabled(app)
    app.config["STRIPE_WEBHOOK_SECRET"] = "whsec_x"
    assert StripeProvider().is_enabled(app)


def test_pay_page_offers_invoice_only_without_stripe(client, fee_registration):
    registration = fee_registration()
    enter_portal(client, registration.person)
    html = text(client.get(f"/my/registrations/{registration.id}/pay"))
    assert "Pay by invoice" in html and "$50.00" in html
    assert "Pay by card" not in html
    assert '<label class="form-label" for="purchase_order">' in html


# --- invoices -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purchase_order", "pay_by_check", "ok"),
    [("", False, False), ("   ", False, False), ("PO-4471", False, True), ("", True, True)],
)
def test_a_po_number_is_required_unless_paying_by_check(
    app, fee_registration, purchase_order, pay_by_check, ok
):
    registration = fee_registration()
    if not ok:
        with pytest.raises(InvalidPayment, match="purchase-order number"):
            services.request_invoice(
                registration,
                purchase_order=purchase_order,
                pay_by_check=pay_by_check,
                actor="test",
            )
        assert count(Invoice) == 0
        return
    invoice = services.request_invoice(
        registration, purchase_order=purchase_order, pay_by_check=pay_by_check, actor="test"
    )
    assert invoice.pay_by_check is pay_by_check
    assert invoice.purchase_order == purchase_order.strip()
    assert registration.payment_method == ("check" if pay_by_check else "invoice")


def test_invoice_numbers_are_unique_per_event_year(app, make_event, fee_registration):
    event = make_event()
    year = event.starts_on.year
    first = services.request_invoice(
        fee_registration(event=event), purchase_order="A", pay_by_check=False, actor="t"
    )
    second = services.request_invoice(
        fee_registration(event=event), purchase_order="", pay_by_check=True, actor="t"
    )
    assert first.number == f"S5-{year}-INV-000001"
    assert second.number == f"S5-{year}-INV-000002"


def test_a_second_invoice_for_one_registration_is_refused(app, fee_registration):
    registration = fee_registration()
    services.request_invoice(registration, purchase_order="PO-1", pay_by_check=False, actor="t")
    with pytest.raises(PaymentError, match="already been issued"):
        services.request_invoice(registration, purchase_order="PO-2", pay_by_check=False, actor="t")
    assert count(Invoice) == 1


@pytest.mark.parametrize("state", ["confirmed", "pending_approval", "cancelled", "waitlisted"])
def test_no_invoice_unless_awaiting_payment(app, fee_registration, state):
    registration = fee_registration(state=state)
    with pytest.raises(PaymentError):
        services.request_invoice(registration, purchase_order="", pay_by_check=True, actor="t")


def test_attendee_requests_an_invoice_and_gets_it_by_email(client, fee_registration):
    registration = fee_registration()
    enter_portal(client, registration.person)
    response = client.post(
        f"/my/registrations/{registration.id}/pay/invoice",
        data={"how": "po", "purchase_order": "PO-2027-118"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my/registrations/{registration.id}/pay"
    invoice = db.session.scalar(select(Invoice))
    assert invoice.purchase_order == "PO-2027-118" and invoice.amount_cents == 5000

    [message] = outbox("invoice")
    assert message.recipient == registration.person.email
    assert message.dedupe_key == f"invoice:{invoice.number}"
    [attachment] = message.attachments
    assert attachment["content_type"] == "application/pdf"
    assert attachment["filename"] == f"{invoice.number}.pdf"
    assert invoice.number in pdf_text(base64.b64decode(attachment["data"]))

    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "invoice.issue"))
    assert audit.actor == f"person:{registration.person.email}"
    page = text(client.get(f"/my/registrations/{registration.id}/pay"))
    assert invoice.number in page and "Download the invoice" in page


def test_missing_po_number_is_a_clear_400(client, fee_registration):
    registration = fee_registration()
    enter_portal(client, registration.person)
    response = client.post(
        f"/my/registrations/{registration.id}/pay/invoice", data={"how": "po", "purchase_order": ""}
    )
    assert response.status_code == 400
    assert "Enter your purchase-order number" in text(response)
    assert count(Invoice) == 0 and not outbox("invoice")


def test_pay_by_check_needs_no_po_number(client, fee_registration):
    registration = fee_registration()
    enter_portal(client, registration.person)
    response = client.post(
        f"/my/registrations/{registration.id}/pay/invoice", data={"how": "check"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Invoice)).pay_by_check is True


def test_invoice_pdf_shows_organisation_number_amounts_and_instructions(app, fee_registration):
    app.config["INVOICE_PAYMENT_INSTRUCTIONS"] = "Checks payable to ESD 105, attn SSOCC."
    registration = fee_registration()
    invoice = services.request_invoice(
        registration, purchase_order="PO-77", pay_by_check=False, actor="t"
    )
    content = pdf_text(services.invoice_pdf(invoice))
    for expected in (
        "ESD 105",
        invoice.number,
        "$50.00",
        "PO-77",
        registration.person.full_name,
        registration.person.agency,
        registration.event.name,
        "Balance due",
        "Checks payable to ESD 105, attn SSOCC.",
    ):
        assert expected in content, expected
    reader = PdfReader(io.BytesIO(services.invoice_pdf(invoice)))
    assert reader.metadata.title == f"Invoice {invoice.number}"


def test_invoice_prints_the_esd_terms_and_each_detail_once(
    app, make_event, fee_registration, make_person
):
    """What a district's accounts-payable office reads: no placeholders, no repeats,
    the phone whole, and a due date the payment terms give."""
    app.config.update(
        ORGANISATION_ADDRESS="33 South 2nd Avenue, Yakima, WA 98902",
        ORGANISATION_PHONE="509-575-2885",
        INVOICE_DUE_DAYS=30,
        INVOICE_PAYEE="Educational Service District 105",
        INVOICE_REMIT_TO="ESD 105 Business Office, 33 South 2nd Avenue, Yakima, WA 98902",
    )
    person = make_person(agency="Wapato School District", phone="+1 509-972-6000")
    registration = fee_registration(person=person, school_district="Wapato School District")
    invoice = services.request_invoice(
        registration, purchase_order="PO-9", pay_by_check=False, actor="t"
    )
    content = pdf_text(services.invoice_pdf(invoice))
    lines = content.splitlines()

    assert "placeholder" not in content
    assert content.count("Wapato School District") == 1
    assert "+1 509-972-6000" in lines  # on a line of its own, not split after "+1"
    assert content.count("509-575-2885") == 1
    assert "33 South 2nd Avenue, Yakima, WA 98902" in lines
    issued = invoice.created_at.astimezone(registration.event.tz).date()
    due = issued + timedelta(days=30)
    assert f"Due date {due:%B} {due.day}, {due.year} (30 days)" in lines
    flat = " ".join(lines)
    assert "Make checks payable to Educational Service District 105" in flat
    assert "Mail checks to ESD 105 Business Office, 33 South 2nd Avenue" in flat


def test_invoice_leaves_out_what_is_not_configured(app, fee_registration, make_person):
    app.config.update(ORGANISATION_ADDRESS="", ORGANISATION_PHONE="", INVOICE_DUE_DAYS=None)
    person = make_person(agency="Yakima Police Department", phone="")
    registration = fee_registration(person=person, school_district="Yakima School District")
    invoice = services.request_invoice(
        registration, purchase_order="PO-10", pay_by_check=False, actor="t"
    )
    content = pdf_text(services.invoice_pdf(invoice))

    assert "Due date" not in content
    assert "Mail checks to" not in content  # no address to mail them to
    assert "Make checks payable to ESD 105" in content
    assert "Yakima Police Department" in content and "Yakima School District" in content
    assert not any(line.strip() in {"", "·"} or line.endswith("·") for line in content.splitlines())


def test_payment_due_on_receipt(app, fee_registration):
    app.config["INVOICE_DUE_DAYS"] = 0
    invoice = services.request_invoice(
        fee_registration(), purchase_order="PO-11", pay_by_check=False, actor="t"
    )
    assert "(due on receipt)" in pdf_text(services.invoice_pdf(invoice))


def test_invoice_pdf_shows_what_is_paid_and_left(app, fee_registration, make_staff):
    registration = fee_registration()
    invoice = services.request_invoice(
        registration, purchase_order="", pay_by_check=True, actor="t"
    )
    services.record_payment(registration, amount_cents=2000, method="check", actor=make_staff())
    content = pdf_text(services.invoice_pdf(invoice))
    assert "$20.00" in content and "$30.00" in content and "Pay by check" in content


def test_invoice_download_is_for_its_owner(client, fee_registration, make_person):
    registration = fee_registration()
    services.request_invoice(registration, purchase_order="PO-1", pay_by_check=False, actor="t")
    url = f"/my/registrations/{registration.id}/invoice.pdf"

    assert client.get(url).status_code == 302  # nobody signed in: asked to sign in

    enter_portal(client, make_person())
    assert client.get(url).status_code == 404  # someone else: as if it did not exist

    enter_portal(client, registration.person)
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.data.startswith(b"%PDF")


def test_admins_can_download_any_invoice(client, auth, fee_registration):
    registration = fee_registration()
    services.request_invoice(registration, purchase_order="PO-1", pay_by_check=False, actor="t")
    auth.as_role("admin")
    response = client.get(f"/my/registrations/{registration.id}/invoice.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    page = client.get(f"/staff/registrations/{registration.id}").get_data(as_text=True)
    assert f"/my/registrations/{registration.id}/invoice.pdf" in page


def test_checkin_staff_see_the_amount_due_but_not_the_invoice(client, auth, fee_registration):
    """Billing is for admins (issue 14, item 16): the desk needs the balance, not the PDF."""
    registration = fee_registration()
    services.request_invoice(registration, purchase_order="PO-1", pay_by_check=False, actor="t")
    auth.as_role("checkin")
    assert client.get(f"/my/registrations/{registration.id}/invoice.pdf").status_code == 403
    page = client.get(f"/staff/registrations/{registration.id}")
    assert page.status_code == 200
    assert "Amount due" in page.get_data(as_text=True)
    assert "invoice.pdf" not in page.get_data(as_text=True)


def test_no_invoice_yet_is_404(client, fee_registration):
    registration = fee_registration()
    enter_portal(client, registration.person)
    assert client.get(f"/my/registrations/{registration.id}/invoice.pdf").status_code == 404


def test_pay_pages_of_someone_else_are_404(client, fee_registration, make_person):
    registration = fee_registration()
    enter_portal(client, make_person())
    base = f"/my/registrations/{registration.id}"
    assert client.get(f"{base}/pay").status_code == 404
    assert client.get(f"{base}/pay/done").status_code == 404
    assert client.post(f"{base}/pay/invoice", data={"how": "check"}).status_code == 404
    assert count(Invoice) == 0


# --- money recorded by staff --------------------------------------------------------------


def test_paid_in_full_confirms_and_emails(app, fee_registration, make_staff):
    registration = fee_registration()
    staff = make_staff()
    payment = services.record_payment(
        registration, amount_cents=5000, method="check", reference="CHK 1001", actor=staff
    )
    assert registration.state == "confirmed" and registration.amount_due_cents == 0
    assert payment.recorded_by_id == staff.id
    assert len(outbox("payment_received")) == 1
    actions = set(db.session.scalars(select(AuditLog.action)))
    assert {"payment.record", "registration.state"} <= actions


def test_part_payment_leaves_the_balance_due(app, fee_registration, make_staff):
    registration = fee_registration()
    staff = make_staff()
    services.record_payment(registration, amount_cents=2000, method="invoice", actor=staff)
    assert registration.state == "awaiting_payment"
    assert registration.amount_due_cents == 3000
    assert not outbox("payment_received")
    services.record_payment(registration, amount_cents=3000, method="check", actor=staff)
    assert registration.state == "confirmed"
    assert [p.amount_cents for p in registration.payments] == [2000, 3000]


def test_waiver_confirms_with_the_reason_kept(app, fee_registration, make_staff):
    registration = fee_registration()
    payment = services.waive_fee(registration, reason="Presenter", actor=make_staff())
    assert registration.state == "confirmed"
    assert (payment.method, payment.amount_cents, payment.note) == ("waiver", 5000, "Presenter")


@pytest.mark.parametrize(
    ("amount", "method", "message"),
    [
        (0, "check", "greater than zero"),
        (-100, "check", "greater than zero"),
        (5001, "check", "more than the balance"),
        (100, "bitcoin", "Unknown payment method"),
    ],
)
def test_bad_payments_are_refused(app, fee_registration, make_staff, amount, method, message):
    registration = fee_registration()
    with pytest.raises(InvalidPayment, match=message):
        services.record_payment(
            registration, amount_cents=amount, method=method, actor=make_staff()
        )
    assert count(Payment) == 0


def test_refund_is_stored_negative(app, fee_registration, make_staff):
    registration = fee_registration()
    staff = make_staff()
    services.record_payment(registration, amount_cents=5000, method="check", actor=staff)
    refund = services.record_payment(registration, amount_cents=5000, method="refund", actor=staff)
    assert refund.amount_cents == -5000
    assert registration.amount_due_cents == 5000


def test_nothing_due_and_cancelled_are_refused(app, fee_registration, make_staff):
    paid = fee_registration()
    services.waive_fee(paid, reason="test", actor="t")
    with pytest.raises(PaymentError, match="Nothing is due"):
        services.record_payment(paid, amount_cents=100, method="check", actor=make_staff())
    with pytest.raises(PaymentError, match="cancelled"):
        services.waive_fee(fee_registration(state="cancelled"), reason="x", actor=make_staff())
    with pytest.raises(InvalidPayment, match="why"):
        services.waive_fee(fee_registration(), reason="  ", actor=make_staff())


def test_a_reference_is_recorded_once_per_registration(app, fee_registration, make_staff):
    staff = make_staff()
    registration = fee_registration()
    services.record_payment(
        registration, amount_cents=100, method="check", reference="CHK-9", actor=staff
    )
    with pytest.raises(PaymentError, match="already recorded for this registration"):
        services.record_payment(
            registration, amount_cents=100, method="check", reference=" CHK-9 ", actor=staff
        )
    assert count(Payment) == 1


def test_two_districts_may_pay_with_the_same_check_number(app, fee_registration, make_staff):
    """Check numbers are per bank account: 1001 from two districts is two payments."""
    staff = make_staff()
    first, second = fee_registration(), fee_registration()
    for registration in (first, second):
        services.record_payment(
            registration, amount_cents=5000, method="check", reference="1001", actor=staff
        )
    assert count(Payment) == 2
    assert first.amount_due_cents == second.amount_due_cents == 0


def test_payments_have_no_edit_or_delete_path(app):
    """Append-only: no route may change or remove a payment, and no service offers to."""
    money_rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("payments.", "admin.")) or "payment" in rule.rule
    ]
    assert money_rules
    for rule in money_rules:
        assert not (rule.methods or set()) & {"PUT", "PATCH", "DELETE"}, rule
        assert not any(word in rule.rule for word in ("edit", "delete", "update")), rule
    public = [name for name in dir(services) if not name.startswith("_")]
    assert not [name for name in public if "delete" in name or "update" in name or "edit" in name]


# --- Stripe: starting a checkout ----------------------------------------------------------


def test_card_button_opens_a_checkout_session(client, fee_registration, stripe_api):
    registration = fee_registration()
    session_id = start_checkout(client, registration)
    [sent] = stripe_api.created
    assert sent["metadata[registration_id]"] == str(registration.id)
    assert sent["line_items[0][price_data][unit_amount]"] == "5000"
    assert sent["success_url"] == (
        f"https://summit.example/my/registrations/{registration.id}/pay/done"
        "?session_id={CHECKOUT_SESSION_ID}"
    )
    assert session_id.startswith("cs_test_")
    db.session.refresh(registration)
    assert registration.payment_method == "card" and registration.state == "awaiting_payment"

    page = client.get(f"/my/registrations/{registration.id}/pay/done?session_id={session_id}")
    assert "Payment is being confirmed" in text(page)


def test_pay_page_shows_card_when_configured(client, fee_registration, stripe_api):
    registration = fee_registration()
    enter_portal(client, registration.person)
    assert "Pay by card" in text(client.get(f"/my/registrations/{registration.id}/pay"))


def test_stripe_down_is_a_clear_message_not_a_500(client, fee_registration, stripe_api):
    registration = fee_registration()
    enter_portal(client, registration.person)
    stripe_api.fail = True
    response = client.post(f"/my/registrations/{registration.id}/pay/card")
    assert response.status_code == 503
    assert "Card payment is not available just now" in text(response)


# --- Stripe: the webhook ------------------------------------------------------------------


def test_paid_session_is_recorded_once_and_confirms(client, fee_registration, stripe_api):
    registration = fee_registration()
    session_id = start_checkout(client, registration)
    session = stripe_api.pay(session_id)

    response = signed_post(client, completed_event(session))
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "outcome": "recorded"}
    payment = db.session.scalar(select(Payment))
    assert (payment.method, payment.amount_cents, payment.reference) == ("card", 5000, session_id)
    db.session.refresh(registration)
    assert registration.state == "confirmed"
    assert len(outbox("payment_received")) == 1

    page = client.get(f"/my/registrations/{registration.id}/pay/done?session_id={session_id}")
    assert "has been received" in text(page)


def test_same_event_twice_or_another_event_for_the_session_records_once(
    client, fee_registration, stripe_api
):
    registration = fee_registration()
    session = stripe_api.pay(start_checkout(client, registration))
    first = completed_event(session, "evt_1")
    assert signed_post(client, first).get_json()["outcome"] == "recorded"
    assert signed_post(client, first).get_json()["outcome"] == "duplicate"
    again = json.loads(completed_event(session, "evt_2"))
    again["type"] = "checkout.session.async_payment_succeeded"
    response = signed_post(client, json.dumps(again))
    assert response.status_code == 200 and response.get_json()["outcome"] == "duplicate"
    assert count(Payment) == 1
    assert len(outbox("payment_received")) == 1


def _unchanged(registration: Registration) -> None:
    db.session.expire_all()
    assert count(Payment) == 0
    assert db.session.get(Registration, registration.id).state == "awaiting_payment"


@pytest.mark.parametrize("how", ["wrong_secret", "tampered_body", "missing", "stale", "garbage"])
def test_forged_webhook_is_400_and_changes_nothing(client, fee_registration, stripe_api, how):
    registration = fee_registration()
    session = stripe_api.pay(start_checkout(client, registration))
    payload = completed_event(session)
    if how == "wrong_secret":
        response = signed_post(client, payload, secret="whsec_attacker")
    elif how == "stale":
        response = signed_post(client, payload, timestamp=int(time.time()) - 3600)
    elif how == "tampered_body":
        header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
        response = client.post(
            WEBHOOK_URL,
            data=payload.replace("evt_test_1", "evt_test_9"),
            headers={"Stripe-Signature": header},
            content_type="application/json",
        )
    elif how == "garbage":
        response = client.post(
            WEBHOOK_URL,
            data=payload,
            headers={"Stripe-Signature": "t=abc,v1=zzz"},
            content_type="application/json",
        )
    else:
        response = client.post(WEBHOOK_URL, data=payload, content_type="application/json")
    assert response.status_code == 400
    assert "signature" in response.get_json()["error"]["message"]
    _unchanged(registration)


def test_signature_scheme_is_hmac_sha256_of_timestamp_and_body(
    client, fee_registration, stripe_api
):
    """Signed by hand, exactly as Stripe documents it, without the library's helper."""
    registration = fee_registration()
    session = stripe_api.pay(start_checkout(client, registration))
    payload = completed_event(session)
    timestamp = int(time.time())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    response = client.post(
        WEBHOOK_URL,
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": f"t={timestamp},v1={digest}"},
    )
    assert response.status_code == 200 and count(Payment) == 1


def test_event_body_is_not_trusted_the_session_is_refetched(client, fee_registration, stripe_api):
    """The body claims "paid" but Stripe says the session is unpaid: nothing is recorded."""
    registration = fee_registration()
    session_id = start_checkout(client, registration)
    body = completed_event(stripe_api.sessions[session_id], payment_status="paid")
    response = signed_post(client, body)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "not_paid"
    _unchanged(registration)


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", '"just a string"'])
def test_malformed_signed_body_is_400(client, fee_registration, stripe_api, payload):
    registration = fee_registration()
    response = signed_post(client, payload)
    assert response.status_code == 400
    assert "JSON event" in response.get_json()["error"]["message"]
    _unchanged(registration)


def test_event_without_a_session_id_is_400(client, fee_registration, stripe_api):
    body = json.dumps({"id": "evt_x", "type": "checkout.session.completed", "data": {}})
    response = signed_post(client, body)
    assert response.status_code == 400
    assert count(Payment) == 0


def test_unknown_session_records_nothing(client, fee_registration, stripe_api):
    registration = fee_registration()
    body = completed_event({"id": "cs_test_nonexistent", "payment_status": "paid"})
    response = signed_post(client, body)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "unknown_session"
    _unchanged(registration)


def test_amount_that_does_not_match_is_refused_and_audited(client, fee_registration, stripe_api):
    registration = fee_registration()
    session = stripe_api.pay(start_checkout(client, registration))
    session["amount_total"] = 100  # Stripe took a different amount than we asked for
    response = signed_post(client, completed_event(session))
    assert response.get_json()["outcome"] == "mismatch"
    _unchanged(registration)
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "payment.card_refused"))
    assert audit.object_id == registration.id and "amount" in audit.after["problem"]


def test_other_event_types_are_acknowledged_and_ignored(client, stripe_api):
    body = json.dumps({"id": "evt_x", "type": "customer.created", "data": {"object": {}}})
    response = signed_post(client, body)
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"


def test_stripe_unreachable_on_refetch_asks_stripe_to_retry(client, fee_registration, stripe_api):
    registration = fee_registration()
    session = stripe_api.pay(start_checkout(client, registration))
    stripe_api.fail = True
    response = signed_post(client, completed_event(session))
    assert response.status_code == 503
    _unchanged(registration)
    stripe_api.fail = False
    assert signed_post(client, completed_event(session)).get_json()["outcome"] == "recorded"


def test_webhook_is_404_when_stripe_is_not_configured(client):
    response = client.post(WEBHOOK_URL, data="{}", content_type="application/json")
    assert response.status_code == 404


def test_webhook_needs_no_csrf_token_but_forms_do(make_app, fee_registration):
    """With CSRF on, the webhook still works and an attendee form without a token does not."""
    app = make_app(WTF_CSRF_ENABLED=True)
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    client = app.test_client()
    with app.app_context():
        body = json.dumps({"id": "evt_x", "type": "customer.created", "data": {"object": {}}})
        assert signed_post(client, body).status_code == 200
        assert client.post("/my/registrations/1/pay/invoice").status_code == 400
