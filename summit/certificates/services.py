"""Issuing, re-issuing, revoking and withholding certificates: the rules in one place.

An issue is three short steps so that the slow part (printing the PDF) runs
outside any lock and in parallel across processes:

1. **reserve** (under the event lock, committed): a ``pending`` ``Certificate``
   row with the serial (kept for the registration forever), the next version and
   a fresh verification code; the current version stays ``issued`` meanwhile.
2. **print** the PDF and write it atomically (temp file + rename).
3. **finish** (under the event lock, committed): the previous version becomes
   ``superseded``, the new row ``issued``, the audit log and the "your
   certificate is ready" email are written in the same transaction.

A crash between the steps leaves a pending row that nobody can see (verification
and downloads ignore pending rows); the next issue for that registration reuses
it, so reruns never allocate a second serial and never serve half a file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from summit import audit, storage
from summit.certificates.eligibility import Eligibility, certificate_for
from summit.certificates.errors import AlreadyRevoked, NotEligible, ReasonRequired
from summit.checkin.credit import Credit
from summit.curricula import statutory_curriculum, subject_letter
from summit.extensions import db
from summit.mail import (
    Attachment,
    RegistrationEmail,
    queue_registration_email,
    queue_registration_emails,
)
from summit.models import (
    Certificate,
    CertificateStatus,
    Curriculum,
    Event,
    Person,
    Registration,
    StaffUser,
    TrainingResource,
    utcnow,
)
from summit.templating import date_range
from summit.transactions import lock_row, write_transaction
from summit.verification import (
    CODE_PATTERN,
    new_verification_code,
    normalise_verification_code,
)

Actor = StaffUser | str

# Keys of ``Certificate.details`` that do not change what the certificate certifies.
UNHASHED_KEYS = frozenset({"manual", "self_training"})
RESERVE_ATTEMPTS = 3


@dataclass(frozen=True)
class IssueResult:
    """What one issue did: ``issued`` (first version), ``reissued``, ``unchanged``."""

    certificate: Certificate
    outcome: str
    eligibility: Eligibility

    @property
    def changed(self) -> bool:
        return self.outcome in ("issued", "reissued")


# --- serials, details ----------------------------------------------------------


def serial_prefix(event: Event) -> str:
    prefix = current_app.config["CERTIFICATE_SERIAL_PREFIX"]
    return f"{prefix}-{event.starts_on.year}-"


def format_serial(event: Event, number: int) -> str:
    """``S5-2027-000123``: the event year and a number that never changes for a person."""
    return f"{serial_prefix(event)}{number:06d}"


def certificate_details(
    registration: Registration, eligibility: Eligibility, *, manual: str = ""
) -> dict[str, Any]:
    """A snapshot of what the certificate says, stored with it and shown on verification.

    Taken at issue time so a later change of name, agenda or curriculum never
    changes what an issued certificate (or its verification page) states.
    """
    if eligibility.kind is None or eligibility.credit is None:
        raise NotEligible(eligibility.message)
    event, person, credit = registration.event, registration.person, eligibility.credit
    statute = statutory_curriculum(event)
    details: dict[str, Any] = {
        "kind": eligibility.kind,
        "name": person.full_name,
        "agency": person.agency,
        "event": {
            "name": event.name,
            "slug": event.slug,
            "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat(),
            "dates": date_range(event.starts_on, event.ends_on),
            "venue_name": event.venue_name,
            "venue_address": event.venue_address,
        },
        "curriculum": {
            "code": event.curriculum.code,
            "name": event.curriculum.name,
            "version": event.curriculum.version,
            "statute_reference": event.curriculum.statute_reference,
        },
        "statute": {
            "reference": statute.statute_reference,
            "version": statute.version,
            "name": statute.name,
        },
        "required_minutes": event.default_required_minutes,
        "topics": subject_rows(event, statute, credit),
        "total_minutes": credit.total_minutes,
        "signer": {
            "name": event.certificate_signer_name,
            "title": event.certificate_signer_title,
        },
        "manual": manual,
    }
    if eligibility.kind == "attendance":
        details["self_training"] = self_training_links(
            [topic["code"] for topic in details["topics"] if not topic["complete"]]
        )
    return details


def clock_time(moment: datetime) -> str:
    """``8:30 AM``: a session's start as printed."""
    return f"{moment:%-I:%M %p}"


def subject_rows(event: Event, statute: Curriculum, credit: Credit) -> list[dict[str, Any]]:
    """One row per subject of the statute, in its order: what this event credited on it,
    from which sessions on which days; subjects the event did not teach say so."""
    taught = {item.topic_id: item for item in event.curriculum.items}
    rows = []
    for item in statute.items:
        earned = credit.for_topic(item.topic_id)
        sessions = [s for s in earned.sessions if s.minutes > 0] if earned else []
        completed_on = earned.completed_on if earned else None
        rows.append(
            {
                "position": item.position,
                "letter": subject_letter(item.statute_reference),
                "code": item.topic.code,
                "title": taught[item.topic_id].title if item.topic_id in taught else item.title,
                "statute_reference": item.statute_reference,
                "statute_text": item.statute_text,
                "taught": item.topic_id in taught,
                "minutes": earned.minutes if earned else 0,
                "required": earned.required if earned else event.required_minutes(item.topic),
                "complete": bool(earned and earned.complete),
                "completed_on": completed_on.isoformat() if completed_on else None,
                "sessions": [
                    {
                        "title": session.title,
                        "date": session.day.isoformat(),
                        "time": clock_time(session.starts_at.astimezone(event.tz)),
                        "minutes": session.minutes,
                        "roster": session.from_roster,
                    }
                    for session in sessions
                ],
            }
        )
    return rows


def self_training_links(topic_codes: list[str]) -> dict[str, list[dict[str, str]]]:
    """Active self-training resources per topic code; ``"*"`` holds the general ones."""
    from summit.models import Topic

    resources = db.session.execute(
        select(TrainingResource, Topic.code)
        .outerjoin(Topic, TrainingResource.topic_id == Topic.id)
        .where(TrainingResource.is_active.is_(True))
        .order_by(TrainingResource.position, TrainingResource.id)
    ).all()
    links: dict[str, list[dict[str, str]]] = {}
    for resource, code in resources:
        key = code or "*"
        if key != "*" and key not in topic_codes:
            continue
        entry = {"title": resource.title, "url": resource.url, "provider": resource.provider}
        links.setdefault(key, []).append(entry)
    return links


def content_hash(details: dict[str, Any]) -> str:
    """SHA-256 of what the certificate certifies (not who issued it or the links)."""
    certified = {key: value for key, value in details.items() if key not in UNHASHED_KEYS}
    canonical = json.dumps(certified, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def certificate_path(certificate: Certificate, event: Event) -> str:
    """``certificates/<event slug>/<serial>-v<version>.pdf``, relative to ``STORAGE_DIR``."""
    return f"certificates/{event.slug}/{certificate.serial}-v{certificate.version}.pdf"


# --- queries -------------------------------------------------------------------


def is_pending(certificate: Certificate) -> bool:
    return certificate.status == CertificateStatus.PENDING


def valid_certificate(registration: Registration) -> Certificate | None:
    """The registration's current certificate (issued and not revoked), if any."""
    return db.session.scalar(
        select(Certificate).where(
            Certificate.registration_id == registration.id,
            Certificate.status == CertificateStatus.ISSUED,
        )
    )


def valid_certificates_of(person: Person) -> list[Certificate]:
    """The person's valid certificates, newest first (the portal home lists them)."""
    return list(
        db.session.scalars(
            select(Certificate)
            .join(Registration, Certificate.registration_id == Registration.id)
            .where(
                Registration.person_id == person.id,
                Certificate.status == CertificateStatus.ISSUED,
            )
            .order_by(Certificate.issued_at.desc())
        )
    )


def valid_certificates(registration_ids: list[int]) -> dict[int, Certificate]:
    """:func:`valid_certificate` for many registrations in one query, by registration id."""
    rows = db.session.scalars(
        select(Certificate).where(
            Certificate.registration_id.in_(registration_ids),
            Certificate.status == CertificateStatus.ISSUED,
        )
    )
    return {certificate.registration_id: certificate for certificate in rows}


def certificates_of_registration(registration: Registration) -> list[Certificate]:
    """Every issued version, newest first (pending reservations left out)."""
    return list(
        db.session.scalars(
            select(Certificate)
            .where(
                Certificate.registration_id == registration.id,
                Certificate.status != CertificateStatus.PENDING,
            )
            .order_by(Certificate.version.desc())
        )
    )


def find_by_code(raw_code: str | None) -> Certificate | None:
    """The issued certificate a typed or scanned code names, or None (pending rows too)."""
    code = normalise_verification_code(raw_code)
    if not CODE_PATTERN.fullmatch(code):
        return None
    certificate = db.session.scalar(
        select(Certificate).where(Certificate.verification_code == code)
    )
    if certificate is None or is_pending(certificate):
        return None
    return certificate


def certificate_pdf(certificate: Certificate) -> bytes:
    """The stored PDF, exactly as issued (never re-rendered)."""
    return storage.read(certificate.file_path)


def download_name(certificate: Certificate) -> str:
    raw = f"{certificate.serial}-{certificate.details.get('name', '')}"
    slug = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    return f"certificate-{slug}.pdf"


# --- issue ---------------------------------------------------------------------


def issue_certificate(
    registration: Registration,
    *,
    actor: Actor = "system",
    manual_reason: str = "",
    force: bool = False,
    notify: bool = True,
    attach_pdf: bool = False,
    credit: Credit | None = None,
    checked_in: bool | None = None,
    now: datetime | None = None,
) -> IssueResult:
    """Issue (or re-issue) the certificate ``registration`` earns now.

    Unchanged credit answers ``unchanged`` with the current certificate unless
    ``force``. ``manual_reason`` is an admin issuing by hand past "never checked
    in" or a withholding; it is kept in the audit log and with the certificate,
    and later re-issues keep it. Raises :class:`NotEligible` when nothing is earned.
    """
    plan = plan_issue(
        registration,
        manual_reason=manual_reason,
        force=force,
        credit=credit,
        checked_in=checked_in,
    )
    if isinstance(plan, IssueResult):
        return plan
    [result] = issue_planned([plan], actor=actor, notify=notify, attach_pdf=attach_pdf, now=now)
    if isinstance(result, Exception):
        raise result
    return result


@dataclass
class IssuePlan:
    """What one registration's next certificate will say, before any row exists."""

    registration: Registration
    eligibility: Eligibility
    details: dict[str, Any]
    digest: str


def plan_issue(
    registration: Registration,
    *,
    manual_reason: str = "",
    force: bool = False,
    credit: Credit | None = None,
    checked_in: bool | None = None,
    current: Certificate | Literal["look up"] | None = "look up",
) -> IssuePlan | IssueResult:
    """The plan for a new version, or ``unchanged`` with the current certificate.

    ``current`` is the registration's valid certificate (or None) when the caller
    fetched it with others already (bulk issue). Raises :class:`NotEligible`.
    Reads only: nothing is locked or written.
    """
    if isinstance(current, str):
        current = valid_certificate(registration)
    manual = manual_reason.strip() or (current.details.get("manual", "") if current else "")
    eligibility = certificate_for(
        registration, credit, checked_in=checked_in, override=bool(manual)
    )
    if not eligibility.eligible:
        raise NotEligible(eligibility.message)
    details = certificate_details(registration, eligibility, manual=manual)
    digest = content_hash(details)
    if current is not None and current.content_hash == digest and not force:
        return IssueResult(current, "unchanged", eligibility)
    return IssuePlan(registration, eligibility, details, digest)


def issue_planned(
    plans: list[IssuePlan],
    *,
    actor: Actor = "system",
    notify: bool = True,
    attach_pdf: bool = False,
    now: datetime | None = None,
) -> list[IssueResult | Exception]:
    """Reserve, print and finish several certificates of one event with two short locks.

    A PDF that fails to print leaves its reservation pending (the next issue reuses
    it) and comes back as the exception in its place; the others are finished.
    """
    if not plans:
        return []
    now = now or utcnow()
    event = plans[0].registration.event
    reserved_ids = _reserve(event.id, plans, actor=actor, now=now)
    reserved = _load_certificates(reserved_ids)
    from summit.certificates.document import render_certificate_pdf

    printed: dict[int, bytes | None] = {}
    outcomes: list[IssueResult | Exception | None] = [None] * len(plans)
    for index, certificate_id in enumerate(reserved_ids):
        certificate = reserved[certificate_id]
        try:
            pdf = render_certificate_pdf(certificate)
            storage.write_atomic(certificate_path(certificate, event), pdf)
        except Exception as error:  # recorded per certificate; the rest go on
            outcomes[index] = error
        else:
            printed[certificate_id] = pdf if attach_pdf else None
    finished = _finish(event.id, printed, actor=actor, notify=notify, now=now)
    for index, certificate_id in enumerate(reserved_ids):
        if outcomes[index] is None:
            finished_certificate, outcome = finished[certificate_id]
            outcomes[index] = IssueResult(finished_certificate, outcome, plans[index].eligibility)
    return outcomes  # type: ignore[return-value]


def _load_certificates(ids: list[int], *, with_people: bool = False) -> dict[int, Certificate]:
    """The rows by id, read again in one query after a commit.

    A commit expires every loaded row, and touching an expired row reads it back
    alone: a query per certificate (and per registration, person and payment list
    with ``with_people``) in a chunk of 32, where one query per table will do.
    """
    statement = select(Certificate).where(Certificate.id.in_(ids))
    if with_people:
        people = selectinload(Certificate.registration)
        statement = statement.options(
            people.selectinload(Registration.person), people.selectinload(Registration.payments)
        )
    rows = db.session.scalars(statement.execution_options(populate_existing=True))
    return {row.id: row for row in rows}


def _reserve(event_id: int, plans: list[IssuePlan], *, actor: Actor, now: datetime) -> list[int]:
    """Step 1: pending rows with serial, version and code, committed under the lock.

    Returns their ids, in the order of ``plans``.
    """
    registration_ids = [plan.registration.id for plan in plans]
    for attempt in range(1, RESERVE_ATTEMPTS + 1):
        try:
            return _reserve_once(event_id, plans, registration_ids, actor=actor, now=now)
        except IntegrityError:
            # Another event of the same year took a number first: count again.
            if attempt == RESERVE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


@write_transaction()
def _reserve_once(
    event_id: int,
    plans: list[IssuePlan],
    registration_ids: list[int],
    *,
    actor: Actor,
    now: datetime,
) -> list[int]:
    """One try at :func:`_reserve`, under the event's lock; committed when it returns."""
    event = lock_row(Event, event_id)
    pending = _pending_by_registration(registration_ids)
    earlier = _earlier_serials(registration_ids)
    prefix = serial_prefix(event)
    highest = db.session.scalar(
        select(func.max(Certificate.serial_number)).where(Certificate.serial.like(f"{prefix}%"))
    )
    next_number = (highest or 0) + 1
    rows = []
    for plan, registration_id in zip(plans, registration_ids, strict=True):
        row = pending.get(registration_id)
        if row is None:
            row, next_number = _new_version(event, registration_id, earlier, next_number)
            db.session.add(row)
        row.kind = plan.details["kind"]
        row.details = plan.details
        row.content_hash = plan.digest
        row.issued_at = now
        row.issued_by_id = actor.id if isinstance(actor, StaffUser) else None
        rows.append(row)
    db.session.flush()
    return [row.id for row in rows]


def _pending_by_registration(registration_ids: list[int]) -> dict[int, Certificate]:
    """Reservations a crashed or concurrent run left unprinted: reused, not numbered again."""
    return {
        certificate.registration_id: certificate
        for certificate in db.session.scalars(
            select(Certificate).where(
                Certificate.registration_id.in_(registration_ids),
                Certificate.status == CertificateStatus.PENDING,
            )
        )
    }


def _earlier_serials(registration_ids: list[int]) -> dict[int, Any]:
    """Per registration: its serial and highest version so far (a reissue keeps the serial)."""
    return {
        row.registration_id: row
        for row in db.session.execute(
            select(
                Certificate.registration_id,
                Certificate.serial_number,
                Certificate.serial,
                func.max(Certificate.version).label("version"),
            )
            .where(Certificate.registration_id.in_(registration_ids))
            .group_by(Certificate.registration_id, Certificate.serial_number, Certificate.serial)
        )
    }


def _new_version(
    event: Event, registration_id: int, earlier: dict[int, Any], next_number: int
) -> tuple[Certificate, int]:
    """A pending row: the next version of an earlier serial, or the event's next serial."""
    before = earlier.get(registration_id)
    if before is not None:
        number, serial, version = before[1], before[2], before[3] + 1
    else:
        number, version = next_number, 1
        serial = format_serial(event, number)
        next_number += 1
    row = Certificate(
        registration_id=registration_id,
        event_id=event.id,
        serial_number=number,
        serial=serial,
        version=version,
        verification_code=new_verification_code(),
        status=CertificateStatus.PENDING,
    )
    return row, next_number


@write_transaction()
def _finish(
    event_id: int,
    printed: dict[int, bytes | None],
    *,
    actor: Actor,
    notify: bool,
    now: datetime,
) -> dict[int, tuple[Certificate, str]]:
    """Step 3: supersede previous versions and make the printed ones valid, one commit."""
    results: dict[int, tuple[Certificate, str]] = {}
    if not printed:
        return results
    lock_row(Event, event_id)
    rows = list(_load_certificates(list(printed), with_people=notify).values())
    waiting = [row for row in rows if is_pending(row)]
    for row in rows:
        if not is_pending(row):  # a concurrent issue of the same reservation finished it
            results[row.id] = (row, "unchanged")
    previous = _supersede_previous(waiting, now)
    emails = []
    for row in waiting:
        reissue = row.registration_id in previous
        _make_valid(row, reissue=reissue, actor=actor)
        if notify:
            emails.append(_ready_email(row, printed.get(row.id)))
        results[row.id] = (row, "reissued" if reissue else "issued")
    queue_registration_emails(emails)  # under the event's lock: no twin can race them
    return results


def _supersede_previous(waiting: list[Certificate], now: datetime) -> dict[int, Certificate]:
    """Mark the valid version of each waiting row's registration superseded; by registration."""
    previous = {
        certificate.registration_id: certificate
        for certificate in db.session.scalars(
            select(Certificate).where(
                Certificate.registration_id.in_([row.registration_id for row in waiting]),
                Certificate.status == CertificateStatus.ISSUED,
            )
        )
    }
    for row in waiting:
        old = previous.get(row.registration_id)
        if old is not None:
            old.status = CertificateStatus.SUPERSEDED
            old.revoked_at = now
            old.revoked_reason = f"Superseded by version {row.version}."
    db.session.flush()  # free the "one valid per registration" slots first
    return previous


def _make_valid(row: Certificate, *, reissue: bool, actor: Actor) -> None:
    row.file_path = certificate_path(row, row.event)
    row.status = CertificateStatus.ISSUED
    after = {
        "serial": row.serial,
        "version": row.version,
        "kind": row.kind,
        "total_minutes": row.details.get("total_minutes"),
    }
    if row.details.get("manual"):
        after["manual_reason"] = row.details["manual"]
    audit.record(
        "certificate.reissue" if reissue else "certificate.issue", row, after=after, actor=actor
    )


def _ready_email(row: Certificate, pdf: bytes | None) -> RegistrationEmail:
    attachments = [Attachment(download_name(row), "application/pdf", pdf)] if pdf else []
    return RegistrationEmail(
        row.registration,
        "certificate_ready",
        dedupe_key=f"certificate_ready:{row.id}",
        attachments=attachments,
        context=_mail_context(row),
    )


def _mail_context(certificate: Certificate) -> dict[str, Any]:
    from summit.urls import absolute_url

    return {
        "certificate": certificate,
        "certificate_kind": certificate.kind,
        "verify_link": absolute_url("verify.certificate", code=certificate.verification_code),
    }


def resend_certificate_email(certificate: Certificate, *, attach_pdf: bool = False) -> None:
    """Queue "your certificate is ready" again (staff asked), optionally with the PDF."""
    if not certificate.is_valid:
        raise AlreadyRevoked("Only a valid certificate can be sent.")
    attachments = []
    if attach_pdf:  # drawn before the write lock: a PDF takes a while
        pdf = certificate_pdf(certificate)
        attachments.append(Attachment(download_name(certificate), "application/pdf", pdf))
    with write_transaction():
        queue_registration_email(
            certificate.registration,
            "certificate_ready",
            attachments=attachments,
            context=_mail_context(certificate),
        )


# --- revoke, withhold ---------------------------------------------------------------


@write_transaction()
def revoke_certificate(
    certificate: Certificate, *, actor: Actor, reason: str, now: datetime | None = None
) -> Certificate:
    """Revoke a certificate with a reason; verification then says revoked, with the date."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("Give a reason for revoking the certificate.")
    certificate_id = certificate.id
    lock_row(Event, certificate.event_id)
    certificate = db.session.get(Certificate, certificate_id, populate_existing=True)
    if certificate is None or is_pending(certificate):
        raise AlreadyRevoked("There is no such certificate.")
    if certificate.status.is_revoked:
        raise AlreadyRevoked("This certificate is already revoked.")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now or utcnow()
    certificate.revoked_reason = reason
    audit.record(
        "certificate.revoke",
        certificate,
        before={"serial": certificate.serial, "version": certificate.version},
        after={"reason": reason},
        actor=actor,
    )
    return certificate


@write_transaction()
def withhold_certificate(
    registration: Registration, *, actor: Actor, reason: str, now: datetime | None = None
) -> Registration:
    """No certificate for this registration until released; a valid one is revoked."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("Give a reason for withholding the certificate.")
    registration_id = registration.id
    lock_row(Event, registration.event_id)
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    before = registration.certificate_withheld_reason
    registration.certificate_withheld_reason = reason
    current = valid_certificate(registration)
    if current is not None:
        current.status = CertificateStatus.REVOKED
        current.revoked_at = now or utcnow()
        current.revoked_reason = f"Withheld: {reason}"
    audit.record(
        "certificate.withhold",
        registration,
        before={"withheld": before},
        after={"withheld": reason, "revoked": current.serial if current else None},
        actor=actor,
    )
    return registration


@write_transaction()
def release_certificate(registration: Registration, *, actor: Actor) -> Registration:
    """Undo a withholding; the next issue prints the certificate the credit earns."""
    registration_id = registration.id
    lock_row(Event, registration.event_id)
    registration = db.session.get(Registration, registration_id, populate_existing=True)
    before = registration.certificate_withheld_reason
    registration.certificate_withheld_reason = None
    audit.record(
        "certificate.release", registration, before={"withheld": before}, after=None, actor=actor
    )
    return registration


def preview_certificate_pdf(registration: Registration) -> bytes:
    """The PDF this registration would get now, marked PREVIEW, stored nowhere."""
    from summit.certificates.document import render_preview_pdf

    current = valid_certificate(registration)
    manual = current.details.get("manual", "") if current else ""
    eligibility = certificate_for(registration, override=bool(manual))
    if not eligibility.eligible:
        raise NotEligible(eligibility.message)
    details = certificate_details(registration, eligibility, manual=manual)
    return render_preview_pdf(registration.event, details)


def set_credit_policy(
    event: Event, *, required_minutes: int, grace_minutes: int, actor: Actor
) -> None:
    """Change the ESD's credit policy for ``event``; audited, committed once.

    Certificates already issued keep what they printed; a re-issue uses the new policy.
    Inside another write transaction (the event editor's) it joins that one.
    """
    with write_transaction():
        before = {
            "default_required_minutes": event.default_required_minutes,
            "checkin_grace_minutes": event.checkin_grace_minutes,
        }
        event.default_required_minutes = required_minutes
        event.checkin_grace_minutes = grace_minutes
        after = {
            "default_required_minutes": required_minutes,
            "checkin_grace_minutes": grace_minutes,
        }
        audit.record_event_change("event.credit_policy", event, before, after, actor)
