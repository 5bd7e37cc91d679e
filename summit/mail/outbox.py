"""The outbox: messages are rows written with the change that causes them.

Queueing only adds a row to the caller's transaction, so a registration and its
email commit (or roll back) together. Delivery happens after commit, on the task
queue's consumer (``summit.mail.tasks``) or by ``flask --app summit send-mail``: rows are
claimed (``sending``) and committed *before* SMTP is contacted, so two workers
never send one row; failures go back to ``pending`` with exponential back-off.

While a row is ``sending`` its ``next_attempt_at`` is a lease: a worker that dies
mid-send leaves the row to be claimed again once the lease runs out.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Any

from flask import current_app, g, has_app_context
from flask_mail import BadHeaderError, Connection, Message
from sqlalchemy import ColumnElement, inspect, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from summit.auth.links import sign_portal_links
from summit.extensions import db
from summit.mail.content import (
    Attachment,
    calendar_file,
    carries_ticket,
    mail_domain,
    person_context,
    qr_ticket,
    registration_context,
    render,
)
from summit.models import OutboxMessage, Person, Registration, utcnow
from summit.transactions import for_update, lock_row, write_transaction

REGISTRATION_KINDS = (
    "confirmed",
    "pending_approval",
    "awaiting_payment",
    "waitlisted",
    "offered",
    "payment_received",
    "cancelled",
    "rejected",
    "reminder",
    "already_registered",
    "invoice",
    "certificate_ready",
)
PERSON_KINDS = ("portal_link", "training_accepted", "training_returned")
# Stored in place of the ticket files; ``expand_attachments`` draws them at send time.
TICKET_MARKER = {"generate": "ticket"}

# A ``sending`` row older than this belongs to a worker that crashed.
SENDING_LEASE = timedelta(minutes=10)
DUE_STATUSES = ("pending", "sending")
# ``g`` key: the rows queued in this request.
QUEUED_KEY = "summit_mail_queued"


# --- queueing ----------------------------------------------------------------


def queue_registration_email(
    registration: Registration,
    kind: str,
    *,
    dedupe_key: str | None = None,
    attachments: list[Attachment] | None = None,
    context: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Add the ``kind`` email about ``registration`` to the current transaction.

    Never commits: the calling service commits once, so the email exists exactly
    when the change that caused it does. With a ``dedupe_key`` already used, the
    existing row is returned and nothing new is queued.
    """
    email = RegistrationEmail(registration, kind, dedupe_key, attachments or [], context or {})
    duplicate = _existing(dedupe_key)
    if duplicate is not None:
        return duplicate
    return _queued(_add(email.message()))


@dataclass
class RegistrationEmail:
    """One email about a registration, as :func:`queue_registration_emails` takes them."""

    registration: Registration
    kind: str
    dedupe_key: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in REGISTRATION_KINDS:
            raise ValueError(f"unknown registration email kind {self.kind!r}")

    def message(self) -> OutboxMessage:
        """The rendered row, not yet added to the session."""
        registration = self.registration
        if registration.id is None:
            db.session.flush()  # the calendar UID and the row's link need the id
        files: list[Attachment | dict[str, str]] = list(self.attachments)
        if carries_ticket(self.kind, registration):
            files.insert(0, TICKET_MARKER)
        return _message(
            self.kind,
            registration.person.email,
            {**registration_context(registration), **self.context},
            registration=registration,
            attachments=files,
            dedupe_key=self.dedupe_key,
        )


def queue_registration_emails(emails: list[RegistrationEmail]) -> None:
    """Queue many registration emails with one look for used keys and no savepoints.

    For bulk work under a lock that already rules out a concurrent twin (issuing
    certificates holds the event's): the savepoint :func:`queue_registration_email`
    takes for each keyed message also flushes each row on its own, a handful of
    round trips per email. Should a twin appear anyway, the unique index fails the
    caller's whole transaction rather than one savepoint.
    """
    keys = [email.dedupe_key for email in emails if email.dedupe_key]
    used = set(
        db.session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
        )
        if keys
        else ()
    )
    for email in emails:
        if email.dedupe_key is None or email.dedupe_key not in used:
            db.session.add(_queued(email.message()))
            used.add(email.dedupe_key)


def queue_person_email(
    person: Person,
    kind: str,
    *,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """Queue an email about a person rather than one registration (the portal link)."""
    if kind not in PERSON_KINDS:
        raise ValueError(f"unknown person email kind {kind!r}")
    return queue_email(
        kind, person.email, {**person_context(person), **(context or {})}, dedupe_key=dedupe_key
    )


def queue_email(
    kind: str,
    recipient: str,
    context: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    **parts: Any,
) -> OutboxMessage:
    """Render ``mail/<kind>`` now and add the finished message as a pending row.

    Rendering at queue time means a later edit to the event or a template never
    changes what an already-queued email says. ``parts`` are :func:`_message`'s
    ``registration`` (the one the email is about) and ``attachments``.
    """
    duplicate = _existing(dedupe_key)
    if duplicate is not None:
        return duplicate
    return _queued(_add(_message(kind, recipient, context, dedupe_key=dedupe_key, **parts)))


def _message(
    kind: str,
    recipient: str,
    context: dict[str, Any],
    *,
    registration: Registration | None = None,
    attachments: Iterable[Attachment | dict[str, str]] = (),
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """The rendered, pending row (not yet in the session)."""
    subject, text, html = render(kind, context)
    return OutboxMessage(
        kind=kind,
        recipient=recipient,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        attachments=[item if isinstance(item, dict) else item.to_json() for item in attachments],
        dedupe_key=dedupe_key,
        registration=registration,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
    )


def _queued(message: OutboxMessage) -> OutboxMessage:
    """Remember the row in this request (or app context), so that the rows it queued,
    and only those, are handed to the task queue once it commits (see :mod:`summit.mail`)."""
    if has_app_context():
        g.setdefault(QUEUED_KEY, []).append(message)
    return message


def committed_ids(messages: Iterable[OutboxMessage]) -> list[int]:
    """The ids of those queued rows that are in the database (not rolled back).

    Reads only the session's identity map: a committed row is expired, and reading
    ``row.id`` would cost a query per row.
    """
    ids = []
    for message in messages:
        state = inspect(message)
        if state.persistent and state.identity:
            ids.append(state.identity[0])
    return sorted(set(ids))


def _existing(dedupe_key: str | None) -> OutboxMessage | None:
    if dedupe_key is None:
        return None
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key))


def _add(message: OutboxMessage) -> OutboxMessage:
    """Add the row; a keyed row goes in a savepoint so a concurrent twin loses quietly.

    Two transactions may pass the duplicate check at once; the unique index then
    rejects the second insert, and only the savepoint, not the caller's change,
    is rolled back.
    """
    if message.dedupe_key is None:
        db.session.add(message)
        return message
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        winner = _existing(message.dedupe_key)
        if winner is None:
            raise
        return winner
    return message


# --- delivery ----------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one delivery pass did, for the CLI and the logs."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed

    def __str__(self) -> str:
        return f"sent {self.sent}, will retry {self.retrying}, gave up {self.failed}"


def due_filter(now: datetime) -> ColumnElement[bool]:
    """Rows to deliver: pending and due, or ``sending`` whose lease has run out."""
    return (OutboxMessage.status.in_(DUE_STATUSES)) & (OutboxMessage.next_attempt_at <= now)


def has_due(now: datetime | None = None) -> bool:
    """One indexed lookup, so callers can skip delivery when there is nothing to do."""
    now = now or utcnow()
    return db.session.scalar(select(OutboxMessage.id).where(due_filter(now)).limit(1)) is not None


def deliver_due(limit: int = 50, now: datetime | None = None) -> DeliveryReport:
    """Send up to ``limit`` due messages; each row ends ``sent``, ``pending`` or ``failed``.

    Commits after the claim and after each message, so a crash mid-batch never
    resends what was already accepted. Call it outside any unit of work.
    """
    now = now or utcnow()
    report = DeliveryReport()
    if not has_due(now):  # a read: the minute pass takes no write lock for nothing
        return report
    ids = claim_due(limit, now, report)
    if not ids:
        return report
    with _Courier() as courier:
        for message_id in ids:
            _send_claimed(courier, message_id, now, report)
    return report


def deliver_all(batch: int = 50) -> DeliveryReport:
    """Deliver batches until nothing is due; failed rows wait for their back-off.

    ``send-mail`` and the queue's minute pass: each batch ends with a fresh session.
    """
    total = DeliveryReport()
    while True:
        report = deliver_due(limit=batch)
        total.sent += report.sent
        total.retrying += report.retrying
        total.failed += report.failed
        total.errors += report.errors
        db.session.remove()
        if report.attempted < batch:
            return total


def deliver_messages(ids: Iterable[int], now: datetime | None = None) -> DeliveryReport:
    """Send these rows if they are still due, each claimed in a short transaction of its own.

    For the rows one request queued: claiming one at a time leaves the rest free
    for another worker (and unleased should this process stop), and no write lock
    is held while the mail server is talked to. A row someone else already claimed
    or sent is skipped.
    """
    now = now or utcnow()
    report = DeliveryReport()
    with _Courier() as courier:
        for message_id in ids:
            if claim_due(1, now, report, only=[message_id]):
                _send_claimed(courier, message_id, now, report)
    return report


def _send_claimed(
    courier: _Courier, message_id: int, now: datetime, report: DeliveryReport
) -> None:
    """Send one claimed row, then record its outcome in a write transaction of its own.

    No lock is held while the mail server is talked to.
    """
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        return
    failure = None
    try:
        courier.send(build_message(row))
    except Exception as error:  # any failure is recorded on the row, never raised
        failure = error
    _record_outcome(message_id, failure, now, report)


def _record_outcome(
    message_id: int, failure: Exception | None, now: datetime, report: DeliveryReport
) -> None:
    """Record ``sent`` (or the failure), trying again while the database is busy or away.

    A message the server accepted but that stayed ``sending`` would be sent again
    when its lease runs out: on SQLite, under a rush of registrations, that sent
    most confirmations twice. So each failed attempt is logged and retried (waits
    doubling to 5 s) for up to ``MAIL_RECORD_RETRY_SECONDS``, less than the lease.
    """
    deadline = time.monotonic() + float(current_app.config["MAIL_RECORD_RETRY_SECONDS"])
    pause = 0.1
    while True:
        try:
            with write_transaction():
                _apply_outcome(lock_row(OutboxMessage, message_id), failure, now, report)
            return
        except DBAPIError as error:  # "database is locked", a dropped connection
            db.session.rollback()
            what = "sent" if failure is None else "failed"
            if time.monotonic() + pause > deadline:
                current_app.logger.error(
                    "mail #%s: could not record it %s, giving up: %s", message_id, what, error
                )
                raise
            current_app.logger.warning(
                "mail #%s: could not record it %s yet, retrying: %s", message_id, what, error
            )
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _apply_outcome(
    row: OutboxMessage, failure: Exception | None, now: datetime, report: DeliveryReport
) -> None:
    if failure is not None:
        _record_failure(row, failure, now, report)
    else:
        row.status = "sent"
        row.sent_at = utcnow()
        row.last_error = ""
        report.sent += 1


def claim_due(
    limit: int,
    now: datetime,
    report: DeliveryReport | None = None,
    *,
    only: list[int] | None = None,
) -> list[int]:
    """Mark up to ``limit`` due rows (of ``only``, when given) ``sending`` and commit,
    returning their ids.

    One ``write_transaction``: PostgreSQL skips rows another worker has locked
    (``FOR UPDATE SKIP LOCKED``); SQLite holds its write lock from the start, so
    claims never interleave there either. A crashed row already at the attempt
    limit is given up instead of being tried once more.
    """
    due = due_filter(now)
    if only is not None:
        due = due & OutboxMessage.id.in_(only)
    with write_transaction():
        return _claim(due, limit, now, report)


def _claim(
    due: ColumnElement[bool], limit: int, now: datetime, report: DeliveryReport | None
) -> list[int]:
    rows = db.session.execute(
        for_update(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.attempts)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit),
            skip_locked=True,
        )
    ).all()
    max_attempts = _max_attempts()
    crashed_out = [r.id for r in rows if r.status == "sending" and r.attempts >= max_attempts]
    claimed = [r.id for r in rows if r.id not in crashed_out]
    if crashed_out:
        _update(crashed_out, status="failed", last_error="the sending worker stopped mid-send")
        if report is not None:
            report.failed += len(crashed_out)
    if claimed:
        _update(
            claimed,
            status="sending",
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + SENDING_LEASE,
        )
    return claimed


def _update(ids: list[int], **values: Any) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _max_attempts() -> int:
    return int(current_app.config["MAIL_MAX_ATTEMPTS"])


def backoff(attempts: int) -> timedelta:
    """1 minute after the first failure, doubling each time, at most 6 hours."""
    base = float(current_app.config["MAIL_RETRY_BASE_SECONDS"])
    cap = float(current_app.config["MAIL_RETRY_MAX_SECONDS"])
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _record_failure(
    row: OutboxMessage, error: Exception, now: datetime, report: DeliveryReport
) -> None:
    """Back to ``pending`` later, or ``failed`` when retrying cannot help."""
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    report.errors.append(f"#{row.id} to {row.recipient}: {row.last_error}")
    if _is_permanent(error) or row.attempts >= _max_attempts():
        row.status = "failed"
        report.failed += 1
        current_app.logger.error("mail #%s gave up: %s", row.id, row.last_error)
    else:
        row.status = "pending"
        row.next_attempt_at = now + backoff(row.attempts)
        report.retrying += 1
        current_app.logger.warning("mail #%s will retry: %s", row.id, row.last_error)


def _is_permanent(error: Exception) -> bool:
    """A malformed message or a mailbox the server says does not exist (5xx)."""
    if isinstance(error, BadHeaderError):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False


# --- building and sending ------------------------------------------------------


class OutboxMail(Message):
    """A Flask-Mail message built from an outbox row, with inline images done right.

    Flask-Mail puts every attachment beside the text; an inline image belongs in a
    ``multipart/related`` part with the HTML that refers to it (``cid:``), or
    mail clients show it as a loose attachment. The Message-ID is derived from the
    row, so in the rare case a crash makes a row go out twice, mail systems that
    de-duplicate by Message-ID will show it once.
    """

    def __init__(self, row: OutboxMessage) -> None:
        super().__init__(
            subject=row.subject,
            recipients=[row.recipient],
            body=sign_portal_links(row.text_body, row.recipient),
            html=sign_portal_links(row.html_body, row.recipient) or None,
            sender=current_app.config.get("MAIL_DEFAULT_SENDER"),
        )
        stamp = int(row.created_at.timestamp()) if row.created_at else 0
        self.msgId = f"<summit.{row.id}.{stamp}@{mail_domain()}>"
        self.files = list(expand_attachments(row))

    def _message(self) -> EmailMessage:  # type: ignore[override]
        msg = EmailMessage(policy=SMTP)
        msg["Subject"] = self.subject
        msg["From"] = str(self.sender)
        msg["To"] = ", ".join(str(recipient) for recipient in self.recipients)
        msg["Date"] = formatdate(self.date, usegmt=True)
        msg["Message-ID"] = self.msgId
        msg.set_content(self.body or "")
        if self.html:
            msg.add_alternative(self.html, subtype="html")
            html_part = msg.get_payload()[-1]
            for file in self.files:
                if file.inline_cid:
                    _attach(html_part.add_related, file, cid=f"<{file.inline_cid}>")
        for file in self.files:
            if not (file.inline_cid and self.html):
                _attach(msg.add_attachment, file)
        return msg


def expand_attachments(row: OutboxMessage) -> Iterator[Attachment]:
    """The row's files, drawing the QR ticket and calendar file where it asks for them.

    The ticket is drawn when the message is sent, not when it is queued: the QR
    encoder and PNG writer are pure Python and would add ~15 ms to every
    registration request; the worker has the time.
    """
    for item in row.attachments or []:
        if item == TICKET_MARKER and row.registration is not None:
            yield qr_ticket(row.registration.ticket_code)
            yield calendar_file(row.registration, now=row.created_at)
        elif item != TICKET_MARKER:
            yield Attachment.from_json(item)


def _attach(add: Any, file: Attachment, cid: str | None = None) -> None:
    maintype, subtype = file.content_type.split("/", 1)
    extra: dict[str, Any] = {"filename": file.filename}
    if cid:
        extra.update(cid=cid, disposition="inline")
    if maintype == "text":
        add(file.data.decode("utf-8"), subtype=subtype, **extra)
    else:
        add(file.data, maintype=maintype, subtype=subtype, **extra)


def build_message(row: OutboxMessage) -> OutboxMail:
    return OutboxMail(row)


class _TimeoutConnection(Connection):
    """Flask-Mail's connection with a socket timeout, so a hung server cannot hang us."""

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        timeout = float(current_app.config["MAIL_TIMEOUT"])
        factory = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = factory(state.server, state.port, timeout=timeout)
        try:
            if state.use_tls:
                host.starttls()
            if state.username and state.password:
                host.login(state.username, state.password)
        except Exception:
            host.close()
            raise
        return host


class _Courier:
    """One SMTP connection for a batch, opened lazily and reopened after an error.

    When the server cannot be reached at all, the rest of the batch fails at once
    with the same error instead of waiting out one timeout per message.
    """

    def __init__(self) -> None:
        self.connection: _TimeoutConnection | None = None
        self.unreachable: Exception | None = None

    def __enter__(self) -> _Courier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def send(self, message: OutboxMail) -> None:
        if self.unreachable is not None:
            raise self.unreachable
        if self.connection is None:
            connection = _TimeoutConnection(current_app.extensions["mail"])
            try:
                self.connection = connection.__enter__()
            except Exception as error:
                self.unreachable = error
                raise
        try:
            self.connection.send(message)
        except Exception:
            self._close()
            raise

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and connection.host is not None:
            try:
                connection.host.quit()
            except (smtplib.SMTPException, OSError):
                connection.host.close()


__all__ = [
    "PERSON_KINDS",
    "REGISTRATION_KINDS",
    "Attachment",
    "DeliveryReport",
    "claim_due",
    "committed_ids",
    "deliver_all",
    "deliver_due",
    "deliver_messages",
    "has_due",
    "queue_email",
    "queue_person_email",
    "queue_registration_email",
]
