"""Mail on the task queue: a request's own messages right after it commits, due mail and
retries every minute, the pre-event reminder once a day (see ``summit.queue``)."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from summit.mail.outbox import deliver_all, deliver_messages
from summit.mail.reminders import queue_reminders
from summit.queue import periodic, task


@task
def deliver_queued(ids: list[int]) -> None:
    """Send the rows one request queued (each claimed on its own; sent ones skipped)."""
    report = deliver_messages(ids)
    if report.attempted:
        current_app.logger.info("mail: %s", report)


@periodic(crontab(minute="*"))
def deliver_due_mail() -> None:
    """Every minute: retries whose wait is over, and rows no request handed over
    (commands such as ``issue-certificates``, a request whose hand-over failed)."""
    report = deliver_all()
    if report.attempted:
        current_app.logger.info("mail (due): %s", report)


@periodic(crontab(minute="0", hour="15"))
def queue_daily_reminders() -> None:
    """08:00 Pacific (07:00 in winter): the reminder, once per confirmed registration of
    events starting within ``REMINDER_DAYS_BEFORE`` days; the minute pass sends them."""
    count = queue_reminders(int(current_app.config["REMINDER_DAYS_BEFORE"]))
    current_app.logger.info("reminders queued: %s", count)
