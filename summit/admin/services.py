"""Staff-only registration services that are not state changes or money.

State changes go through ``summit.registration.services``; money through
``summit.payments.services``. Both audit and commit themselves.
"""

from __future__ import annotations

from summit import audit
from summit.mail import queue_registration_email
from summit.models import Registration, StaffUser
from summit.registration.services import STATE_EMAILS
from summit.transactions import write_transaction


@write_transaction()
def resend_state_email(registration: Registration, *, actor: StaffUser | str) -> str:
    """Queue the email that matches the registration's state again, e.g. a lost confirmation.

    No dedupe key: staff asked for another copy on purpose.
    """
    kind = STATE_EMAILS[registration.state]
    queue_registration_email(registration, kind)
    audit.record("registration.email_resend", registration, after={"kind": kind}, actor=actor)
    return kind
