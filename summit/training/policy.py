"""The ESD's self-training policy: how many minutes complete a subject.

The statute sets no hours (see LAW.md); the number is ESD 105's, so an admin
sets it on ``/staff/training/policy`` and every training record reads it at
once. Documentation already issued keeps the wording it was issued with.
"""

from __future__ import annotations

from summit import audit
from summit.extensions import db
from summit.models import StaffUser, TrainingPolicy, utcnow
from summit.training import POLICY_ID, required_minutes
from summit.training.errors import TrainingError
from summit.transactions import write_transaction

MIN_MINUTES, MAX_MINUTES = 1, 600


def current_policy() -> TrainingPolicy | None:
    """The row staff last saved, or None while the install's setting applies."""
    return db.session.get(TrainingPolicy, POLICY_ID)


@write_transaction()
def set_required_minutes(minutes: int, *, staff: StaffUser) -> TrainingPolicy:
    """Save the minutes that complete a subject; audited with the value it replaced."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise TrainingError(
            f"Give a number of minutes from {MIN_MINUTES} to {MAX_MINUTES}.",
            field="required_minutes",
        )
    before = {"required_minutes": required_minutes()}
    policy = current_policy()
    if policy is None:
        policy = TrainingPolicy(id=POLICY_ID, required_minutes=minutes)
        db.session.add(policy)
    policy.required_minutes = minutes
    policy.updated_at = utcnow()
    policy.updated_by_id = staff.id
    db.session.flush()
    audit.record(
        "training.policy", policy, before=before, after={"required_minutes": minutes}, actor=staff
    )
    return policy
