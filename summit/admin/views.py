"""Staff management of an event's registrations: list, search, filter, export, act.

Admins and check-in staff may look; only admins may change anything. Every action
is a POST form (CSRF) that calls one service, which audits and commits; the view
then redirects (Post/Redirect/Get) or, on bad input, shows the page again with a
4xx status and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from summit.admin import listing
from summit.admin.forms import CancelForm, MoveTierForm, PaymentForm, RegistrationDetailsForm
from summit.admin.history import registration_history
from summit.admin.messages import moved_message, saved_details_message
from summit.admin.services import resend_state_email, update_registration_details
from summit.errors import render_error
from summit.exports import csv_response
from summit.extensions import db
from summit.forms import ActionForm, ReasonRequiredForm
from summit.loaders import event_or_404, get_or_404
from summit.models import REGISTRATION_STATES, Event, Registration, RegistrationState
from summit.payments import services as payments
from summit.registration import services as registrations
from summit.registration.errors import EmailInUse, RegistrationError, TierFull
from summit.security import no_store, staff_required

bp = Blueprint("admin", __name__, url_prefix="/staff")

PER_PAGE = 50
MAX_PAGE = 100_000  # beyond any event's list; a larger number overflowed the SQL offset
MAX_QUERY_LENGTH = 200
VIEW_ROLES = ("admin", "checkin")


bp.after_request(no_store)  # lists of people's contact details


# --- the list ---------------------------------------------------------------------------


@bp.get("/events/<slug>/registrations")
@staff_required(*VIEW_ROLES)
def registrations_list(slug: str):
    """One event's registrations: search ``q``, filter ``state``, page, or ``format=csv``."""
    event = event_or_404(slug)
    q = request.args.get("q", "").strip()
    state = request.args.get("state", "").strip()
    if state and state not in REGISTRATION_STATES:
        return render_error(400, f"There is no registration state called {state[:40]!r}.")
    if len(q) > MAX_QUERY_LENGTH:
        return render_error(400, f"The search is too long ({MAX_QUERY_LENGTH} characters at most).")
    payment_due = request.args.get("due") == "1"
    statement = listing.search_registrations(event, q=q, state=state, payment_due=payment_due)
    if request.args.get("format") == "csv":
        return _csv_response(event, statement)
    page_number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    page = db.paginate(statement, page=page_number, per_page=PER_PAGE, error_out=False)
    return render_template(
        "admin/registrations.html",
        event=event,
        page=page,
        q=q,
        state=state,
        payment_due=payment_due,
        states=list(RegistrationState),
        counts=listing.state_counts(event),
    )


def _csv_response(event: Event, statement) -> Response:
    registrations = db.session.scalars(statement).unique().all()
    rows = listing.registration_rows(registrations, tz_name=event.timezone)
    return csv_response(rows, f"{event.slug}-registrations.csv")


# --- one registration -------------------------------------------------------------------


@bp.get("/registrations/<int:registration_id>")
@staff_required(*VIEW_ROLES)
def registration_detail(registration_id: int):
    return _detail_page(get_or_404(Registration, registration_id))


def _action_forms(registration: Registration, **submitted: FlaskForm) -> dict[str, Any]:
    """One form per action, each with its own prefix; a submitted one keeps its errors."""
    forms: dict[str, Any] = {
        "details": RegistrationDetailsForm.for_registration(
            registration, prefix="details", formdata=None
        ),
        "move": MoveTierForm(registration, prefix="move", formdata=None),
        "approve": ActionForm(prefix="approve", formdata=None),
        "reject": ReasonRequiredForm(prefix="reject", formdata=None),
        "pay": PaymentForm(prefix="pay", formdata=None),
        "waive": ReasonRequiredForm(prefix="waive", formdata=None),
        "cancel": CancelForm(prefix="cancel", formdata=None),
        "resend": ActionForm(prefix="resend", formdata=None),
    }
    forms.update(submitted)
    if "pay" not in submitted:
        forms["pay"].prefill(registration.amount_due_cents)
    return forms


def _detail_page(registration: Registration, *, status: int = 200, **submitted: FlaskForm):
    return render_template(
        "admin/registration.html",
        registration=registration,
        event=registration.event,
        person=registration.person,
        summary=payments.payment_summary(registration),
        invoice=payments.invoice_for(registration),
        history=registration_history(registration),
        forms=_action_forms(registration, **submitted),
        open_form=next(iter(submitted), None),
        can_change=current_user.role == "admin",
    ), status


# --- actions (admin only) ---------------------------------------------------------------


def _perform(
    registration_id: int,
    name: str,
    form: FlaskForm | Callable[[Registration], FlaskForm],
    run: Callable[[Registration, Any], Any],
    done: str | Callable[[Any], str],
    *,
    beside: dict[type[RegistrationError], str] | None = None,
):
    """Validate ``form``, run one service, then redirect; or show why not, with a 4xx.

    ``beside`` names the field a refusal belongs to (an email in use, a full tier):
    its message is shown next to that field, the form open as it was typed.
    """
    registration = get_or_404(Registration, registration_id)
    form = form if isinstance(form, FlaskForm) else form(registration)
    if not form.validate_on_submit():
        flash("Please correct the form below.", "danger")
        return _detail_page(registration, status=400, **{name: form})
    try:
        result = run(registration, form)
    except RegistrationError as error:
        registration = get_or_404(Registration, registration_id)
        field = (beside or {}).get(type(error))
        if field is None:
            flash(error.message, "danger")
            return _detail_page(registration, status=error.status_code)
        form[field].errors.append(error.message)
        flash("Please correct the form below.", "danger")
        return _detail_page(registration, status=error.status_code, **{name: form})
    flash(done if isinstance(done, str) else done(result), "success")
    return redirect(url_for("admin.registration_detail", registration_id=registration_id))


def _staff() -> Any:
    return current_user._get_current_object()


@bp.post("/registrations/<int:registration_id>/details")
@staff_required("admin")
def edit_details(registration_id: int):
    """Correct the person's name, email and contact details (admins only: see the docs)."""
    return _perform(
        registration_id,
        "details",
        RegistrationDetailsForm(prefix="details"),
        lambda registration, form: update_registration_details(
            registration, form.details(), actor=_staff()
        ),
        saved_details_message,
        beside={EmailInUse: "email"},
    )


@bp.post("/registrations/<int:registration_id>/tier")
@staff_required("admin")
def move_tier(registration_id: int):
    """Move to another tier of the event; the registration service applies the seat rules."""
    return _perform(
        registration_id,
        "move",
        lambda registration: MoveTierForm(registration, prefix="move"),
        lambda registration, form: registrations.move_to_tier(
            registration, form.tier.data, actor=_staff()
        ),
        moved_message,
        beside={TierFull: "tier"},
    )


@bp.post("/registrations/<int:registration_id>/approve")
@staff_required("admin")
def approve(registration_id: int):
    return _perform(
        registration_id,
        "approve",
        ActionForm(prefix="approve"),
        lambda registration, form: registrations.approve_registration(registration, actor=_staff()),
        "Registration approved.",
    )


@bp.post("/registrations/<int:registration_id>/reject")
@staff_required("admin")
def reject(registration_id: int):
    return _perform(
        registration_id,
        "reject",
        ReasonRequiredForm(prefix="reject"),
        lambda registration, form: registrations.reject_registration(
            registration, actor=_staff(), reason=form.reason.data
        ),
        "Registration rejected; the person has been emailed.",
    )


@bp.post("/registrations/<int:registration_id>/payments")
@staff_required("admin")
def record_payment(registration_id: int):
    """Mark paid, fully or in part: the amount decides which."""
    return _perform(
        registration_id,
        "pay",
        PaymentForm(prefix="pay"),
        lambda registration, form: payments.record_payment(
            registration,
            amount_cents=form.amount_cents,
            method=form.method.data,
            reference=form.reference.data,
            note=form.note.data or "",
            actor=_staff(),
        ),
        "Payment recorded.",
    )


@bp.post("/registrations/<int:registration_id>/waive")
@staff_required("admin")
def waive(registration_id: int):
    return _perform(
        registration_id,
        "waive",
        ReasonRequiredForm(prefix="waive"),
        lambda registration, form: payments.waive_fee(
            registration, reason=form.reason.data, actor=_staff()
        ),
        "Fee waived.",
    )


@bp.post("/registrations/<int:registration_id>/cancel")
@staff_required("admin")
def cancel(registration_id: int):
    return _perform(
        registration_id,
        "cancel",
        CancelForm(prefix="cancel"),
        lambda registration, form: registrations.cancel_registration(
            registration, actor=_staff(), reason=form.reason.data or ""
        ),
        "Registration cancelled; the person has been emailed.",
    )


@bp.post("/registrations/<int:registration_id>/resend")
@staff_required("admin")
def resend(registration_id: int):
    return _perform(
        registration_id,
        "resend",
        ActionForm(prefix="resend"),
        lambda registration, form: resend_state_email(registration, actor=_staff()),
        "Email queued again.",
    )


@bp.errorhandler(RegistrationError)
def _registration_error(error: RegistrationError):
    """A rule broken outside ``_perform`` still answers with its message, never a 500.

    Services roll back what they began (``write_transaction``) before they raise.
    """
    return render_error(error.status_code, error.message)
