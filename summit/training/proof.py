"""Proof of completion: the ESD's "training series documentation" once every topic is done.

Issued by an admin when :func:`summit.training.record.training_record` says the
record is complete (summit credit and/or accepted self-training, waivers
included). The PDF is stored with a serial (``S5-POC-2027-000123``) and an
unguessable verification code that the public ``/verify`` page checks through
:func:`verify_proof`, exactly like a certificate.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from summit import audit, storage
from summit.certificates.services import new_verification_code, normalise_verification_code
from summit.clock import local_date
from summit.documents import render_pdf
from summit.extensions import db
from summit.models import Person, ProofOfCompletion, StaffUser, utcnow
from summit.qr import qr_svg_data_uri
from summit.training.errors import NotEligible, TrainingError
from summit.training.record import TrainingRecord, training_record

SERIAL_PREFIX = "S5-POC"
SERIAL_ATTEMPTS = 5


def verify_path(code: str) -> str:
    return f"/verify/{code}"


def verify_url(code: str) -> str:
    """The public address printed on the PDF and in its QR code."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        base = request.host_url.rstrip("/") if has_request_context() else "http://127.0.0.1:5000"
    return base + verify_path(code)


def _next_serial(year: int) -> str:
    prefix = f"{SERIAL_PREFIX}-{year}-"
    last = db.session.scalar(
        select(func.max(ProofOfCompletion.serial)).where(
            ProofOfCompletion.serial.like(prefix + "%")
        )
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:06d}"


def _details(record: TrainingRecord) -> dict[str, Any]:
    """What the proof states, frozen at issue: later changes never alter an issued proof."""
    person = record.person
    return {
        "name": person.full_name,
        "agency": person.agency,
        "curriculum": record.curriculum_name,
        "statute_reference": record.statute_reference,
        "topics": [
            {
                "title": topic.title,
                "statute_reference": topic.statute_reference,
                "status": topic.status,
                "minutes": topic.minutes,
                "summit_minutes": topic.summit_minutes,
                "self_training_minutes": topic.self_minutes,
                "completed_on": topic.completed_on.isoformat() if topic.completed_on else None,
                "via": _via(topic),
            }
            for topic in record.topics
        ],
        "events": [event.event_name for event in record.events],
    }


def _via(topic) -> str:
    if topic.status == "waived":
        return "waived (prior training)"
    parts = []
    if topic.summit:
        parts.append(", ".join(source.event_name for source in topic.summit))
    if topic.self_training:
        parts.append("self-training reviewed by ESD staff")
    return "; ".join(parts)


def issue_proof(
    person: Person, *, staff: StaffUser, now: datetime | None = None
) -> ProofOfCompletion:
    """Issue the proof for a complete record; one valid proof per person and curriculum."""
    now = now or utcnow()
    record = training_record(person)
    if not record.is_complete:
        missing = ", ".join(topic.title for topic in record.missing)
        raise NotEligible(f"Not every topic is done yet. Missing: {missing}.")
    if record.proof is not None:
        raise TrainingError(
            f"A proof of completion ({record.proof.serial}) is already valid. "
            "Revoke it first to issue a new one."
        )
    details = _details(record)
    year = local_date(now).year
    for attempt in range(1, SERIAL_ATTEMPTS + 1):
        proof = ProofOfCompletion(
            person=person,
            curriculum_id=record.curriculum_id,
            serial=_next_serial(year),
            verification_code=new_verification_code(),
            details=details,
            issued_at=now,
            issued_by_id=staff.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(proof)
        except IntegrityError:
            if attempt == SERIAL_ATTEMPTS:
                raise
            continue
        break
    pdf = render_proof_pdf(proof)
    proof.content_hash = hashlib.sha256(pdf).hexdigest()
    proof.file_path = _store(proof.serial, pdf)
    audit.record("proof_of_completion.issue", proof,
                 after={"serial": proof.serial, "person_id": person.id}, actor=staff)  # fmt: skip
    db.session.commit()
    return proof


def _store(serial: str, pdf: bytes) -> str:
    relative = f"proofs/{serial}.pdf"
    storage.write_atomic(relative, pdf)
    return relative


def proof_pdf_bytes(proof: ProofOfCompletion) -> bytes:
    """The stored PDF, or a fresh print of the frozen details when the file is gone."""
    if proof.file_path and storage.exists(proof.file_path):
        return storage.read(proof.file_path)
    return render_proof_pdf(proof)


def render_proof_pdf(proof: ProofOfCompletion) -> bytes:
    url = verify_url(proof.verification_code)
    return render_pdf(
        "documents/proof_of_completion.html",
        {
            "proof": proof,
            "details": proof.details,
            "issued_on": local_date(proof.issued_at),
            "verify_url": url,
            "qr_uri": qr_svg_data_uri(url),
        },
        title=f"Proof of completion {proof.serial}",
        subject=f"Training series documentation for {proof.details.get('name', '')}",
    )


def revoke_proof(proof: ProofOfCompletion, *, staff: StaffUser, reason: str) -> ProofOfCompletion:
    reason = reason.strip()
    if not reason:
        raise TrainingError("Give the reason for revoking; the verification page shows it.")
    if proof.revoked_at is not None:
        raise TrainingError("This proof was already revoked.")
    proof.revoked_at = utcnow()
    proof.revoked_reason = reason
    audit.record("proof_of_completion.revoke", proof,
                 after={"serial": proof.serial, "reason": reason}, actor=staff)  # fmt: skip
    db.session.commit()
    return proof


def proofs_of(person: Person) -> list[ProofOfCompletion]:
    return list(
        db.session.scalars(
            select(ProofOfCompletion)
            .where(ProofOfCompletion.person_id == person.id)
            .order_by(ProofOfCompletion.issued_at.desc(), ProofOfCompletion.id.desc())
        )
    )


def _hours(minutes: int) -> str:
    text = f"{minutes / 60:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def verify_proof(code: str) -> dict[str, Any] | None:
    """What the public ``/verify/<code>`` page shows for a proof; None for an unknown code.

    The same shape as a certificate's public answer (``summit.certificates.verify.
    public_view``): ``status`` (valid/revoked), ``serial``, ``kind``
    (``proof_of_completion``), ``title``, ``name``, ``agency``, ``statute_reference``,
    ``topics`` (position, title, statute_reference, minutes, hours, complete, status,
    via, completed_on), ``total_minutes``, ``total_hours``, ``issued_on`` and
    ``revoked_on`` (ISO dates), plus ``curriculum``, ``issuer`` and ``events`` (the
    summits that count), and ``event`` None. Like certificates: no email, phone,
    internal id or revocation reason.
    """
    code = normalise_verification_code(code)
    if not code or len(code) > 64:
        return None
    proof = db.session.scalar(
        select(ProofOfCompletion).where(ProofOfCompletion.verification_code == code)
    )
    if proof is None:
        return None
    details = proof.details or {}
    topics = details.get("topics", [])
    total = sum(int(topic.get("minutes") or 0) for topic in topics)
    issued, revoked = local_date(proof.issued_at), local_date(proof.revoked_at)
    return {
        "status": "revoked" if proof.revoked_at else "valid",
        "serial": proof.serial,
        "version": 1,
        "kind": "proof_of_completion",
        "title": "Proof of completion (training series documentation)",
        "name": details.get("name", ""),
        "agency": details.get("agency", ""),
        "event": None,
        "events": list(details.get("events", [])),
        "curriculum": details.get("curriculum", ""),
        "statute_reference": details.get("statute_reference", ""),
        "topics": [
            {
                "position": position,
                "title": topic.get("title", ""),
                "statute_reference": topic.get("statute_reference", ""),
                "minutes": int(topic.get("minutes") or 0),
                "hours": _hours(int(topic.get("minutes") or 0)),
                "complete": topic.get("status") in ("done", "waived"),
                "status": topic.get("status", ""),
                "via": topic.get("via", ""),
                "completed_on": topic.get("completed_on"),
            }
            for position, topic in enumerate(topics, start=1)
        ],
        "total_minutes": total,
        "total_hours": _hours(total),
        "issued_on": issued.isoformat() if issued else None,
        "revoked_on": revoked.isoformat() if revoked else None,
        "superseded": False,
        "issuer": f"{current_app.config['ORGANISATION_NAME']}, "
        f"{current_app.config['ORGANISATION_UNIT']}",
    }
