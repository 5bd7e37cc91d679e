"""Pages of self-training and the training record.

Three blueprints:

* ``training`` (public): ``/training`` (topics and self-training links) and
  ``/records/<token>`` (a district's read-only view of a shared record);
* ``training_portal`` (attendee, ``/my/training``): the record and its PDF, the
  self-training log, assignment date and role, share links, the training series
  documentation PDF;
* ``training_staff`` (``/staff/training``): the review queue, a person's record,
  significant prior training and experience, issuing training series
  documentation, the resources editor. ``checkin`` staff may look; only ``admin``
  may change anything.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, or_, select

from summit import verification
from summit.auth.attendees import (
    attendee_actor,
    attendee_required,
    current_attendee,
    link_request_limit,
    sign_in_attendee,
    signed_in_attendee,
)
from summit.auth.links import PortalLinkExpired, PortalLinkInvalid
from summit.clock import today_local
from summit.curricula import minutes_policy
from summit.errors import render_error
from summit.extensions import db, limiter
from summit.forms import ActionForm, ReasonRequiredForm
from summit.loaders import get_or_404
from summit.models import (
    Person,
    PriorExperience,
    PriorExperienceFile,
    RecordShare,
    SelfTrainingEntry,
    Topic,
    TrainingResource,
    TrainingSeriesDocumentation,
)
from summit.security import no_store, staff_required
from summit.training import evidence as evidence_files
from summit.training import proof as series_documentation
from summit.training import required_minutes, services, share_rate_limit, shares
from summit.training import resources as resource_services
from summit.training import start as start_links
from summit.training.documents import record_filename, render_record_pdf
from summit.training.errors import CurriculumMissing, EvidenceRejected, TrainingError
from summit.training.forms import (
    AssignmentForm,
    EntryForm,
    PriorExperienceForm,
    ResourceForm,
    ReviewForm,
    ShareForm,
    StartDetailsForm,
    StartForm,
    SummaryForm,
)
from summit.training.record import STATUTE_345, current_curriculum, training_record
from summit.urls import absolute_url

bp = Blueprint("training", __name__)
portal_bp = Blueprint("training_portal", __name__, url_prefix="/my/training")
staff_bp = Blueprint("training_staff", __name__, url_prefix="/staff/training")

VIEW_ROLES = ("admin", "checkin")
blueprints = (bp, portal_bp, staff_bp)


def _share_limit() -> str:
    return share_rate_limit()


portal_bp.after_request(no_store)  # personal records
bp.record_once(lambda state: verification.register(state.app, series_documentation.VERIFIER))
staff_bp.after_request(no_store)


@bp.app_errorhandler(CurriculumMissing)
def _no_curriculum(error: CurriculumMissing):
    return render_error(503, error.message, "Training topics not loaded")


def _context() -> dict:
    return {
        "kind_labels": services.KIND_LABELS,
        "role_labels": services.ROLE_LABELS,
        "statute": STATUTE_345,
    }


# --- public ------------------------------------------------------------------------------


@bp.get("/training")
def resources():
    """Every topic of the current curriculum with its statute wording and self-training links."""
    curriculum = current_curriculum()
    active = resource_services.active_resources()
    by_topic: dict[int | None, list[TrainingResource]] = {}
    for resource in active:
        by_topic.setdefault(resource.topic_id, []).append(resource)
    return render_template(
        "training/resources.html",
        curriculum=curriculum,
        general=by_topic.get(None, []),
        by_topic=by_topic,
        policy=minutes_policy(current_app.config["ORGANISATION_NAME"], required_minutes()),
    )


# --- public: start a training record (no registration needed) ------------------------------


@bp.route("/training/start", methods=["GET", "POST"])
@link_request_limit
def start():
    """Anyone may keep a training record: we email a link that proves the address.

    The answer is the same for every address, known or not, so the form tells
    nobody who is registered; the person is created only when the link is used.
    """
    form = StartForm()
    if form.validate_on_submit():
        start_links.request_training_start_link(form.email.data)
        return redirect(url_for("training.start_sent"), code=303)
    status = 400 if form.errors else 200
    page = render_template("training/start.html", form=form, signed_in=signed_in_attendee())
    return page, status


@bp.get("/training/start/sent")
def start_sent():
    """The one answer to every start request."""
    return render_template("training/start.html", form=StartForm(formdata=None), sent=True)


@bp.route("/training/start/<token>", methods=["GET", "POST"])
def start_link(token: str):
    """The emailed start link: a new person says who they are, a known one continues.

    Nothing is written and nobody is signed in on GET; the POST (CSRF) does both.
    """
    try:
        email, person = start_links.start_link_owner(token)
    except PortalLinkExpired:
        return _start_problem("This link has expired", 410)
    except PortalLinkInvalid:
        return _start_problem("This link is not valid", 400)
    current = signed_in_attendee()
    if person is not None and current is not None and current.id == person.id:
        return redirect(url_for("training_portal.new_entry"))
    form = ActionForm() if person is not None else StartDetailsForm()
    if form.validate_on_submit():
        if person is None:
            person = start_links.start_training_record(
                email,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                agency=form.agency.data,
                job_title=form.job_title.data or "",
                role_type=form.role_type.data,
            )
            flash("Your training record is started. Log your first training below.", "success")
        sign_in_attendee(person)
        return redirect(url_for("training_portal.new_entry"), code=303)
    page = render_template(
        "training/start_link.html", form=form, email=email, person=person, current=current
    )
    return _link_page(page, 400 if form.is_submitted() else 200)


def _start_problem(title: str, status: int) -> Response:
    page = render_template(
        "training/start.html",
        form=StartForm(formdata=None),
        problem=title,
        signed_in=signed_in_attendee(),
    )
    return _link_page(page, status)


def _link_page(page: str, status: int) -> Response:
    """A page whose address holds a credential: not cached, never sent on as a referrer."""
    response = no_store(Response(page, status=status))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/records/<token>")
@limiter.limit(_share_limit)
def shared_record(token: str):
    """A district's read-only view of a shared record: no email, no phone, not indexed."""
    try:
        share = shares.open_share(token)
    except shares.ShareUnavailable as error:
        page = render_template("training/share_unavailable.html", message=error.message,
                               reason=error.reason)  # fmt: skip
        response = Response(page, status=error.status_code)
    else:
        record = training_record(share.person)
        page = render_template("training/shared.html", record=record, share=share, **_context())
        response = Response(page)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return no_store(response)


# --- portal: the record -------------------------------------------------------------------


@portal_bp.get("/")
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
        **_context(),
    )


@portal_bp.get("/record.pdf")
@attendee_required
def record_pdf():
    return _pdf_response(current_attendee())


def _pdf_response(person: Person) -> Response:
    record = training_record(person)
    return Response(
        render_record_pdf(record),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{record_filename(record)}"'},
    )


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


def _show_error(form, error: TrainingError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")


@portal_bp.route("/entries/new", methods=["GET", "POST"])
@attendee_required
def new_entry():
    form = _entry_form()
    if form.validate_on_submit():
        try:
            services.add_entry(current_attendee(), _entry_data(form), evidence=_uploaded(form))
        except TrainingError as error:
            _show_error(form, error)
        else:
            flash("Your training is logged. ESD staff will review it.", "success")
            return redirect(url_for("training_portal.record"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("training/entry_form.html", form=form, entry=None,
                           today=today_local()), status  # fmt: skip


def _own_entry(entry_id: int) -> SelfTrainingEntry:
    entry = services.entry_of(current_attendee(), entry_id)
    if entry is None:
        abort(404)
    return entry


@portal_bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@attendee_required
def edit_entry(entry_id: int):
    entry = _own_entry(entry_id)
    if not entry.status.awaits_review:
        flash("This entry has been reviewed and can no longer be changed.", "warning")
        return redirect(url_for("training_portal.record"))
    form = _entry_form(entry)
    if form.validate_on_submit():
        try:
            services.update_entry(entry, current_attendee(), _entry_data(form),
                                  evidence=_uploaded(form),
                                  remove_evidence=bool(form.remove_evidence.data))  # fmt: skip
        except TrainingError as error:
            _show_error(form, error)
        else:
            flash("Your entry is saved.", "success")
            return redirect(url_for("training_portal.record"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("training/entry_form.html", form=form, entry=entry,
                           today=today_local()), status  # fmt: skip


@portal_bp.post("/entries/<int:entry_id>/delete")
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


def _evidence_response(entry: SelfTrainingEntry) -> Response:
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


@portal_bp.get("/entries/<int:entry_id>/evidence")
@attendee_required
def entry_evidence(entry_id: int):
    return _evidence_response(_own_entry(entry_id))


@portal_bp.route("/assignment", methods=["GET", "POST"])
@attendee_required
def assignment():
    """The start date and role; a post that leaves the date out keeps the saved one."""
    person = current_attendee()
    form = AssignmentForm(obj=person, started_on=person.assignment_started_on)
    if form.validate_on_submit():
        try:
            services.update_assignment(person, started_on=form.started_on.data,
                                       role_type=form.role_type.data,
                                       actor=attendee_actor(person))  # fmt: skip
        except TrainingError as error:
            form.started_on.errors = [*form.started_on.errors, error.message]
        else:
            flash("Your assignment details are saved.", "success")
            return redirect(url_for("training_portal.record"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("training/assignment.html", form=form, today=today_local()), status


@portal_bp.route("/shares", methods=["GET", "POST"])
@attendee_required
def share_links():
    person = current_attendee()
    form = ShareForm()
    if form.validate_on_submit():
        try:
            share, token = shares.create_share(person, label=form.label.data or "",
                                               days=form.days.data)  # fmt: skip
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


@portal_bp.post("/shares/<int:share_id>/revoke")
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


@portal_bp.get("/documentation/<int:documentation_id>.pdf")
@attendee_required
def documentation_pdf(documentation_id: int):
    documentation = get_or_404(
        TrainingSeriesDocumentation, documentation_id, person=current_attendee()
    )
    # A revoked document is withdrawn for its owner too, like a revoked certificate.
    if not documentation.is_valid:
        abort(404)
    return _documentation_response(documentation)


def _documentation_response(documentation: TrainingSeriesDocumentation) -> Response:
    name = f"{documentation.serial}-v{documentation.version}.pdf"
    return Response(
        series_documentation.documentation_pdf_bytes(documentation),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- staff ---------------------------------------------------------------------------------


def _staff():
    return current_user._get_current_object()


@staff_bp.get("/")
@staff_required(*VIEW_ROLES)
def overview():
    """The review queue and a search for a person's record."""
    q = request.args.get("q", "").strip()[:200]
    people = []
    if q:
        like = f"%{q.lower()}%"
        people = db.session.scalars(
            select(Person)
            .where(
                or_(
                    func.lower(Person.first_name + " " + Person.last_name).like(like),
                    Person.email.like(like),
                    func.lower(Person.agency).like(like),
                )
            )
            .order_by(Person.last_name, Person.first_name)
            .limit(50)
        ).all()
    return render_template(
        "training/staff_review.html",
        queue=services.review_queue(),
        form=ReviewForm(),
        q=q,
        people=people,
        **_context(),
    )


def _entry(entry_id: int) -> SelfTrainingEntry:
    return get_or_404(SelfTrainingEntry, entry_id)


@staff_bp.post("/entries/<int:entry_id>/review")
@staff_required("admin")
def review(entry_id: int):
    entry = _entry(entry_id)
    form = ReviewForm()
    decision = request.form.get("decision")
    if not form.validate_on_submit() or decision not in ("accept", "return"):
        flash("Choose accept or return.", "danger")
        return redirect(url_for("training_staff.overview"), code=303)
    try:
        services.review_entry(entry, staff=_staff(), accept=decision == "accept",
                              comment=form.comment.data or "")  # fmt: skip
    except TrainingError as error:
        flash(error.message, "danger")
    else:
        verb = "accepted" if decision == "accept" else "returned"
        flash(f"“{entry.title}” by {entry.person.full_name} is {verb}; they are emailed.",
              "success")  # fmt: skip
    if request.form.get("back") == "person":
        return redirect(url_for("training_staff.person", person_id=entry.person_id), code=303)
    return redirect(url_for("training_staff.overview"), code=303)


@staff_bp.get("/entries/<int:entry_id>/evidence")
@staff_required(*VIEW_ROLES)
def staff_evidence(entry_id: int):
    return _evidence_response(_entry(entry_id))


def _person(person_id: int) -> Person:
    return get_or_404(Person, person_id)


@staff_bp.get("/people/<int:person_id>")
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
        prior_records=db.session.scalars(
            select(PriorExperience)
            .where(PriorExperience.person_id == person.id)
            .order_by(PriorExperience.created_at.desc(), PriorExperience.id.desc())
        ).all(),
        prior_form=prior_form,
        review_form=ReviewForm(),
        reason_form=ReasonRequiredForm(),
        action=ActionForm(),
        **_context(),
    )


@staff_bp.get("/people/<int:person_id>/record.pdf")
@staff_required(*VIEW_ROLES)
def person_pdf(person_id: int):
    return _pdf_response(_person(person_id))


@staff_bp.post("/people/<int:person_id>/prior-experience")
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
            services.record_prior_experience(person, reviewed=form.reviewed.data,
                                             reason=form.reason.data, files=uploads,
                                             staff=_staff())  # fmt: skip
        except EvidenceRejected as error:
            form.files.errors = [*form.files.errors, error.message]
        except TrainingError as error:
            _show_error(form, error)
        else:
            flash("Significant prior training and experience is recorded.", "success")
            return redirect(url_for("training_staff.person", person_id=person.id), code=303)
    flash("Nothing was recorded: correct the fields marked below.", "danger")
    return _person_page(person, form), 400


@staff_bp.post("/prior-experience/<int:record_id>/withdraw")
@staff_required("admin")
def withdraw_prior_experience(record_id: int):
    record = get_or_404(PriorExperience, record_id)
    if ActionForm().validate_on_submit():
        try:
            services.withdraw_prior_experience(record, staff=_staff())
        except TrainingError as error:
            flash(error.message, "warning")
        else:
            flash("The record of prior training and experience is withdrawn.", "success")
    return redirect(url_for("training_staff.person", person_id=record.person_id), code=303)


@staff_bp.get("/prior-experience/files/<int:file_id>")
@staff_required(*VIEW_ROLES)
def prior_experience_file(file_id: int):
    file = db.session.get(PriorExperienceFile, file_id)
    path = evidence_files.path_of(file.path) if file is not None else None
    if path is None:
        abort(404)
    return send_file(path, mimetype=file.content_type, as_attachment=True,
                     download_name=file.filename, max_age=0)  # fmt: skip


@staff_bp.post("/people/<int:person_id>/documentation")
@staff_required("admin")
def issue_documentation(person_id: int):
    person = _person(person_id)
    if ActionForm().validate_on_submit():
        try:
            documentation = series_documentation.issue_documentation(person, staff=_staff())
        except TrainingError as error:
            flash(error.message, "danger")
        else:
            flash(f"Training series documentation {documentation.serial} is issued.", "success")
    return redirect(url_for("training_staff.person", person_id=person.id), code=303)


def _documentation(documentation_id: int) -> TrainingSeriesDocumentation:
    return get_or_404(TrainingSeriesDocumentation, documentation_id)


@staff_bp.get("/documentation/<int:documentation_id>.pdf")
@staff_required(*VIEW_ROLES)
def staff_documentation_pdf(documentation_id: int):
    return _documentation_response(_documentation(documentation_id))


@staff_bp.post("/documentation/<int:documentation_id>/reissue")
@staff_required("admin")
def reissue_documentation(documentation_id: int):
    documentation = _documentation(documentation_id)
    if ActionForm().validate_on_submit():
        try:
            new = series_documentation.reissue_documentation(documentation, staff=_staff())
        except TrainingError as error:
            flash(error.message, "danger")
        else:
            flash(f"Training series documentation {new.serial} is re-issued as version "
                  f"{new.version}; version {documentation.version} is superseded.",
                  "success")  # fmt: skip
    return redirect(url_for("training_staff.person", person_id=documentation.person_id), code=303)


@staff_bp.post("/documentation/<int:documentation_id>/revoke")
@staff_required("admin")
def revoke_documentation(documentation_id: int):
    documentation = _documentation(documentation_id)
    form = ReasonRequiredForm()
    if form.validate_on_submit():
        try:
            series_documentation.revoke_documentation(documentation, staff=_staff(),
                                                      reason=form.reason.data)  # fmt: skip
        except TrainingError as error:
            flash(error.message, "warning")
        else:
            flash(f"Training series documentation {documentation.serial} is revoked.", "success")
    else:
        flash("Give the reason for revoking.", "danger")
    return redirect(url_for("training_staff.person", person_id=documentation.person_id), code=303)


# --- staff: resources ------------------------------------------------------------------------


@staff_bp.get("/resources")
@staff_required(*VIEW_ROLES)
def resource_list():
    return _resources_page()


def _resources_page(refused: SummaryForm | None = None, topic_id: int | None = None) -> str:
    """The resources and topic descriptions; a ``refused`` description keeps what was typed."""
    curriculum = current_curriculum()
    summary_forms = {item.topic_id: _summary_form(item.topic) for item in curriculum.items}
    if refused is not None:
        summary_forms[topic_id] = refused
    return render_template(
        "training/staff_resources.html",
        resources=resource_services.all_resources(),
        curriculum=curriculum,
        action=ActionForm(),
        summary_forms=summary_forms,
    )


def _summary_form(topic: Topic) -> SummaryForm:
    """Starts from the saved description, so a post that leaves the field out shows it."""
    return SummaryForm(prefix=f"topic{topic.id}", summary=topic.summary)


def _resource_form(resource: TrainingResource | None = None) -> ResourceForm:
    """Curriculum items have ``topic_id`` and ``title``, all a topic select needs."""
    return ResourceForm(obj=resource).with_topics(current_curriculum().items)


@staff_bp.route("/resources/new", methods=["GET", "POST"])
@staff_required("admin")
def new_resource():
    return _edit_resource(None)


@staff_bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def edit_resource(resource_id: int):
    return _edit_resource(get_or_404(TrainingResource, resource_id))


def _edit_resource(resource: TrainingResource | None):
    form = _resource_form(resource)
    if resource is not None and request.method == "GET":
        form.checked.data = False
    if form.validate_on_submit():
        try:
            resource_services.save_resource(
                resource,
                staff=_staff(),
                topic_id=form.topic_id.data,
                title=form.title.data,
                url=form.url.data or "",
                provider=form.provider.data or "",
                format=form.format.data,
                approx_minutes=form.approx_minutes.data,
                position=form.position.data or 0,
                is_active=bool(form.is_active.data),
                checked=bool(form.checked.data),
            )
        except TrainingError as error:
            _show_error(form, error)
        else:
            flash("The resource is saved.", "success")
            return redirect(url_for("training_staff.resource_list"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("training/staff_resource_form.html", form=form,
                           resource=resource), status  # fmt: skip


@staff_bp.post("/resources/<int:resource_id>/checked")
@staff_required("admin")
def resource_checked(resource_id: int):
    resource = get_or_404(TrainingResource, resource_id)
    if ActionForm().validate_on_submit():
        try:
            resource_services.mark_checked(resource, staff=_staff())
        except TrainingError as error:
            flash(error.message, "warning")
        else:
            flash(f"“{resource.title}” is marked as checked today.", "success")
    return redirect(url_for("training_staff.resource_list"), code=303)


@staff_bp.post("/topics/<int:topic_id>/summary")
@staff_required("admin")
def topic_summary(topic_id: int):
    topic = get_or_404(Topic, topic_id)
    form = _summary_form(topic)
    if not form.validate_on_submit():
        flash(" ".join(form.summary.errors) or "The description was not saved.", "danger")
        return _resources_page(form, topic.id), 400
    resource_services.save_topic_summary(topic, form.summary.data or "", staff=_staff())
    flash(f"The description of “{topic.title}” is saved.", "success")
    return redirect(url_for("training_staff.resource_list"), code=303)
