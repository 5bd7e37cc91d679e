"""The training record and the training series documentation as PDFs (WeasyPrint via
``summit.documents``).

Each has a ``…_layout`` that lays the document out without writing it, so tests
measure exactly what is printed (every text box on its page, none on another).
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from summit.clock import local_date
from summit.documents.pdf import LaidOutDocument, lay_out
from summit.qr import qr_svg_data_uri
from summit.training.record import STATUTE_345, TrainingRecord
from summit.training.services import KIND_LABELS, ROLE_LABELS
from summit.urls import absolute_url

if TYPE_CHECKING:
    from summit.models import TrainingSeriesDocumentation

DOCUMENTATION_TEMPLATE = "documents/training_series_documentation.html"


def record_filename(record: TrainingRecord) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", record.person.full_name).strip("-") or "person"
    return f"training-record-{name}-{record.today.isoformat()}.pdf"


def record_layout(record: TrainingRecord) -> LaidOutDocument:
    person = record.person
    return lay_out(
        "documents/training_record.html",
        {
            "record": record,
            "person": person,
            "kind_labels": KIND_LABELS,
            "role_labels": ROLE_LABELS,
            "statute": STATUTE_345,
        },
        title=f"Training record: {person.full_name}",
        subject=f"{record.curriculum_name} ({record.statute_reference})",
    )


def render_record_pdf(record: TrainingRecord) -> bytes:
    return record_layout(record).write()


def verification_url(code: str) -> str:
    """The public address printed on the documentation and in its QR code."""
    return absolute_url("verify.certificate", code=code)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def documentation_layout(documentation: TrainingSeriesDocumentation) -> LaidOutDocument:
    url = verification_url(documentation.verification_code)
    details = documentation.details or {}
    return lay_out(
        DOCUMENTATION_TEMPLATE,
        {
            "documentation": documentation,
            "details": details,
            "day": _day,
            "issued_on": local_date(documentation.issued_at),
            "verify_url": url,
            "qr_uri": qr_svg_data_uri(url),
        },
        title=f"Training series documentation {documentation.serial}",
        subject=f"Training series documentation for {details.get('name', '')}",
    )


def render_documentation_pdf(documentation: TrainingSeriesDocumentation) -> bytes:
    return documentation_layout(documentation).write()
