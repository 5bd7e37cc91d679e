"""Staff accounts in the browser (``/staff/accounts``, admins only), the set-password
page an invitation or reset links to, and each staff member's own password page.

The rules live in :mod:`summit.staff.accounts`; these views turn a refusal into the
form again with the message beside its field, and a 4xx.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_user
from sqlalchemy.exc import NoResultFound

from summit.auth.staff_links import NO_PASSWORD, PasswordLinkProblem, staff_for_password_token
from summit.forms import ActionForm
from summit.security import staff_required
from summit.staff import accounts
from summit.staff.accounts import AccountError
from summit.staff.forms import (
    ChangePasswordForm,
    InviteForm,
    RoleForm,
    SetPasswordForm,
)

bp = Blueprint("accounts", __name__, url_prefix="/staff")


def _accounts_page(
    invite: InviteForm | None = None, row_errors: dict[int, str] | None = None, status: int = 200
):
    staff = accounts.list_staff()
    role_forms = {member.id: RoleForm(formdata=None, role=member.role) for member in staff}
    return render_template(
        "staff/accounts.html",
        staff=staff,
        invite=invite or InviteForm(formdata=None),
        role_forms=role_forms,
        no_password=NO_PASSWORD,
        row_errors=row_errors or {},
    ), status


@bp.get("/accounts")
@staff_required("admin")
def staff_accounts():
    """Every staff account: role, whether active, two-step, last sign-in; invite a new one."""
    return _accounts_page()


@bp.post("/accounts")
@staff_required("admin")
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            staff = accounts.invite_staff(
                form.email.data, form.role.data, form.name.data or "", actor=_me()
            )
        except AccountError as problem:
            form[problem.field or "email"].errors = [str(problem)]
        else:
            flash(f"Invitation sent to {staff.email}.", "success")
            return redirect(url_for("accounts.staff_accounts"))
    return _accounts_page(invite=form, status=400)


@bp.post("/accounts/<int:staff_id>/<any(role, disable, enable, reset):change>")
@staff_required("admin")
def change(staff_id: int, change: str):
    """One change to another member's account; a refusal shows beside that member's row."""
    form = RoleForm() if change == "role" else ActionForm()
    if not form.validate_on_submit():
        problems = [message for messages in form.errors.values() for message in messages]
        return _accounts_page(row_errors={staff_id: " ".join(problems)}, status=400)
    try:
        member = _apply(change, staff_id, form)
    except NoResultFound:
        abort(404)
    except AccountError as problem:
        return _accounts_page(row_errors={staff_id: str(problem)}, status=400)
    flash(_DONE[change].format(email=member.email, role=member.role), "success")
    return redirect(url_for("accounts.staff_accounts"))


_DONE = {
    "role": "{email} is now {role} staff.",
    "disable": "{email} is disabled: their sessions and API tokens stopped working.",
    "enable": "{email} can sign in again (API tokens stay revoked: make new ones).",
    "reset": "{email}'s password no longer works; a link to choose a new one is on its way.",
}


def _apply(change: str, staff_id: int, form: RoleForm | ActionForm):
    actor = _me()
    if change == "role":
        return accounts.set_role(staff_id, form.role.data, actor=actor)  # type: ignore[union-attr]
    if change == "disable":
        return accounts.disable_staff(staff_id, actor=actor)
    if change == "enable":
        return accounts.enable_staff(staff_id, actor=actor)
    return accounts.reset_staff(staff_id, actor=actor)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Where an invitation or a reset email leads: choose a password (the policy applies)."""
    try:
        staff = staff_for_password_token(token)
    except PasswordLinkProblem as problem:
        return render_template("staff/set_password.html", problem=str(problem)), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(token, form.password.data, form.confirm.data)
        except PasswordLinkProblem as problem:  # used by another request meanwhile
            return render_template("staff/set_password.html", problem=str(problem)), 400
        except AccountError as problem:
            form[problem.field].errors = [str(problem)]
        else:
            flash("Your password is saved. Sign in with it now.", "success")
            return redirect(url_for("auth.sign_in"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/set_password.html", form=form, staff=staff), status


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required()
def change_password():
    """Any staff member's own password; other sessions end, this one stays signed in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            staff = accounts.change_own_password(
                _me(), form.current.data, form.password.data, form.confirm.data
            )
        except AccountError as problem:
            form[problem.field].errors = [str(problem)]
        else:
            login_user(staff)  # the session takes the new version
            flash("Your password is changed. Other devices are signed out.", "success")
            return redirect(url_for("staff.home"))
    status = 400 if form.is_submitted() else 200
    return render_template("staff/change_password.html", form=form), status


def _me():
    return current_user._get_current_object()
