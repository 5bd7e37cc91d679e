"""What sign-in refuses: staff accounts, API tokens, and the signed links that stand
in for a password (attendees' portal links, staff set-password links).

Each carries the message a person should read; the views decide the status.
"""

from __future__ import annotations


class StaffError(ValueError):
    """A staff account could not be created as asked."""


class TokenError(ValueError):
    """A token could not be made or changed as asked."""


class PortalLinkExpired(Exception):
    """The link was genuine but is too old."""


class PortalLinkInvalid(Exception):
    """The link was tampered with or never issued by this install."""


class PasswordLinkProblem(Exception):
    """The link is not one that may set a password now; ``str()`` says why, for the page."""
