"""What the training pages share: labels for templates, PDF and file answers, form errors.

The pages are split by audience into three blueprints:
:mod:`~summit.training.public_views`, :mod:`~summit.training.portal_views` and
:mod:`~summit.training.staff_views` (with :mod:`~summit.training.resource_views`).
"""

from __future__ import annotations

from flask import Response, abort, flash, send_file

from summit.models import Person, SelfTrainingEntry, TrainingSeriesDocumentation
from summit.training import evidence as evidence_files
from summit.training import proof as series_documentation
from summit.training import services
from summit.training.documents import record_filename, render_record_pdf
from summit.training.errors import TrainingError
from summit.training.record import STATUTE_345, training_record

VIEW_ROLES = ("admin", "checkin")  # staff who may look; only admins change anything


def context() -> dict:
    """The labels and statute every record page shows."""
    return {
        "kind_labels": services.KIND_LABELS,
        "role_labels": services.ROLE_LABELS,
        "statute": STATUTE_345,
    }


def record_pdf_response(person: Person) -> Response:
    record = training_record(person)
    return Response(
        render_record_pdf(record),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{record_filename(record)}"'},
    )


def evidence_response(entry: SelfTrainingEntry) -> Response:
    path = evidence_files.path_of(entry.evidence_path)
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype=entry.evidence_content_type or "application/octet-stream",
        as_attachment=True,
        download_name=entry.evidence_filename or path.name,
        max_age=0,
    )


def documentation_response(documentation: TrainingSeriesDocumentation) -> Response:
    name = f"{documentation.serial}-v{documentation.version}.pdf"
    return Response(
        series_documentation.documentation_pdf_bytes(documentation),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def show_error(form, error: TrainingError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")
