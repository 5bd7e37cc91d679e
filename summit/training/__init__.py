"""Self-training and the training record (issue 6).

``record.training_record(person)`` is the one function every page, PDF, share
link and the training series documentation read; services here change entries,
reviews, significant prior training and experience, shares and documentation,
each auditing and committing once.
"""

from __future__ import annotations

from flask import current_app

POLICY_ID = 1  # the one training_policy row


def curriculum_code() -> str:
    return str(current_app.config["TRAINING_CURRICULUM"])


def required_minutes() -> int:
    """Minutes of self-training that complete a subject: staff's policy, else the setting."""
    from summit.extensions import db
    from summit.models import TrainingPolicy

    policy = db.session.get(TrainingPolicy, POLICY_ID)
    if policy is not None:
        return policy.required_minutes
    return int(current_app.config["TRAINING_REQUIRED_MINUTES"])


def evidence_max_bytes() -> int:
    return int(current_app.config["EVIDENCE_MAX_BYTES"])


def share_days() -> int:
    return int(current_app.config["RECORD_SHARE_DAYS"])


def share_rate_limit() -> str:
    return str(current_app.config["RECORD_SHARE_RATE_LIMIT"])
