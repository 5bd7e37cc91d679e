"""Staff pages that merge two people who are the same person (admins only).

From a registration's page: find the other person, compare the two side by side
and choose who is kept, then merge (one POST, one service call:
:func:`summit.admin.merge.merge_people`). The pages only read; a rule that says no
shows its reason on the compare page with a 409, a bad choice the form again with
a 400, and nothing is saved.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import ValidationError

from summit.admin.merge import MergeRefused, described, holdings_of, merge_people, merge_problems
from summit.loaders import get_or_404
from summit.models import Person, Registration
from summit.security import no_store, staff_required
from summit.training.services import ROLE_LABELS, find_people

bp = Blueprint("merge", __name__, url_prefix="/staff")
bp.after_request(no_store)  # people's contact details

MAX_QUERY_LENGTH = 200


class MergeForm(FlaskForm):
    """Who is kept: one of the two people on the page (their name and email stay)."""

    survivor = RadioField("Who is kept", validate_choice=False)

    def offer(self, first: Person, second: Person) -> MergeForm:
        self.survivor.choices = [
            (str(person.id), f"Keep {described(person)}") for person in (first, second)
        ]
        if not self.is_submitted():
            self.survivor.data = str(first.id)
        return self

    def validate_survivor(self, field) -> None:
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError("Choose who is kept: one of the two people.")


@bp.get("/registrations/<int:registration_id>/merge")
@staff_required("admin")
def find(registration_id: int):
    """Search for the other person by name, email or agency (the registration's own excluded)."""
    registration = get_or_404(Registration, registration_id)
    q = request.args.get("q", "").strip()
    error, people = None, []
    if len(q) > MAX_QUERY_LENGTH:
        error = f"The search is too long ({MAX_QUERY_LENGTH} characters at most)."
    elif q:
        people = [p for p in find_people(q) if p.id != registration.person_id]
    return render_template(
        "admin/merge.html",
        registration=registration,
        person=registration.person,
        q=q,
        people=people,
        error=error,
    ), (400 if error else 200)


@bp.get("/registrations/<int:registration_id>/merge/<int:person_id>")
@staff_required("admin")
def confirm(registration_id: int, person_id: int):
    registration = get_or_404(Registration, registration_id)
    other = get_or_404(Person, person_id)
    return _confirm_page(registration, other, MergeForm(formdata=None))


@bp.post("/registrations/<int:registration_id>/merge/<int:person_id>")
@staff_required("admin")
def merge(registration_id: int, person_id: int):
    registration = get_or_404(Registration, registration_id)
    other = get_or_404(Person, person_id)
    person = registration.person
    form = MergeForm().offer(person, other)
    if not form.validate_on_submit():
        flash("Please correct the form below.", "danger")
        return _confirm_page(registration, other, form, status=400)
    survivor_id = int(form.survivor.data)
    merged_id = other.id if survivor_id == person.id else person.id
    try:
        result = merge_people(survivor_id, merged_id, actor=current_user._get_current_object())
    except MergeRefused as refusal:
        flash(refusal.message, "danger")
        registration = get_or_404(Registration, registration_id)
        other = get_or_404(Person, person_id)
        return _confirm_page(registration, other, form, status=refusal.status_code)
    flash(
        f"Merged {result.merged_in} into {result.survivor.full_name}'s record: "
        f"{result.moved} moved.",
        "success",
    )
    return redirect(url_for("admin.registration_detail", registration_id=registration_id), 303)


def _confirm_page(registration: Registration, other: Person, form: MergeForm, status: int = 200):
    """Both people side by side; what stops the merge, if anything, answers 409."""
    person = registration.person
    problems = merge_problems(person, other)
    return render_template(
        "admin/merge.html",
        registration=registration,
        person=person,
        other=other,
        sides=[(person, holdings_of(person)), (other, holdings_of(other))],
        problems=problems,
        form=form.offer(person, other),
        role_labels=ROLE_LABELS,
    ), (status if status != 200 or not problems else 409)
