"""Certificate downloads: the attendee's own, staff downloads and the event's ZIP.

The attendee sees only their own valid certificates (anyone else's id answers
404, like one that does not exist). Staff downloads are for admins, like every
certificate page: check-in staff never need one (the desk prints badges and
sign-in sheets), so a desk account cannot collect people's certificates. Admins
issue, revoke, withhold, upload the signature and logo, and run a bulk issue
(:mod:`~summit.certificates.event_views`,
:mod:`~summit.certificates.registration_views`). Importing this module
registers every certificate page on :data:`bp`.
"""

from __future__ import annotations

from flask import abort, flash, redirect, send_file, url_for

from summit.auth.attendees import attendee_required, current_attendee
from summit.certificates import event_views, registration_views
from summit.certificates.blueprint import bp, issued_certificate, pdf_response
from summit.certificates.desk import certificates_zip, zip_name
from summit.loaders import event_or_404
from summit.security import staff_required

PAGES = (event_views, registration_views)


# --- the attendee ------------------------------------------------------------------


@bp.get("/my/certificates/<int:certificate_id>.pdf")
@attendee_required
def my_certificate_pdf(certificate_id: int):
    """The person's own valid certificate; anything else is 404, whoever owns it."""
    certificate = issued_certificate(certificate_id)
    if not certificate.is_valid or certificate.registration.person_id != current_attendee().id:
        abort(404)
    return pdf_response(certificate)


# --- staff: downloads -------------------------------------------------------------


@bp.get("/staff/certificates/<int:certificate_id>.pdf")
@staff_required("admin")
def staff_certificate_pdf(certificate_id: int):
    """Any issued version, revoked ones included (staff need the history)."""
    return pdf_response(issued_certificate(certificate_id))


@bp.get("/staff/events/<slug>/certificates.zip")
@staff_required("admin")
def event_zip(slug: str):
    """Every valid certificate of the event in one ZIP, streamed from a temporary file."""
    event = event_or_404(slug)
    archive = certificates_zip(event)
    if archive is None:
        flash("There are no valid certificates to download yet.", "warning")
        return redirect(url_for("certificates.event_page", slug=slug))
    return send_file(
        archive, mimetype="application/zip", as_attachment=True, download_name=zip_name(event)
    )
