"""The self-training policy page, on the ``training_staff`` blueprint (admins only)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for

from summit.curricula import minutes_policy
from summit.security import staff_required
from summit.training import policy as training_policy
from summit.training import required_minutes
from summit.training.errors import TrainingError
from summit.training.forms import TrainingPolicyForm
from summit.training.pages import show_error
from summit.training.staff_views import bp, staff


@bp.route("/policy", methods=["GET", "POST"])
@staff_required("admin")
def policy():
    """Change the minutes that complete a subject; every record follows at once."""
    form = TrainingPolicyForm(data={"required_minutes": required_minutes()})
    if form.validate_on_submit():
        try:
            training_policy.set_required_minutes(form.required_minutes.data, staff=staff())
        except TrainingError as error:
            show_error(form, error)
        else:
            flash(
                "The self-training policy is saved. Every training record uses it now.", "success"
            )
            return redirect(url_for("training_staff.policy"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "training/staff_policy.html",
        form=form,
        saved=training_policy.current_policy(),
        sentence=minutes_policy(current_app.config["ORGANISATION_NAME"], required_minutes()),
        setting=current_app.config["TRAINING_REQUIRED_MINUTES"],
    ), status
