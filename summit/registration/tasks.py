"""Registration on the task queue: lapsed waitlist offers pass on without anyone
visiting the event (``summit.queue``)."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from summit.queue import periodic
from summit.registration.services import expire_offers


@periodic(crontab(minute="*/5"))
def expire_lapsed_offers() -> None:
    """Every 5 minutes: cancel lapsed offers and offer the seats to the next people.
    Their emails go out with the next minute's mail pass."""
    count = expire_offers()
    if count:
        current_app.logger.info("lapsed offers passed on: %s", count)
