"""Server-side revocation of staff sessions.

A Flask session lives in a signed cookie: signing out only deletes the browser's
copy, so a copied cookie kept working. Each account has a ``session_version``,
written into the session at sign-in (``StaffUser.get_id``) and compared by the
user loader (``summit.security``) on every request; moving it ends every session
signed in before, on every device.
"""

from __future__ import annotations

from summit.models import StaffUser
from summit.transactions import lock_row, write_transaction


def end_sessions(staff: StaffUser) -> None:
    """Every session of this account stops working (sign-out, password change, deactivation)."""
    with write_transaction():
        row = lock_row(StaffUser, staff.id)
        row.session_version += 1
