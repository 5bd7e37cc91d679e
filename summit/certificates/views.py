"""Certificate pages: the attendee's download, the staff certificate desk, bulk issue.

Downloads serve the stored PDF, never a new rendering. The attendee sees only
their own valid certificates (anyone else's id answers 404, like one that does not
exist); staff of any role may download; only admins issue, revoke, withhold,
upload the signature and logo, or run a bulk issue.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import zipfile

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from summit import storage
from summit.auth.attendees import attendee_required, current_attendee
from summit.certificates import branding, bulk
from summit.certificates import services as certificates
from summit.certificates.eligibility import (
    certificate_for,
    certificates_open_at,
    too_early_message,
)
from summit.certificates.errors import CertificateError
from summit.certificates.forms import (
    BrandingForm,
    BulkIssueForm,
    CreditPolicyForm,
    IssueForm,
    ResendForm,
)
from summit.checkin.credit import event_credit
from summit.curricula import minutes_policy
from summit.extensions import db
from summit.forms import ActionForm, ReasonRequiredForm
from summit.loaders import event_or_404, get_or_404
from summit.models import (
    Certificate,
    CertificateStatus,
    Event,
    Registration,
    RegistrationState,
    utcnow,
)
from summit.security import no_store, staff_required

bp = Blueprint("certificates", __name__)


bp.after_request(no_store)  # certificates and the lists of them are personal


def _pdf_response(certificate: Certificate) -> Response:
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


def _issued_certificate(certificate_id: int) -> Certificate:
    """An issued version (revoked ones too), or 404: a reserved row is no certificate yet."""
    certificate = get_or_404(Certificate, certificate_id)
    if certificates.is_pending(certificate):
        abort(404)
    return certificate


# --- the attendee ------------------------------------------------------------------


@bp.get("/my/certificates/<int:certificate_id>.pdf")
@attendee_required
def my_certificate_pdf(certificate_id: int):
    """The person's own valid certificate; anything else is 404, whoever owns it."""
    certificate = _issued_certificate(certificate_id)
    if not certificate.is_valid or certificate.registration.person_id != current_attendee().id:
        abort(404)
    return _pdf_response(certificate)


# --- staff: downloads -------------------------------------------------------------


@bp.get("/staff/certificates/<int:certificate_id>.pdf")
@staff_required()
def staff_certificate_pdf(certificate_id: int):
    """Any issued version, revoked ones included (staff need the history)."""
    return _pdf_response(_issued_certificate(certificate_id))


@bp.get("/staff/events/<slug>/certificates.zip")
@staff_required("admin")
def event_zip(slug: str):
    """Every valid certificate of the event in one ZIP, streamed from a temporary file."""
    event = _event(slug)
    rows = db.session.scalars(
        select(Certificate)
        .where(
            Certificate.event_id == event.id,
            Certificate.status == CertificateStatus.ISSUED,
        )
        .order_by(Certificate.serial)
    ).all()
    if not rows:
        flash("There are no valid certificates to download yet.", "warning")
        return redirect(url_for("certificates.event_page", slug=slug))
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
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
    name = re.sub(r"[^a-z0-9-]+", "-", event.slug.lower())
    return send_file(
        spool,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{name}-certificates.zip",
    )


# --- staff: the event's certificate desk ----------------------------------------------


def _event(slug: str) -> Event:
    return event_or_404(slug)


def timing_warnings(event: Event) -> list[str]:
    """Why nothing can be issued yet: certificates wait for the event's last session."""
    opens_at = certificates_open_at(event)
    return [too_early_message(opens_at)] if utcnow() < opens_at else []


@bp.get("/staff/events/<slug>/certificates")
@staff_required("admin")
def event_page(slug: str):
    return _event_page(_event(slug))


def _event_page(event: Event, policy_form: CreditPolicyForm | None = None, status: int = 200):
    """The event's certificate desk; a refused policy form comes back with its errors."""
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
    checked_in = bulk._checked_in_ids(event)
    current = bulk._valid_certificates(event)
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
    batch = bulk.latest_batch(event)
    return render_template(
        "certificates/event.html",
        event=event,
        rows=rows,
        counts={
            "completion": sum(1 for _, e, _ in rows if e.kind == "completion"),
            "attendance": sum(1 for _, e, _ in rows if e.kind == "attendance"),
            "issued": len(current),
        },
        warnings=[*timing_warnings(event), *branding.branding_warnings(event)],
        signed=branding.is_signed(event),
        batch=batch,
        progress=bulk.batch_progress(batch) if batch else None,
        bulk_form=BulkIssueForm(prefix="bulk"),
        policy_form=policy_form
        or CreditPolicyForm(
            prefix="policy",
            data={
                "required_minutes": event.default_required_minutes,
                "grace_minutes": event.checkin_grace_minutes,
            },
        ),
        policy=minutes_policy(
            current_app.config["ORGANISATION_NAME"], event.default_required_minutes
        ),
        branding_form=BrandingForm(
            prefix="branding",
            data={
                "signer_name": event.certificate_signer_name,
                "signer_title": event.certificate_signer_title,
            },
        ),
    ), status


@bp.post("/staff/events/<slug>/certificates/branding")
@staff_required("admin")
def upload_branding(slug: str):
    event = _event(slug)
    form = BrandingForm(prefix="branding")
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("certificates.event_page", slug=slug), code=303)
    images = {}
    for kind in branding.KINDS:
        upload = getattr(form, kind).data
        if upload and getattr(upload, "filename", ""):
            data = upload.read(branding.MAX_BYTES + 1)
            try:
                images[kind] = branding.check_image(data)
            except branding.UploadRefused as error:
                flash(f"{kind.title()}: {error}", "danger")
                return redirect(url_for("certificates.event_page", slug=slug), code=303)
    branding.update_branding(
        event,
        actor=current_user._get_current_object(),
        signer_name=_submitted(form.signer_name),
        signer_title=_submitted(form.signer_title),
        signature=images.get("signature"),
        logo=images.get("logo"),
        remove_signature=form.remove_signature.data and "signature" not in images,
        remove_logo=form.remove_logo.data and "logo" not in images,
    )
    flash("Certificate signature and logo saved.", "success")
    return redirect(url_for("certificates.event_page", slug=slug), code=303)


@bp.post("/staff/events/<slug>/credit-policy")
@staff_required("admin")
def credit_policy(slug: str):
    event = _event(slug)
    form = CreditPolicyForm(prefix="policy")
    if not form.validate_on_submit():
        return _event_page(event, form, 400)
    certificates.set_credit_policy(
        event,
        required_minutes=form.required_minutes.data,
        grace_minutes=form.grace_minutes.data,
        actor=current_user._get_current_object(),
    )
    flash("Credit policy saved.", "success")
    return redirect(url_for("certificates.event_page", slug=slug), code=303)


def _submitted(field) -> str | None:
    """The field's value, or None when the post left it out (keep what is stored)."""
    return (field.data or "") if field.raw_data else None


@bp.get("/staff/events/<slug>/certificates/branding/<kind>")
@staff_required("admin")
def branding_image(slug: str, kind: str):
    """The uploaded image, for the admin page (as an attachment, never inline HTML)."""
    event = _event(slug)
    if kind not in branding.KINDS:
        abort(404)
    relative = event.signature_path if kind == "signature" else event.logo_path
    if not relative or not storage.exists(relative):
        abort(404)
    try:
        image = branding.check_image(storage.read(relative))
    except branding.UploadRefused:
        abort(404)
    response = Response(image.data, mimetype=image.mime_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@bp.post("/staff/events/<slug>/certificates/issue-all")
@staff_required("admin")
def issue_all(slug: str):
    """Start a bulk issue in a background process; the page shows its progress."""
    event = _event(slug)
    form = BulkIssueForm(prefix="bulk")
    if not form.validate_on_submit():
        abort(400)
    if not branding.is_signed(event) and not form.unsigned_ok.data:
        flash(
            "No signature image is set. Upload one first, or tick "
            "“Issue without a signature image”.",
            "warning",
        )
        return redirect(url_for("certificates.event_page", slug=slug), code=303)
    try:
        batch = bulk.create_batch(event, actor=current_user._get_current_object())
    except bulk.BatchBusy as error:
        flash(error.message, "warning")
        return redirect(url_for("certificates.event_page", slug=slug), code=303)
    start_background_batch(event, batch, notify=form.notify.data)
    flash("Issuing certificates. You can leave this page; progress is kept.", "info")
    return redirect(url_for("certificates.event_page", slug=slug), code=303)


def start_background_batch(event: Event, batch, *, notify: bool) -> None:
    """Run the CLI for this batch in its own process so the request returns at once.

    Tests replace this with an in-process run (``CERTIFICATE_BATCH_INLINE``).
    """
    if current_app.config["CERTIFICATE_BATCH_INLINE"]:
        bulk.run_batch(batch.id, notify=notify, workers=0)
        return
    command = [sys.executable, "-m", "flask", "--app", "summit", "issue-certificates",
               event.slug, "--batch", str(batch.id)]  # fmt: skip
    if not notify:
        command.append("--no-email")
    subprocess.Popen(  # noqa: S603 - fixed argv, no shell; the slug comes from the database
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=_child_environment(),
    )


def _child_environment() -> dict[str, str]:
    """The server's environment plus the database it really uses (set by tests or config)."""
    import os

    env = dict(os.environ)
    env["DATABASE_URL"] = current_app.config["SQLALCHEMY_DATABASE_URI"]
    env["SUMMIT_INSTANCE_PATH"] = current_app.instance_path
    if current_app.config.get("STORAGE_DIR"):
        env["SUMMIT_STORAGE_DIR"] = str(current_app.config["STORAGE_DIR"])
    if current_app.config.get("PUBLIC_URL"):
        env["SUMMIT_PUBLIC_URL"] = current_app.config["PUBLIC_URL"]
    return env


@bp.get("/staff/events/<slug>/certificates/batches/<int:batch_id>.json")
@staff_required("admin")
def batch_json(slug: str, batch_id: int):
    event = _event(slug)
    batch = get_or_404(bulk.CertificateBatch, batch_id, event=event)
    return jsonify(bulk.batch_progress(batch))


@bp.get("/staff/certificates/progress.js")
@staff_required("admin")
def progress_script():
    """The progress bar's poller, served by the app itself (the CSP allows 'self' only)."""
    body = render_template("certificates/progress.js")
    return Response(body, mimetype="text/javascript")


# --- staff: one registration ----------------------------------------------------------


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
    certificate = _issued_certificate(certificate_id)
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
    certificate = _issued_certificate(certificate_id)
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
