"""An event's certificate desk for admins: eligibility, credit policy, branding, bulk issue."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user

from summit import storage
from summit.certificates import branding, bulk
from summit.certificates import services as certificates
from summit.certificates.blueprint import bp
from summit.certificates.desk import event_desk, start_background_batch, timing_warnings
from summit.certificates.forms import BrandingForm, BulkIssueForm, CreditPolicyForm
from summit.curricula import minutes_policy
from summit.loaders import event_or_404, get_or_404
from summit.models import Event
from summit.security import staff_required


def _event(slug: str) -> Event:
    return event_or_404(slug)


@bp.get("/staff/events/<slug>/certificates")
@staff_required("admin")
def event_page(slug: str):
    return _event_page(_event(slug))


def _event_page(event: Event, policy_form: CreditPolicyForm | None = None, status: int = 200):
    """The event's certificate desk; a refused policy form comes back with its errors."""
    desk = event_desk(event)
    batch = bulk.latest_batch(event)
    return render_template(
        "certificates/event.html",
        event=event,
        rows=desk.rows,
        counts=desk.counts,
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
    """Start a bulk issue on the task queue; the page shows its progress."""
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
    try:
        start_background_batch(batch, notify=form.notify.data)
    except Exception:  # the queue's storage is unreachable: the batch goes stale, rerunnable
        current_app.logger.exception("could not queue certificate batch %s", batch.id)
        flash("The task queue cannot be reached. Try again in a few minutes.", "danger")
        return redirect(url_for("certificates.event_page", slug=slug), code=303)
    flash("Issuing certificates. You can leave this page; progress is kept.", "info")
    return redirect(url_for("certificates.event_page", slug=slug), code=303)


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
