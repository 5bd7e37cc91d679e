"""Registration commands (the task queue runs the same every 5 minutes)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from summit.registration.services import expire_offers


@click.command("expire-offers")
@with_appcontext
def expire_offers_command() -> None:
    """Cancel waitlist offers whose time ran out and offer the seats to the next people."""
    count = expire_offers()
    click.echo(f"{count} lapsed offer(s) passed on.")
