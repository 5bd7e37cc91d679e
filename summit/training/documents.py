"""The training record as a PDF for a personnel file (WeasyPrint via ``summit.documents``)."""

from __future__ import annotations

import re

from summit.documents import render_pdf
from summit.training.record import TrainingRecord
from summit.training.services import KIND_LABELS, ROLE_LABELS


def record_filename(record: TrainingRecord) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", record.person.full_name).strip("-") or "person"
    return f"training-record-{name}-{record.today.isoformat()}.pdf"


def render_record_pdf(record: TrainingRecord) -> bytes:
    person = record.person
    return render_pdf(
        "documents/training_record.html",
        {"record": record, "person": person, "kind_labels": KIND_LABELS,
         "role_labels": ROLE_LABELS},
        title=f"Training record: {person.full_name}",
        subject=f"{record.curriculum_name} ({record.statute_reference})",
    )  # fmt: skip
