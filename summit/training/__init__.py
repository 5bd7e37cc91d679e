"""Self-training and the training record (issue 6).

``record.training_record(person)`` is the one function every page, PDF, share
link and the training series documentation read; services here change entries,
reviews, significant prior training and experience, shares and documentation,
each auditing and committing once.
"""

from __future__ import annotations

from flask import current_app


def curriculum_code() -> str:
    return str(current_app.config["TRAINING_CURRICULUM"])


def required_minutes() -> int:
    return int(current_app.config["TRAINING_REQUIRED_MINUTES"])


def evidence_max_bytes() -> int:
    return int(current_app.config["EVIDENCE_MAX_BYTES"])


def share_days() -> int:
    return int(current_app.config["RECORD_SHARE_DAYS"])


def share_rate_limit() -> str:
    return str(current_app.config["RECORD_SHARE_RATE_LIMIT"])
