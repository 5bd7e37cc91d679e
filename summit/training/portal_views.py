"""The attendee's training pages (``/my/training``, blueprint ``training_portal``).

The record and its PDF, the self-training log, assignment date and role, share
links, the training series documentation PDF. Personal: never cached.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from summit.auth.attendees import attendee_actor, attendee_required, current_attendee
from summit.clock import today_local
from summit.forms import ActionForm
from summit.loaders import get_or_404
from summit.models import RecordShare, SelfTrainingEntry, TrainingSeriesDocumentation
from summit.security import no_store
from summit.training import evidence as evidence_files
from summit.training import proof as series_documentation
from summit.training import services, shares
from summit.training.errors import TrainingError
from summit.training.forms import AssignmentForm, EntryForm, ShareForm
from summit.training.pages import (
    context,
    documentation_response,
    evidence_response,
    record_pdf_response,
    show_error,
)
from summit.training.record import training_record
from summit.urls import absolute_url

bp = Blueprint("training_portal", __name__, url_prefix="/my/training")
bp.after_request(no_store)  # personal records


@bp.get("/")
@attendee_required
def record():
    person = current_attendee()
    return render_template(
        "training/record.html",
        record=training_record(person),
        entries=services.entries_of(person),
        shares=shares.shares_of(person),
        documents=series_documentation.documentation_of(person),
        form=ActionForm(),
        share_status=shares.share_status,
        **context(),
    )


@bp.get("/record.pdf")
@attendee_required
def record_pdf():
    return record_pdf_response(current_attendee())


def _entry_form(entry: SelfTrainingEntry | None = None) -> EntryForm:
    topics = training_record(current_attendee()).topics
    form = EntryForm(obj=entry).with_topics(topics)
    if request.method == "GET" and entry is None and request.args.get("topic", type=int):
        form.topic_id.data = request.args.get("topic", type=int)
    return form


def _entry_data(form: EntryForm) -> services.EntryData:
    return services.EntryData(
        kind=form.kind.data,
        topic_id=form.topic_id.data,
        completed_on=form.completed_on.data,
        title=form.title.data or "",
        url=form.url.data or "",
        minutes=form.minutes.data,
        note=form.note.data or "",
        experienced_staff=form.experienced_staff.data or "",
        school=form.school.data or "",
    )


def _uploaded(form: EntryForm):
    file = form.evidence.data
    if file is None or not getattr(file, "filename", ""):
        return None
    return evidence_files.read_upload(file.stream, file.filename)


@bp.route("/entries/new", methods=["GET", "POST"])
@attendee_required
def new_entry():
    form = _entry_form()
    if form.validate_on_submit():
        try:
            services.add_entry(current_attendee(), _entry_data(form), evidence=_uploaded(form))
        except TrainingError as error:
            show_error(form, error)
        else:
            flash("Your training is logged. ESD staff will review it.", "success")
            return redirect(url_for("training_portal.record"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "training/entry_form.html", form=form, entry=None, today=today_local()
    ), status


def _own_entry(entry_id: int) -> SelfTrainingEntry:
    entry = services.entry_of(current_attendee(), entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@attendee_required
def edit_entry(entry_id: int):
    entry = _own_entry(entry_id)
    if not entry.status.awaits_review:
        flash("This entry has been reviewed and can no longer be changed.", "warning")
        return redirect(url_for("training_portal.record"))
    form = _entry_form(entry)
    if form.validate_on_submit():
        try:
            services.update_entry(
                entry,
                current_attendee(),
                _entry_data(form),
                evidence=_uploaded(form),
                remove_evidence=bool(form.remove_evidence.data),
            )
        except TrainingError as error:
            show_error(form, error)
        else:
            flash("Your entry is saved.", "success")
            return redirect(url_for("training_portal.record"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "training/entry_form.html", form=form, entry=entry, today=today_local()
    ), status


@bp.post("/entries/<int:entry_id>/delete")
@attendee_required
def delete_entry(entry_id: int):
    entry = _own_entry(entry_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.delete_entry(entry, current_attendee())
    except TrainingError as error:
        flash(error.message, "danger")
    else:
        flash("The entry is deleted.", "success")
    return redirect(url_for("training_portal.record"), code=303)


@bp.get("/entries/<int:entry_id>/evidence")
@attendee_required
def entry_evidence(entry_id: int):
    return evidence_response(_own_entry(entry_id))


@bp.route("/assignment", methods=["GET", "POST"])
@attendee_required
def assignment():
    """The start date and role; a post that leaves the date out keeps the saved one."""
    person = current_attendee()
    form = AssignmentForm(obj=person, started_on=person.assignment_started_on)
    if form.validate_on_submit():
        try:
            services.update_assignment(
                person,
                started_on=form.started_on.data,
                role_type=form.role_type.data,
                actor=attendee_actor(person),
            )
        except TrainingError as error:
            form.started_on.errors = [*form.started_on.errors, error.message]
        else:
            flash("Your assignment details are saved.", "success")
            return redirect(url_for("training_portal.record"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("training/assignment.html", form=form, today=today_local()), status


@bp.route("/shares", methods=["GET", "POST"])
@attendee_required
def share_links():
    person = current_attendee()
    form = ShareForm()
    if form.validate_on_submit():
        try:
            share, token = shares.create_share(
                person, label=form.label.data or "", days=form.days.data
            )
        except TrainingError as error:
            form.days.errors = [*form.days.errors, error.message]
        else:
            link = absolute_url("training.shared_record", token=token)
            return render_template("training/share_created.html", share=share, link=link)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "training/shares.html",
        form=form,
        shares=shares.shares_of(person),
        share_status=shares.share_status,
        action=ActionForm(),
    ), status


@bp.post("/shares/<int:share_id>/revoke")
@attendee_required
def revoke_share(share_id: int):
    person = current_attendee()
    share = get_or_404(RecordShare, share_id, person=person)
    if ActionForm().validate_on_submit():
        try:
            shares.revoke_share(share, person)
        except TrainingError as error:
            flash(error.message, "warning")
        else:
            flash("The link is withdrawn: it no longer opens your record.", "success")
    return redirect(url_for("training_portal.share_links"), code=303)


@bp.get("/documentation/<int:documentation_id>.pdf")
@attendee_required
def documentation_pdf(documentation_id: int):
    documentation = get_or_404(
        TrainingSeriesDocumentation, documentation_id, person=current_attendee()
    )
    # A revoked document is withdrawn for its owner too, like a revoked certificate.
    if not documentation.is_valid:
        abort(404)
    return documentation_response(documentation)
