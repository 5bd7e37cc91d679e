"""One registration's certificate, for admins: preview, issue, revoke, resend, withhold."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from summit.certificates import branding
from summit.certificates import services as certificates
from summit.certificates.blueprint import bp, issued_certificate
from summit.certificates.eligibility import certificate_for
from summit.certificates.errors import CertificateError
from summit.certificates.forms import IssueForm, ResendForm
from summit.forms import ActionForm, ReasonRequiredForm
from summit.loaders import get_or_404
from summit.models import Registration
from summit.security import staff_required


def _registration(registration_id: int) -> Registration:
    return get_or_404(Registration, registration_id)


@bp.get("/staff/registrations/<int:registration_id>/certificate")
@staff_required("admin")
def registration_page(registration_id: int):
    registration = _registration(registration_id)
    current = certificates.valid_certificate(registration)
    eligibility = certificate_for(
        registration, override=bool(current and current.details.get("manual"))
    )
    return render_template(
        "certificates/registration.html",
        registration=registration,
        event=registration.event,
        person=registration.person,
        eligibility=eligibility,
        current=current,
        versions=certificates.certificates_of_registration(registration),
        warnings=branding.branding_warnings(registration.event),
        signed=branding.is_signed(registration.event),
        issue_form=IssueForm(prefix="issue"),
        revoke_form=ReasonRequiredForm(prefix="revoke"),
        withhold_form=ReasonRequiredForm(prefix="withhold"),
        resend_form=ResendForm(prefix="resend"),
        release_form=ActionForm(prefix="release"),
    )


def _back(registration_id: int):
    return redirect(
        url_for("certificates.registration_page", registration_id=registration_id), code=303
    )


@bp.get("/staff/registrations/<int:registration_id>/certificate/preview.pdf")
@staff_required("admin")
def preview_pdf(registration_id: int):
    """What the certificate would look like if issued now: marked PREVIEW, not stored."""
    registration = _registration(registration_id)
    try:
        pdf = certificates.preview_certificate_pdf(registration)
    except CertificateError as error:
        flash(f"No preview: {error.message}", "warning")
        return _back(registration_id)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="certificate-preview.pdf"'},
    )


@bp.post("/staff/registrations/<int:registration_id>/certificate/issue")
@staff_required("admin")
def issue(registration_id: int):
    registration = _registration(registration_id)
    form = IssueForm(prefix="issue")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return _back(registration_id)
    if not branding.is_signed(registration.event) and not form.unsigned_ok.data:
        flash(
            "No signature image is set for this event. Upload one on the event's certificate "
            "page, or tick “Issue without a signature image”.",
            "warning",
        )
        return _back(registration_id)
    try:
        result = certificates.issue_certificate(
            registration,
            actor=current_user._get_current_object(),
            manual_reason=form.manual_reason.data or "",
            force=form.force.data,
            notify=form.notify.data,
            attach_pdf=form.attach_pdf.data,
        )
    except CertificateError as error:
        flash(error.message, "danger")
        return _back(registration_id)
    messages = {
        "issued": f"Certificate {result.certificate.serial} issued.",
        "reissued": f"Certificate {result.certificate.serial} re-issued as version "
        f"{result.certificate.version}.",
        "unchanged": "Nothing changed since the certificate was issued: no new version.",
    }
    flash(messages[result.outcome], "success" if result.changed else "info")
    return _back(registration_id)


@bp.post("/staff/certificates/<int:certificate_id>/revoke")
@staff_required("admin")
def revoke(certificate_id: int):
    certificate = issued_certificate(certificate_id)
    registration_id = certificate.registration_id
    form = ReasonRequiredForm(prefix="revoke")
    if not form.validate_on_submit():
        flash("Give a reason for revoking; it is kept in the audit log.", "danger")
        return _back(registration_id)
    try:
        certificates.revoke_certificate(
            certificate, actor=current_user._get_current_object(), reason=form.reason.data
        )
    except CertificateError as error:
        flash(error.message, "danger")
    else:
        flash(f"Certificate {certificate.serial} revoked.", "success")
    return _back(registration_id)


@bp.post("/staff/certificates/<int:certificate_id>/resend")
@staff_required("admin")
def resend(certificate_id: int):
    certificate = issued_certificate(certificate_id)
    form = ResendForm(prefix="resend")
    if form.validate_on_submit():
        try:
            certificates.resend_certificate_email(certificate, attach_pdf=form.attach_pdf.data)
        except CertificateError as error:
            flash(error.message, "danger")
        else:
            flash("The “certificate ready” email is queued again.", "success")
    return _back(certificate.registration_id)


@bp.post("/staff/registrations/<int:registration_id>/certificate/withhold")
@staff_required("admin")
def withhold(registration_id: int):
    registration = _registration(registration_id)
    form = ReasonRequiredForm(prefix="withhold")
    if not form.validate_on_submit():
        flash("Give a reason for withholding; it is kept in the audit log.", "danger")
        return _back(registration_id)
    certificates.withhold_certificate(
        registration, actor=current_user._get_current_object(), reason=form.reason.data
    )
    flash("Certificate withheld; a valid one was revoked.", "success")
    return _back(registration_id)


@bp.post("/staff/registrations/<int:registration_id>/certificate/release")
@staff_required("admin")
def release(registration_id: int):
    registration = _registration(registration_id)
    if not ActionForm(prefix="release").validate_on_submit():
        abort(400)
    certificates.release_certificate(registration, actor=current_user._get_current_object())
    flash("The certificate is no longer withheld. Issue it when ready.", "success")
    return _back(registration_id)
