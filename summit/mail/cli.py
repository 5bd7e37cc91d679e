"""``send-mail`` and ``send-reminders``: thin commands over the outbox services."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from summit.extensions import db
from summit.mail.outbox import DeliveryReport, deliver_all
from summit.mail.reminders import queue_reminders


def init_mail_cli(app: Flask) -> None:
    app.cli.add_command(send_mail_command)
    app.cli.add_command(send_reminders_command)


@click.command("send-mail")
@click.option(
    "--loop",
    "interval",
    type=click.FloatRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Keep running as a worker, looking for due mail every SECONDS.",
)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Messages claimed per pass.",
)
@with_appcontext
def send_mail_command(interval: float | None, batch: int) -> None:
    """Deliver every due message in the outbox (new ones and retries)."""
    if interval is None:
        report = deliver_all(batch)
        _print(report)
        return
    click.echo(f"Delivering mail every {interval:g} s; Ctrl-C stops.")
    try:
        while True:
            try:
                report = deliver_all(batch)
            except Exception:  # a database restart must not end the worker
                db.session.rollback()
                current_app.logger.exception("send-mail pass failed")
            else:
                if report.attempted:
                    _print(report)
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


def _print(report: DeliveryReport) -> None:
    click.echo(f"Mail: {report}.")
    for error in report.errors:
        click.echo(f"  {error}", err=True)


@click.command("send-reminders")
@click.option(
    "--days-before",
    type=click.IntRange(min=0),
    default=7,
    show_default=True,
    help="Remind attendees of events that start within this many days.",
)
@with_appcontext
def send_reminders_command(days_before: int) -> None:
    """Queue the reminder email, once per confirmed registration (the task queue does this
    daily); the consumer or send-mail delivers it."""
    count = queue_reminders(days_before)
    click.echo(f"Queued {count} reminder{'' if count == 1 else 's'}.")
