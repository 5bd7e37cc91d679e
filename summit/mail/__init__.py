"""The mail outbox. Services queue messages here inside their transaction.

``queue_registration_email`` and ``queue_person_email`` are the calls services
make; each writes an ``OutboxMessage`` row that is delivered after commit by
``flask --app summit send-mail`` or, opportunistically, after the request that
queued it (see ``summit.mail.outbox``).
"""

from __future__ import annotations

import time

from flask import Config, Flask, Response, current_app, g

from summit.extensions import db
from summit.mail.content import Attachment
from summit.mail.outbox import (
    PERSON_KINDS,
    REGISTRATION_KINDS,
    DeliveryReport,
    RegistrationEmail,
    deliver_due,
    has_due,
    queue_email,
    queue_person_email,
    queue_registration_email,
    queue_registration_emails,
)

_last_retry_check = 0.0


def init_mail(app: Flask) -> None:
    """Set the mail defaults, add the CLI commands and delivery after requests."""
    from summit.mail.cli import init_mail_cli

    app.config.setdefault("MAIL_TIMEOUT", 10)
    app.config.setdefault("MAIL_MAX_ATTEMPTS", 12)
    app.config.setdefault("MAIL_RETRY_BASE_SECONDS", 60)
    app.config.setdefault("MAIL_RETRY_MAX_SECONDS", 6 * 3600)
    app.config.setdefault("MAIL_DELIVER_AFTER_REQUEST", not app.testing)
    app.config.setdefault("MAIL_AFTER_REQUEST_LIMIT", 10)
    app.config.setdefault("MAIL_RETRY_CHECK_SECONDS", 60)
    init_mail_cli(app)
    app.after_request(_deliver_after_response)


def _deliver_after_response(response: Response) -> Response:
    """Send due mail once the response has gone, when this request queued some.

    Without a queued message the outbox is still looked at, but at most once a
    minute per process, so retries go out even without a ``send-mail`` worker.
    """
    config = current_app.config
    if not config["MAIL_DELIVER_AFTER_REQUEST"]:
        return response
    if not (g.pop("summit_mail_queued", False) or _retry_check_is_due(config)):
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response.call_on_close(lambda: deliver_in_background_of(app))
    return response


def _retry_check_is_due(config: Config) -> bool:
    global _last_retry_check
    now = time.monotonic()
    if now - _last_retry_check < float(config["MAIL_RETRY_CHECK_SECONDS"]):
        return False
    _last_retry_check = now
    return True


def deliver_in_background_of(app: Flask) -> DeliveryReport | None:
    """A bounded delivery pass in a fresh app context; logs, never raises.

    Runs after the request's own context (and its transaction) has ended, so the
    rows it sends are committed ones and a slow SMTP server never delays a page.
    """
    try:
        with app.app_context():
            due = has_due()
            db.session.commit()  # end the read, so the claim starts its own write transaction
            if not due:
                return None
            report = deliver_due(limit=int(app.config["MAIL_AFTER_REQUEST_LIMIT"]))
            if report.attempted:
                app.logger.info("mail after request: %s", report)
            return report
    except Exception:
        app.logger.exception("mail delivery after a request failed")
        return None


__all__ = [
    "PERSON_KINDS",
    "REGISTRATION_KINDS",
    "Attachment",
    "DeliveryReport",
    "RegistrationEmail",
    "deliver_due",
    "init_mail",
    "queue_email",
    "queue_person_email",
    "queue_registration_email",
    "queue_registration_emails",
]
