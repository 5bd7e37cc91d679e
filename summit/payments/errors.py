"""Domain errors of payment. Each carries the message a person should read."""

from __future__ import annotations

from summit.registration.errors import RegistrationError


class PaymentError(RegistrationError):
    """A payment rule said no (nothing due, cancelled, duplicate reference)."""

    status_code = 409


class InvalidPayment(PaymentError):
    """The values given cannot be a payment (amount, missing PO number, reason)."""

    status_code = 400


class CardPaymentsUnavailable(PaymentError):
    """Stripe is not configured here, or did not answer."""

    status_code = 503


class WebhookPayloadError(PaymentError):
    """A signed webhook whose content is not what Stripe sends."""

    status_code = 400
