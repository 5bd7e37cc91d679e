"""Payment providers behind one small interface.

A provider knows whether it is switched on for this install. *Invoice* is always
on (PO number or check, settled by staff); *card* is on only when both Stripe keys
are configured, so an install without Stripe never shows a card button that cannot
work. Starting a payment is a service (``summit.payments.services``), which uses
the Stripe client made here: this module imports no service.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import stripe
from flask import Flask, current_app


@runtime_checkable
class PaymentProvider(Protocol):
    """What the payment pages need from a way to pay."""

    name: str
    label: str

    def is_enabled(self, app: Flask) -> bool:
        """Whether this install offers the provider at all."""
        ...


class InvoiceProvider:
    """Purchase order or check: we issue an invoice, staff record the money."""

    name = "invoice"
    label = "Invoice (purchase order or check)"

    def is_enabled(self, app: Flask) -> bool:
        return True


class StripeProvider:
    """Card payment through Stripe Checkout, confirmed by a signed webhook."""

    name = "card"
    label = "Card (Stripe Checkout)"

    def is_enabled(self, app: Flask) -> bool:
        return bool(app.config.get("STRIPE_SECRET_KEY") and app.config.get("STRIPE_WEBHOOK_SECRET"))


PROVIDERS: tuple[PaymentProvider, ...] = (InvoiceProvider(), StripeProvider())


def enabled_providers(app: Flask | None = None) -> list[PaymentProvider]:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return [provider for provider in PROVIDERS if provider.is_enabled(app)]


def card_enabled(app: Flask | None = None) -> bool:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    return StripeProvider().is_enabled(app)


def stripe_client(app: Flask | None = None) -> stripe.StripeClient:
    """A client for this install's Stripe account.

    ``STRIPE_API_BASE`` points it elsewhere (tests run a local stand-in);
    ``STRIPE_TIMEOUT`` (seconds) and ``STRIPE_MAX_NETWORK_RETRIES`` keep a slow
    Stripe from holding an attendee's request (or a webhook) for the library's 80 s.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    base = app.config.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        app.config["STRIPE_SECRET_KEY"],
        base_addresses={"api": base} if base else None,
        max_network_retries=int(app.config["STRIPE_MAX_NETWORK_RETRIES"]),
        http_client=stripe.RequestsClient(timeout=float(app.config["STRIPE_TIMEOUT"])),
    )
