"""The attendee portal: passwordless, reached through signed links sent by email.

Every page under ``/my/`` is about the signed-in person only; a registration of
anyone else is answered exactly like one that does not exist (404).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)

from summit.auth.attendees import (
    attendee_required,
    current_attendee,
    link_request_limit,
    sign_in_attendee,
    sign_out_attendee,
    signed_in_attendee,
)
from summit.auth.links import PortalLinkExpired, PortalLinkInvalid
from summit.certificates.services import valid_certificates_of
from summit.checkin.credit import credit_minutes
from summit.documents import render_ticket_pdf, ticket_filename
from summit.models import Registration
from summit.portal import services
from summit.portal.display import template_helpers
from summit.portal.forms import ConfirmForm, DetailsForm, LinkRequestForm
from summit.qr import qr_svg_data_uri
from summit.registration.errors import RegistrationError
from summit.security import no_store

bp = Blueprint("portal", __name__, url_prefix="/my")
bp.context_processor(template_helpers)


bp.after_request(no_store)  # personal pages and tickets


@bp.route("/enter/<token>", methods=["GET", "POST"])
def enter(token: str):
    """Open the portal from an emailed link, then drop the token from the address bar.

    A link for someone else than the person already signed in here asks first (a
    POST with CSRF): otherwise any site could silently swap the visitor into
    another account, where what they then type or upload would land.
    """
    try:
        person = services.person_for_token(token)
    except PortalLinkExpired:
        return _link_problem("This link has expired", 410)
    except PortalLinkInvalid:
        return _link_problem("This link is not valid", 400)
    current = signed_in_attendee()
    form = ConfirmForm()
    switching = current is not None and current.id != person.id
    if switching and not form.validate_on_submit():
        return render_template("portal/switch.html", current=current, person=person, form=form)
    sign_in_attendee(person)
    return redirect(url_for("portal.home"))


def _link_problem(title: str, status: int):
    """A bad link changes nothing: an open session stays open, and a form offers a new link."""
    page = render_template(
        "portal/sign_in.html",
        form=LinkRequestForm(formdata=None),
        problem=title,
        signed_in=signed_in_attendee(),
    )
    return page, status


@bp.route("/sign-in", methods=["GET", "POST"])
@link_request_limit
def sign_in():
    """Ask for a fresh link. The answer never says whether the email is known."""
    form = LinkRequestForm()
    if form.validate_on_submit():
        services.request_portal_link(form.email.data)
        return redirect(url_for("portal.link_sent"), code=303)
    status = 400 if form.errors else 200
    page = render_template("portal/sign_in.html", form=form, signed_in=signed_in_attendee())
    return page, status


@bp.get("/sign-in/sent")
def link_sent():
    """The one answer to every link request, known email or not."""
    form = LinkRequestForm(formdata=None)
    return render_template("portal/sign_in.html", form=form, sent=True)


@bp.post("/sign-out")
def sign_out():
    sign_out_attendee()
    flash("You are signed out of your registration pages.", "info")
    return redirect(url_for("portal.sign_in"))


@bp.get("/")
@attendee_required
def home():
    person = current_attendee()
    return render_template(
        "portal/home.html",
        person=person,
        registrations=services.registrations_of(person),
        certificates=valid_certificates_of(person),
        training=services.training_summary(person),
    )


def _own_registration(registration_id: int) -> Registration:
    registration = services.registration_of(current_attendee(), registration_id)
    if registration is None:
        abort(404)
    return registration


@bp.get("/registrations/<int:registration_id>")
@attendee_required
def registration(registration_id: int):
    registration = _own_registration(registration_id)
    return render_template(
        "portal/registration.html",
        registration=registration,
        event=registration.event,
        qr_uri=qr_svg_data_uri(registration.ticket_code) if registration.state.has_ticket else None,
        can_cancel=services.can_cancel(registration),
        form=ConfirmForm(),
        credit=credit_minutes(registration) if registration.state.has_ticket else None,
    )


@bp.get("/registrations/<int:registration_id>/ticket.pdf")
@attendee_required
def ticket_pdf(registration_id: int):
    registration = _own_registration(registration_id)
    if not registration.state.has_ticket:
        flash("There is no ticket for this registration yet.", "warning")
        return redirect(url_for("portal.registration", registration_id=registration.id))
    return Response(
        render_ticket_pdf(registration),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{ticket_filename(registration)}"'},
    )


@bp.route("/registrations/<int:registration_id>/cancel", methods=["GET", "POST"])
@attendee_required
def cancel(registration_id: int):
    """GET asks "are you sure?"; only the POST from that page cancels."""
    registration = _own_registration(registration_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.cancel_own_registration(registration, current_attendee())
        except RegistrationError as error:
            flash(error.message, "danger")
        else:
            flash(f"Your registration for {registration.event.name} is cancelled.", "success")
        return redirect(url_for("portal.registration", registration_id=registration.id))
    if not services.can_cancel(registration):
        flash("This registration can no longer be cancelled here.", "warning")
        return redirect(url_for("portal.registration", registration_id=registration.id))
    return render_template("portal/cancel.html", registration=registration, form=form)


@bp.post("/registrations/<int:registration_id>/accept")
@attendee_required
def accept_offer(registration_id: int):
    registration = _own_registration(registration_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.accept_own_offer(registration, current_attendee())
        except RegistrationError as error:
            flash(error.message, "danger")
        else:
            flash("The seat is yours.", "success")
    return redirect(url_for("portal.registration", registration_id=registration.id))


@bp.route("/details", methods=["GET", "POST"])
@attendee_required
def details():
    person = current_attendee()
    editable = services.details_editable(person)
    form = DetailsForm.for_person(person)
    if editable and form.validate_on_submit():
        try:
            services.update_own_details(person, form.details())
        except RegistrationError as error:
            flash(error.message, "danger")
        else:
            flash("Your details are saved.", "success")
            return redirect(url_for("portal.home"))
    status = 400 if form.errors else 200
    return render_template("portal/details.html", form=form, editable=editable), status
