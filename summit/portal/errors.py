"""What the attendee portal refuses, beyond the registration rules it applies.

Portal links that expired or were tampered with are ``summit.auth.links`` errors:
the same link signs people in wherever it is used.
"""

from __future__ import annotations

from summit.registration.errors import RegistrationError


class PortalClosed(RegistrationError):
    """The attendee may no longer do this themselves (the event has started)."""

    status_code = 409
