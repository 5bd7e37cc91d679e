"""The resources editor and topic descriptions, on the ``training_staff`` blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from summit.forms import ActionForm
from summit.loaders import get_or_404
from summit.models import Topic, TrainingResource
from summit.security import staff_required
from summit.training import resources as resource_services
from summit.training.errors import TrainingError
from summit.training.forms import ResourceForm, SummaryForm
from summit.training.pages import VIEW_ROLES, show_error
from summit.training.record import current_curriculum
from summit.training.staff_views import bp, staff


@bp.get("/resources")
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


@bp.route("/resources/new", methods=["GET", "POST"])
@staff_required("admin")
def new_resource():
    return _edit_resource(None)


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
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
                staff=staff(),
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
            show_error(form, error)
        else:
            flash("The resource is saved.", "success")
            return redirect(url_for("training_staff.resource_list"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "training/staff_resource_form.html", form=form, resource=resource
    ), status


@bp.post("/resources/<int:resource_id>/checked")
@staff_required("admin")
def resource_checked(resource_id: int):
    resource = get_or_404(TrainingResource, resource_id)
    if ActionForm().validate_on_submit():
        try:
            resource_services.mark_checked(resource, staff=staff())
        except TrainingError as error:
            flash(error.message, "warning")
        else:
            flash(f"“{resource.title}” is marked as checked today.", "success")
    return redirect(url_for("training_staff.resource_list"), code=303)


@bp.post("/topics/<int:topic_id>/summary")
@staff_required("admin")
def topic_summary(topic_id: int):
    topic = get_or_404(Topic, topic_id)
    form = _summary_form(topic)
    if not form.validate_on_submit():
        flash(" ".join(form.summary.errors) or "The description was not saved.", "danger")
        return _resources_page(form, topic.id), 400
    resource_services.save_topic_summary(topic, form.summary.data or "", staff=staff())
    flash(f"The description of “{topic.title}” is saved.", "success")
    return redirect(url_for("training_staff.resource_list"), code=303)
