"""What the staff certificate desk shows and hands out: eligibility rows, the ZIP,
the background bulk issue. The views in :mod:`summit.certificates.event_views`
parse, call one of these, and render or redirect.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit import storage
from summit.certificates import bulk
from summit.certificates import services as certificates
from summit.certificates.eligibility import (
    Eligibility,
    certificate_for,
    certificates_open_at,
    too_early_message,
)
from summit.certificates.tasks import issue_certificate_batch
from summit.checkin.credit import event_credit
from summit.extensions import db
from summit.models import (
    Certificate,
    CertificateBatch,
    CertificateStatus,
    Event,
    Registration,
    RegistrationState,
    utcnow,
)

ZIP_SPOOL_BYTES = 32 * 1024 * 1024  # kept in memory up to this, then on disk


DeskRow = tuple[Registration, Eligibility, Certificate | None]


@dataclass(frozen=True)
class EventDesk:
    """Everyone not cancelled, with what they qualify for and their valid certificate.

    Each row is ``(registration, eligibility, certificate or None)``.
    """

    rows: list[DeskRow]
    issued: int

    @property
    def counts(self) -> dict[str, int]:
        kinds = [eligibility.kind for _registration, eligibility, _certificate in self.rows]
        return {
            "completion": kinds.count("completion"),
            "attendance": kinds.count("attendance"),
            "issued": self.issued,
        }


def event_desk(event: Event) -> EventDesk:
    registrations = list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event.id, Registration.state != RegistrationState.CANCELLED
            )
            .options(selectinload(Registration.person))
            .order_by(Registration.id)
        )
    )
    credits = event_credit(event, registrations)
    checked_in = bulk.checked_in_ids(event)
    current = bulk.event_valid_certificates(event)
    rows = []
    for registration in registrations:
        existing = current.get(registration.id)
        eligibility = certificate_for(
            registration,
            credits[registration.id],
            checked_in=registration.id in checked_in,
            override=bool(existing and existing.details.get("manual")),
        )
        rows.append((registration, eligibility, existing))
    return EventDesk(rows, len(current))


def timing_warnings(event: Event) -> list[str]:
    """Why nothing can be issued yet: certificates wait for the event's last session."""
    opens_at = certificates_open_at(event)
    return [too_early_message(opens_at)] if utcnow() < opens_at else []


def zip_name(event: Event) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", event.slug.lower()) + "-certificates.zip"


def certificates_zip(event: Event) -> IO[bytes] | None:
    """Every valid certificate of the event in one ZIP, rewound; None when there are none.

    A stored file that has gone missing is logged and left out rather than
    failing the whole download.
    """
    rows = db.session.scalars(
        select(Certificate)
        .where(Certificate.event_id == event.id, Certificate.status == CertificateStatus.ISSUED)
        .order_by(Certificate.serial)
    ).all()
    if not rows:
        return None
    spool = tempfile.SpooledTemporaryFile(max_size=ZIP_SPOOL_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in rows:
            try:
                archive.write(
                    storage.resolve(certificate.file_path),
                    arcname=certificates.download_name(certificate),
                )
            except (storage.StorageError, FileNotFoundError):
                current_app.logger.error("stored certificate missing: %s", certificate.file_path)
    spool.seek(0)
    return spool


def start_background_batch(batch: CertificateBatch, *, notify: bool) -> None:
    """Hand the batch to the task queue so the request returns at once; the consumer
    runs it and the page polls the batch row for progress."""
    issue_certificate_batch.enqueue(batch.id, notify)
