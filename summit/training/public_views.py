"""Public training pages (blueprint ``training``): the topics and self-training links,
starting a training record without a registration, and a district's read-only
view of a shared record (``/records/<token>``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for

from summit import verification
from summit.auth.attendees import link_request_limit, sign_in_attendee, signed_in_attendee
from summit.auth.links import PortalLinkExpired, PortalLinkInvalid
from summit.curricula import minutes_policy
from summit.errors import render_error
from summit.extensions import limiter
from summit.forms import ActionForm
from summit.models import TrainingResource
from summit.security import no_store
from summit.training import proof as series_documentation
from summit.training import required_minutes, share_rate_limit, shares
from summit.training import resources as resource_services
from summit.training import start as start_links
from summit.training.errors import CurriculumMissing
from summit.training.forms import StartDetailsForm, StartForm
from summit.training.pages import context
from summit.training.record import current_curriculum, training_record

bp = Blueprint("training", __name__)
bp.record_once(lambda state: verification.register(state.app, series_documentation.VERIFIER))


def _share_limit() -> str:
    return share_rate_limit()


@bp.app_errorhandler(CurriculumMissing)
def _no_curriculum(error: CurriculumMissing):
    return render_error(503, error.message, "Training topics not loaded")


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
        page = render_template(
            "training/share_unavailable.html", message=error.message, reason=error.reason
        )
        response = Response(page, status=error.status_code)
    else:
        record = training_record(share.person)
        page = render_template("training/shared.html", record=record, share=share, **context())
        response = Response(page)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return no_store(response)
