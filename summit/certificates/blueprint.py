"""The one ``certificates`` blueprint and what its page modules share.

Downloads serve the stored PDF, never a new rendering. Pages are split by who
uses them: :mod:`~summit.certificates.views` (downloads),
:mod:`~summit.certificates.event_views` (an event's certificate desk and bulk
issue), :mod:`~summit.certificates.registration_views` (one registration's
certificate); all register here so endpoints stay ``certificates.*``.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app

from summit import storage
from summit.certificates import services as certificates
from summit.loaders import get_or_404
from summit.models import Certificate
from summit.security import no_store

bp = Blueprint("certificates", __name__)

bp.after_request(no_store)  # certificates and the lists of them are personal


def pdf_response(certificate: Certificate) -> Response:
    try:
        pdf = certificates.certificate_pdf(certificate)
    except storage.StorageError:
        current_app.logger.error("stored certificate file missing: %s", certificate.file_path)
        abort(404)
    name = certificates.download_name(certificate)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def issued_certificate(certificate_id: int) -> Certificate:
    """An issued version (revoked ones too), or 404: a reserved row is no certificate yet."""
    certificate = get_or_404(Certificate, certificate_id)
    if certificates.is_pending(certificate):
        abort(404)
    return certificate
