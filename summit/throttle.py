"""Throttles: what a refused visitor is told, and the registration form's limits.

Every throttle is a flask-limiter limit counted in ``RATELIMIT_STORAGE_URI`` (Redis
when ``REDIS_URL`` is set, so all web workers share one count; see
:func:`summit.checks.check_rate_limits`). A refusal is a 429 that says what
happened and when to try again, with a ``Retry-After`` header.
"""

from __future__ import annotations

import math
import time

from flask import current_app, request
from flask_limiter.errors import RateLimitExceeded

from summit.extensions import limiter


def when_to_retry() -> str:
    """ "in about 40 seconds" / "in about 12 minutes", from the limit this request broke."""
    current = limiter.current_limit
    seconds = max(1, int(current.reset_at - time.time())) if current else 60
    if seconds < 90:
        return f"in about {seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return f"in about {minutes} minutes"


def throttled_message(error: RateLimitExceeded) -> str:
    """What happened (the limit's own message, else a general one) and when to retry."""
    limit = getattr(error, "limit", None)
    what = (
        error.description
        if limit is not None and limit.error_message
        else "Too many attempts from your network in a short time."
    )
    return f"{what} Please try again {when_to_retry()}."


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _registration_event_limit() -> str:
    return current_app.config["REGISTRATION_EVENT_RATE_LIMIT"]


def _event_key() -> str:
    return f"event:{(request.view_args or {}).get('slug', '')}"


# Posts of the public registration form, per client address and per event. Staff
# walk-ins at the desk are another route and are not throttled.
registration_per_address = limiter.limit(
    _registration_limit,
    methods=["POST"],
    error_message=(
        "Too many registrations were sent from your network in a short time, so this one "
        "was not saved."
    ),
)
registration_per_event = limiter.limit(
    _registration_event_limit,
    methods=["POST"],
    key_func=_event_key,
    error_message=(
        "This event is receiving an unusual number of registrations right now, so this one "
        "was not saved."
    ),
)
