"""Self-training and the training record (issue 6).

``record.training_record(person)`` is the one function every page, PDF, share
link and the training series documentation read; services here change entries,
reviews, significant prior training and experience, shares and documentation,
each auditing and committing once.
"""

from __future__ import annotations

from flask import current_app

from summit.curricula import STATUTE_CODE

DEFAULT_REQUIRED_MINUTES = 60
DEFAULT_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_SHARE_DAYS = 30
DEFAULT_SHARE_RATE_LIMIT = "30 per minute; 300 per hour"


def setting(key: str, default):
    """A training setting from the app config, with its documented default."""
    value = current_app.config.get(key)
    return default if value is None else value


def curriculum_code() -> str:
    return str(setting("TRAINING_CURRICULUM", STATUTE_CODE))


def required_minutes() -> int:
    return int(setting("TRAINING_REQUIRED_MINUTES", DEFAULT_REQUIRED_MINUTES))


def evidence_max_bytes() -> int:
    return int(setting("EVIDENCE_MAX_BYTES", DEFAULT_EVIDENCE_MAX_BYTES))


def share_days() -> int:
    return int(setting("RECORD_SHARE_DAYS", DEFAULT_SHARE_DAYS))
