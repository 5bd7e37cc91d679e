"""Staff training pages (``/staff/training``, blueprint ``training_staff``).

The review queue, a person's record, significant prior training and experience,
issuing training series documentation; the resources editor is in
:mod:`~summit.training.resource_views` on the same blueprint. ``checkin`` staff
may look; only ``admin`` may change anything.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from summit.extensions import db
from summit.forms import ActionForm, ReasonRequiredForm
from summit.loaders import get_or_404
from summit.models import (
    Person,
    PriorExperience,
    PriorExperienceFile,
    SelfTrainingEntry,
    TrainingSeriesDocumentation,
)
from summit.security import no_store, staff_required
from summit.training import evidence as evidence_files
from summit.training import proof as series_documentation
from summit.training import services
from summit.training.errors import EvidenceRejected, TrainingError
from summit.training.forms import PriorExperienceForm, ReviewForm
from summit.training.pages import (
    VIEW_ROLES,
    context,
    documentation_response,
    evidence_response,
    record_pdf_response,
    show_error,
)
from summit.training.record import training_record

bp = Blueprint("training_staff", __name__, url_prefix="/staff/training")
bp.after_request(no_store)


def staff():
    return current_user._get_current_object()


@bp.get("/")
@staff_required(*VIEW_ROLES)
def overview():
    """The review queue and a search for a person's record."""
    q = request.args.get("q", "").strip()[:200]
    people = services.find_people(q) if q else []
    return render_template(
        "training/staff_review.html",
        queue=services.review_queue(),
        form=ReviewForm(),
        q=q,
        people=people,
        **context(),
    )


def _entry(entry_id: int) -> SelfTrainingEntry:
    return get_or_404(SelfTrainingEntry, entry_id)


@bp.post("/entries/<int:entry_id>/review")
@staff_required("admin")
def review(entry_id: int):
    entry = _entry(entry_id)
    form = ReviewForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("accept", "return"):
        flash("Choose accept or return.", "danger")
        return redirect(url_for("training_staff.overview"), code=303)
    try:
        services.review_entry(
            entry, staff=staff(), accept=decision == "accept", comment=form.comment.data or ""
        )
    except TrainingError as error:
        flash(error.message, "danger")
    else:
        verb = "accepted" if decision == "accept" else "returned"
        flash(
            f"“{entry.title}” by {entry.person.full_name} is {verb}; they are emailed.", "success"
        )
    if request.form.get("back") == "person":
        return redirect(url_for("training_staff.person", person_id=entry.person_id), code=303)
    return redirect(url_for("training_staff.overview"), code=303)


@bp.get("/entries/<int:entry_id>/evidence")
@staff_required(*VIEW_ROLES)
def staff_evidence(entry_id: int):
    return evidence_response(_entry(entry_id))


def _person(person_id: int) -> Person:
    return get_or_404(Person, person_id)


@bp.get("/people/<int:person_id>")
@staff_required(*VIEW_ROLES)
def person(person_id: int):
    return _person_page(_person(person_id), PriorExperienceForm())


def _person_page(person: Person, prior_form: PriorExperienceForm) -> str:
    """A person's record for staff; ``prior_form`` keeps what was typed into a refused one."""
    return render_template(
        "training/staff_person.html",
        person=person,
        record=training_record(person),
        entries=services.entries_of(person),
        documents=series_documentation.documentation_of(person),
        prior_records=services.prior_experience_of(person),
        prior_form=prior_form,
        review_form=ReviewForm(),
        reason_form=ReasonRequiredForm(),
        action=ActionForm(),
        **context(),
    )


@bp.get("/people/<int:person_id>/record.pdf")
@staff_required(*VIEW_ROLES)
def person_pdf(person_id: int):
    return record_pdf_response(_person(person_id))


@bp.post("/people/<int:person_id>/prior-experience")
@staff_required("admin")
def record_prior_experience(person_id: int):
    """Record significant prior training and experience; a refusal shows the page again
    (400) with what was typed (files must be chosen again: browsers never refill them)."""
    person = _person(person_id)
    form = PriorExperienceForm()
    if form.validate_on_submit():
        try:
            uploads = [
                evidence_files.read_upload(file.stream, file.filename)
                for file in form.files.data or []
                if getattr(file, "filename", "")
            ]
            services.record_prior_experience(
                person,
                reviewed=form.reviewed.data,
                reason=form.reason.data,
                files=uploads,
                staff=staff(),
            )
        except EvidenceRejected as error:
            form.files.errors = [*form.files.errors, error.message]
        except TrainingError as error:
            show_error(form, error)
        else:
            flash("Significant prior training and experience is recorded.", "success")
            return redirect(url_for("training_staff.person", person_id=person.id), code=303)
    flash("Nothing was recorded: correct the fields marked below.", "danger")
    return _person_page(person, form), 400


@bp.post("/prior-experience/<int:record_id>/withdraw")
@staff_required("admin")
def withdraw_prior_experience(record_id: int):
    record = get_or_404(PriorExperience, record_id)
    if ActionForm().validate_on_submit():
        try:
            services.withdraw_prior_experience(record, staff=staff())
        except TrainingError as error:
            flash(error.message, "warning")
        else:
            flash("The record of prior training and experience is withdrawn.", "success")
    return redirect(url_for("training_staff.person", person_id=record.person_id), code=303)


@bp.get("/prior-experience/files/<int:file_id>")
@staff_required(*VIEW_ROLES)
def prior_experience_file(file_id: int):
    file = db.session.get(PriorExperienceFile, file_id)
    path = evidence_files.path_of(file.path) if file is not None else None
    if path is None:
        abort(404)
    return send_file(
        path, mimetype=file.content_type, as_attachment=True, download_name=file.filename, max_age=0
    )


@bp.post("/people/<int:person_id>/documentation")
@staff_required("admin")
def issue_documentation(person_id: int):
    person = _person(person_id)
    if ActionForm().validate_on_submit():
        try:
            documentation = series_documentation.issue_documentation(person, staff=staff())
        except TrainingError as error:
            flash(error.message, "danger")
        else:
            flash(f"Training series documentation {documentation.serial} is issued.", "success")
    return redirect(url_for("training_staff.person", person_id=person.id), code=303)


def _documentation(documentation_id: int) -> TrainingSeriesDocumentation:
    return get_or_404(TrainingSeriesDocumentation, documentation_id)


@bp.get("/documentation/<int:documentation_id>.pdf")
@staff_required(*VIEW_ROLES)
def staff_documentation_pdf(documentation_id: int):
    return documentation_response(_documentation(documentation_id))


@bp.post("/documentation/<int:documentation_id>/reissue")
@staff_required("admin")
def reissue_documentation(documentation_id: int):
    documentation = _documentation(documentation_id)
    if ActionForm().validate_on_submit():
        try:
            new = series_documentation.reissue_documentation(documentation, staff=staff())
        except TrainingError as error:
            flash(error.message, "danger")
        else:
            flash(
                f"Training series documentation {new.serial} is re-issued as version "
                f"{new.version}; version {documentation.version} is superseded.",
                "success",
            )
    return redirect(url_for("training_staff.person", person_id=documentation.person_id), code=303)


@bp.post("/documentation/<int:documentation_id>/revoke")
@staff_required("admin")
def revoke_documentation(documentation_id: int):
    documentation = _documentation(documentation_id)
    form = ReasonRequiredForm()
    if form.validate_on_submit():
        try:
            series_documentation.revoke_documentation(
                documentation, staff=staff(), reason=form.reason.data
            )
        except TrainingError as error:
            flash(error.message, "warning")
        else:
            flash(f"Training series documentation {documentation.serial} is revoked.", "success")
    else:
        flash("Give the reason for revoking.", "danger")
    return redirect(url_for("training_staff.person", person_id=documentation.person_id), code=303)
