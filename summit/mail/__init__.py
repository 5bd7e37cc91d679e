"""The mail outbox. Services queue messages here inside their transaction.

``queue_registration_email`` and ``queue_person_email`` are the calls services
make; each writes an ``OutboxMessage`` row, committed with the change. Delivery is
the task queue's (``summit.mail.tasks``): the rows a request queued are handed to it
once the request has committed, and a pass every minute sends retries and rows
queued elsewhere (commands). ``flask --app summit send-mail`` delivers without a
consumer.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g

from summit.mail.content import Attachment
from summit.mail.outbox import (
    PERSON_KINDS,
    QUEUED_KEY,
    REGISTRATION_KINDS,
    DeliveryReport,
    RegistrationEmail,
    committed_ids,
    deliver_all,
    deliver_due,
    deliver_messages,
    queue_email,
    queue_person_email,
    queue_registration_email,
    queue_registration_emails,
)
from summit.mail.tasks import deliver_queued


def init_mail(app: Flask) -> None:
    """Add the CLI commands and the hand-over of a request's mail to the task queue."""
    from summit.mail.cli import init_mail_cli

    init_mail_cli(app)
    app.after_request(_hand_over_queued_mail)


def _hand_over_queued_mail(response: Response) -> Response:
    """Queue delivery of the mail this request queued, now that its work has committed.

    Only this request's rows, and only those committed (a rolled-back row has no
    identity), so the task never looks for a row that is not there yet. Sending is
    the consumer's: a slow or hung mail server never holds a request or a lock. A
    queue that cannot be reached is logged, never shown to the visitor: the rows
    are in the outbox, and the minute pass (or ``send-mail``) sends them.
    """
    queued = g.pop(QUEUED_KEY, None)
    if not queued or not current_app.config["MAIL_DELIVER_AFTER_REQUEST"]:
        return response
    ids = committed_ids(queued)
    if ids:
        try:
            deliver_queued.enqueue(ids)
        except Exception:
            current_app.logger.exception("could not queue delivery of mail %s", ids)
    return response


__all__ = [
    "PERSON_KINDS",
    "REGISTRATION_KINDS",
    "Attachment",
    "DeliveryReport",
    "RegistrationEmail",
    "deliver_all",
    "deliver_due",
    "deliver_messages",
    "init_mail",
    "queue_email",
    "queue_person_email",
    "queue_registration_email",
    "queue_registration_emails",
]
