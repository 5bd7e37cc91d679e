"""Training series documentation: what an ESD issues under RCW 28A.400.345(3).

An admin issues it from a person's record only when :func:`summit.training.record.
training_record` finds a basis: the training series of RCW 28A.400.345(2)
completed (every component met), or significant prior training and experience
recorded by ESD staff. Otherwise :class:`NotEligible` says what is missing and
nothing is written.

The PDF is stored with a serial (``S5-POC-2027-000123``: the prefix of the first
documents, kept so serials stay one series) and an unguessable verification code
that the public ``/verify`` page checks through :data:`VERIFIER` (registered
with :mod:`summit.verification` by the training blueprint), like a certificate.
A re-issue keeps the serial, adds the next version with a new code and revokes
the previous one as superseded; a document once printed is never printed again
with other words (documents issued before the series was recorded stay as they
were).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from summit import audit, storage
from summit.clock import local_date
from summit.extensions import db
from summit.models import Person, StaffUser, TrainingSeriesDocumentation, utcnow
from summit.training.documents import render_documentation_pdf
from summit.training.errors import NotEligible, TrainingError
from summit.training.record import BASIS_TEXTS, TrainingRecord, training_record
from summit.training.services import ROLE_LABELS
from summit.transactions import write_transaction
from summit.verification import (
    Verifier,
    new_verification_code,
    normalise_verification_code,
    same_name,
)

SERIAL_PREFIX = "S5-POC"
SERIAL_ATTEMPTS = 5
TITLE = "Training series documentation"
PUBLIC_COMPONENT_KEYS = (
    "label",
    "citation",
    "done",
    "required",
    "unit",
    "met",
    "met_on",
    "due_on",
    "late",
)
# Rows issued before the series was recorded: their details have no "basis".
EARLIER_RULE = (
    "Issued for classroom subjects only, before the training series of RCW 28A.400.345(2) "
    "was recorded."
)


def _next_serial(year: int) -> str:
    prefix = f"{SERIAL_PREFIX}-{year}-"
    last = db.session.scalar(
        select(func.max(TrainingSeriesDocumentation.serial)).where(
            TrainingSeriesDocumentation.serial.like(prefix + "%")
        )
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _details(record: TrainingRecord, basis: str) -> dict[str, Any]:
    """What the documentation states, frozen at issue: later changes never alter it."""
    person = record.person
    prior = record.prior_experience[-1] if basis == "prior_experience" else None
    return {
        "basis": basis,
        "basis_text": BASIS_TEXTS[basis],
        "name": person.full_name,
        "agency": person.agency,
        "role": ROLE_LABELS.get(person.role_type, person.role_type),
        "assignment_started_on": _iso(person.assignment_started_on),
        "curriculum": record.curriculum_name,
        "statute_reference": record.statute_reference,
        "required_minutes": record.required_minutes,
        "components": [
            {
                "key": component.key,
                "label": component.label,
                "citation": component.citation,
                "unit": component.unit,
                "required": component.required,
                "done": component.done,
                "met": component.met,
                "due_on": _iso(component.due_on),
                "met_on": _iso(component.met_on),
                "late": component.late,
                "occasions": [
                    {
                        "date": _iso(occasion.completed_on),
                        "experienced_staff": occasion.experienced_staff,
                        "school": occasion.school,
                    }
                    for occasion in component.occasions
                ],
            }
            for component in record.components
        ],
        "topics": [
            {
                "title": topic.title,
                "statute_reference": topic.statute_reference,
                "status": topic.status,
                "minutes": topic.minutes,
                "summit_minutes": topic.summit_minutes,
                "self_training_minutes": topic.self_minutes,
                "completed_on": _iso(topic.completed_on),
                "via": _via(topic),
            }
            for topic in record.topics
        ],
        "prior_experience": None
        if prior is None
        else {
            "reviewed": prior.reviewed,
            "reason": prior.reason,
            "recorded_on": _iso(prior.recorded_on),
            "files": list(prior.files),
        },
        "events": [event.event_name for event in record.events],
    }


def _via(topic) -> str:
    parts = []
    if topic.summit:
        parts.append(", ".join(source.event_name for source in topic.summit))
    if topic.self_training:
        parts.append("self-training reviewed by ESD staff")
    return "; ".join(parts)


def _refusal(record: TrainingRecord) -> NotEligible:
    missing = " ".join(f"{sentence}." for sentence in record.shortfalls)
    return NotEligible(
        "The training series is not complete, so no training series documentation was "
        f"issued. Missing: {missing} Staff with significant prior training and experience "
        "can be documented on that basis instead, once ESD staff record it."
    )


@write_transaction()
def issue_documentation(
    person: Person, *, staff: StaffUser, now: datetime | None = None
) -> TrainingSeriesDocumentation:
    """Issue the documentation on the basis the record has; one valid per person and list."""
    record = training_record(person)
    if record.documentation is not None:
        raise TrainingError(
            f"Training series documentation {record.documentation.serial} is already valid. "
            "Re-issue it for a new version, or revoke it first."
        )
    if record.basis is None:
        raise _refusal(record)
    now = now or utcnow()
    details = _details(record, record.basis)
    year = local_date(now).year
    for attempt in range(1, SERIAL_ATTEMPTS + 1):
        documentation = TrainingSeriesDocumentation(
            person=person,
            curriculum_id=record.curriculum_id,
            serial=_next_serial(year),
            version=1,
            verification_code=new_verification_code(),
            details=details,
            issued_at=now,
            issued_by_id=staff.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(documentation)
        except IntegrityError:
            if attempt == SERIAL_ATTEMPTS:
                raise
            continue
        break
    _print(documentation)
    audit.record(
        "training_series_documentation.issue",
        documentation,
        after={"serial": documentation.serial, "basis": record.basis, "person_id": person.id},
        actor=staff,
    )
    return documentation


@write_transaction()
def reissue_documentation(
    documentation: TrainingSeriesDocumentation, *, staff: StaffUser, now: datetime | None = None
) -> TrainingSeriesDocumentation:
    """A new version with today's record and wording; the previous one is superseded."""
    if documentation.revoked_at is not None:
        raise TrainingError("Only the valid version can be re-issued.")
    record = training_record(documentation.person)
    if record.basis is None:
        raise _refusal(record)
    now = now or utcnow()
    documentation.revoked_at = now
    new_version = documentation.version + 1
    documentation.revoked_reason = f"Superseded by version {new_version}."
    db.session.flush()  # the old row stops being valid before the new one is
    successor = TrainingSeriesDocumentation(
        person=documentation.person,
        curriculum_id=record.curriculum_id,
        serial=documentation.serial,
        version=new_version,
        verification_code=new_verification_code(),
        details=_details(record, record.basis),
        issued_at=now,
        issued_by_id=staff.id,
    )
    db.session.add(successor)
    db.session.flush()
    _print(successor)
    audit.record(
        "training_series_documentation.reissue",
        successor,
        after={"serial": successor.serial, "version": new_version, "basis": record.basis},
        actor=staff,
    )
    return successor


def _print(documentation: TrainingSeriesDocumentation) -> None:
    pdf = render_documentation_pdf(documentation)
    documentation.content_hash = hashlib.sha256(pdf).hexdigest()
    relative = f"proofs/{documentation.serial}-v{documentation.version}.pdf"
    storage.write_atomic(relative, pdf)
    documentation.file_path = relative


def documentation_pdf_bytes(documentation: TrainingSeriesDocumentation) -> bytes:
    """The stored PDF, or a fresh print of the frozen details when the file is gone."""
    if documentation.file_path and storage.exists(documentation.file_path):
        return storage.read(documentation.file_path)
    return render_documentation_pdf(documentation)


@write_transaction()
def revoke_documentation(
    documentation: TrainingSeriesDocumentation, *, staff: StaffUser, reason: str
) -> TrainingSeriesDocumentation:
    reason = reason.strip()
    if not reason:
        raise TrainingError("Give the reason for revoking; the verification page shows it.")
    if documentation.revoked_at is not None:
        raise TrainingError("This training series documentation was already revoked.")
    documentation.revoked_at = utcnow()
    documentation.revoked_reason = reason
    audit.record(
        "training_series_documentation.revoke",
        documentation,
        after={"serial": documentation.serial, "reason": reason},
        actor=staff,
    )
    return documentation


def documentation_of(person: Person) -> list[TrainingSeriesDocumentation]:
    """Every version issued to ``person``, newest first."""
    return list(
        db.session.scalars(
            select(TrainingSeriesDocumentation)
            .where(TrainingSeriesDocumentation.person_id == person.id)
            .order_by(
                TrainingSeriesDocumentation.issued_at.desc(),
                TrainingSeriesDocumentation.id.desc(),
            )
        )
    )


def _hours(minutes: int) -> str:
    text = f"{minutes / 60:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def verify_documentation(code: str) -> dict[str, Any] | None:
    """What the public ``/verify/<code>`` page shows; None for an unknown code.

    The same shape as a certificate's public answer (``summit.certificates.verify.
    public_view``): ``status`` (valid/revoked), ``serial``, ``version``,
    ``superseded``, ``kind`` (``training_series_documentation``), ``title``, ``name``,
    ``agency``, ``statute_reference``, ``topics`` (position, title,
    statute_reference, minutes, hours, complete, status, via, completed_on),
    ``total_minutes``, ``total_hours``, ``issued_on`` and ``revoked_on`` (ISO
    dates), plus ``basis`` (``series``, ``prior_experience``, or None for a document
    issued before the series was recorded), ``basis_text``, ``components`` (label,
    citation, done, required, unit, met, met_on, due_on, late), ``curriculum``,
    ``issuer`` and ``events``, and ``event`` None. Like certificates: no email,
    phone, internal id, revocation reason or what staff reviewed.
    """
    documentation = _documentation_for_code(code)
    if documentation is None:
        return None
    details = documentation.details or {}
    topics = _public_topics(details.get("topics", []))
    total = sum(topic["minutes"] for topic in topics)
    issued, revoked = local_date(documentation.issued_at), local_date(documentation.revoked_at)
    basis = details.get("basis")
    return {
        "status": "revoked" if documentation.revoked_at else "valid",
        "serial": documentation.serial,
        "version": documentation.version,
        "superseded": documentation.revoked_at is not None
        and documentation.revoked_reason.startswith("Superseded"),
        "kind": "training_series_documentation",
        "title": TITLE,
        "basis": basis,
        "basis_text": BASIS_TEXTS.get(basis, EARLIER_RULE),
        "name": details.get("name", ""),
        "agency": details.get("agency", ""),
        "event": None,
        "events": list(details.get("events", [])),
        "curriculum": details.get("curriculum", ""),
        "statute_reference": details.get("statute_reference", ""),
        "components": [
            {key: component.get(key) for key in PUBLIC_COMPONENT_KEYS}
            for component in details.get("components", [])
        ],
        "topics": topics,
        "total_minutes": total,
        "total_hours": _hours(total),
        "issued_on": issued.isoformat() if issued else None,
        "revoked_on": revoked.isoformat() if revoked else None,
        "issuer": f"{current_app.config['ORGANISATION_NAME']}, "
        f"{current_app.config['ORGANISATION_UNIT']}",
    }


def _documentation_for_code(code: str) -> TrainingSeriesDocumentation | None:
    code = normalise_verification_code(code)
    if not code or len(code) > 64:
        return None
    return db.session.scalar(
        select(TrainingSeriesDocumentation).where(
            TrainingSeriesDocumentation.verification_code == code
        )
    )


def _public_topics(topics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot's topics as the public answer lists them (numbered, hours spelled)."""
    public = []
    for position, topic in enumerate(topics, start=1):
        minutes = int(topic.get("minutes") or 0)
        public.append(
            {
                "position": position,
                "title": topic.get("title", ""),
                "statute_reference": topic.get("statute_reference", ""),
                "minutes": minutes,
                "hours": _hours(minutes),
                "complete": topic.get("status") == "done",
                "status": topic.get("status", ""),
                "via": topic.get("via", ""),
                "completed_on": topic.get("completed_on"),
            }
        )
    return public


def documentation_for_serial(serial: str, name: str) -> dict[str, Any] | None:
    """The answer for a serial and the name printed on any of its versions, or None.

    Like a certificate's: the latest valid version answers (or, all revoked, the latest).
    """
    documents = db.session.scalars(
        select(TrainingSeriesDocumentation)
        .where(TrainingSeriesDocumentation.serial == serial)
        .order_by(TrainingSeriesDocumentation.version.desc())
    ).all()
    if not any(same_name((d.details or {}).get("name", ""), name) for d in documents):
        return None
    current = next((d for d in documents if d.is_valid), documents[0])
    return verify_documentation(current.verification_code)


VERIFIER = Verifier(
    kind="training_series_documentation",
    by_code=verify_documentation,
    by_serial=documentation_for_serial,
)
