"""The mail outbox. Services queue messages here inside their transaction.

``queue_registration_email`` and ``queue_person_email`` are the calls services
make; each writes an ``OutboxMessage`` row that is delivered after commit: right
after the response of the request that queued it, and otherwise (retries, rows
queued by commands) by ``flask --app summit send-mail --loop``, by the demo's
delivery thread, or by the once-a-minute look after requests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import Config, Flask, Response, current_app, g

from summit.extensions import db
from summit.mail.content import Attachment
from summit.mail.outbox import (
    PERSON_KINDS,
    QUEUED_KEY,
    REGISTRATION_KINDS,
    DeliveryReport,
    RegistrationEmail,
    committed_ids,
    deliver_due,
    deliver_messages,
    has_due,
    queue_email,
    queue_person_email,
    queue_registration_email,
    queue_registration_emails,
)

_last_retry_check = 0.0


def init_mail(app: Flask) -> None:
    """Add the CLI commands and delivery after requests (defaults: ``summit.config``)."""
    from summit.mail.cli import init_mail_cli

    init_mail_cli(app)
    app.after_request(_deliver_after_response)


def _deliver_after_response(response: Response) -> Response:
    """Send the mail this request queued as soon as the response has gone.

    Only this request's rows, so a registration's confirmation never waits behind
    a backlog, and a visitor's request never ends up doing other people's retries.
    A request that queued nothing still looks for due retries, at most once a
    minute per process, so they go out even without a ``send-mail`` worker.
    """
    config = current_app.config
    queued = g.pop(QUEUED_KEY, None)
    if not config["MAIL_DELIVER_AFTER_REQUEST"]:
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ids = committed_ids(queued or ())
    if ids:
        response.call_on_close(lambda: deliver_in_background_of(app, ids))
    elif _retry_check_is_due(config):
        response.call_on_close(lambda: deliver_in_background_of(app))
    return response


def _retry_check_is_due(config: Config) -> bool:
    global _last_retry_check
    now = time.monotonic()
    if now - _last_retry_check < float(config["MAIL_RETRY_CHECK_SECONDS"]):
        return False
    _last_retry_check = now
    return True


def deliver_in_background_of(app: Flask, ids: list[int] | None = None) -> DeliveryReport | None:
    """Deliver ``ids`` (or a bounded pass over due mail) in a fresh app context; logs,
    never raises.

    Runs after the request's own context (and its transaction) has ended, so the
    rows it sends are committed ones and a slow SMTP server never delays a page.
    """
    try:
        with app.app_context():
            if ids:
                report = deliver_messages(ids)
            else:
                if not has_due():
                    return None
                report = deliver_due(limit=int(app.config["MAIL_AFTER_REQUEST_LIMIT"]))
            if report.attempted:
                app.logger.info("mail after request: %s", report)
            return report
    except Exception:
        app.logger.exception("mail delivery after a request failed")
        return None


def start_delivery_thread(
    app: Flask, interval: float = 2.0, on_report: Callable[[DeliveryReport], None] | None = None
) -> threading.Event:
    """Poll the outbox every ``interval`` seconds in a daemon thread; set the returned
    event to stop it.

    For ``flask --app summit demo`` only: a quiet demo site has no page views to
    send the mail that commands and retries leave in the outbox, and a newcomer
    should not have to run a worker beside it. Production runs ``send-mail --loop``.
    """
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(interval):
            with app.app_context():
                try:
                    if has_due():
                        report = deliver_due(limit=int(app.config["MAIL_AFTER_REQUEST_LIMIT"]))
                        if report.attempted and on_report is not None:
                            on_report(report)
                except Exception:  # a locked or restarted database must not end the loop
                    db.session.rollback()
                    app.logger.exception("demo mail delivery pass failed")
                finally:
                    db.session.remove()

    threading.Thread(target=poll, name="summit-demo-mail", daemon=True).start()
    return stop


__all__ = [
    "PERSON_KINDS",
    "REGISTRATION_KINDS",
    "Attachment",
    "DeliveryReport",
    "RegistrationEmail",
    "deliver_due",
    "deliver_messages",
    "init_mail",
    "queue_email",
    "queue_person_email",
    "queue_registration_email",
    "queue_registration_emails",
    "start_delivery_thread",
]
