"""Staff sign-in (password, then an authenticator code when enabled) and sign-out.

Both steps count failures per email address and lock it after ten
(``summit.auth.lockout``); a code works once (``totp.use_code``); signing out
ends the account's sessions on the server (``summit.auth.sessions``).
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from summit.auth import lockout, recovery, totp
from summit.auth.forms import CodeForm, SignInForm
from summit.auth.services import authenticate
from summit.auth.sessions import end_sessions
from summit.clock import local_zone
from summit.errors import render_error, wants_json
from summit.extensions import db, limiter
from summit.models import StaffUser
from summit.qr import qr_svg
from summit.security import is_safe_next

bp = Blueprint("auth", __name__, url_prefix="/staff")
PENDING_KEY = "staff_pending_totp"
ENROL_KEY = "staff_totp_enrol_nonce"  # the secret is derived from it on the server
CODE_PROBLEMS = {
    totp.CodeCheck.WRONG: "That code is not right. Codes change every 30 seconds.",
    totp.CodeCheck.REUSED: "That code was already used. Wait for the next one in your app.",
    totp.CodeCheck.WRONG_RECOVERY: "That recovery code is not right or was already used.",
}


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _after_sign_in(staff: StaffUser, target: str | None):
    lockout.clear_failures(staff.email)
    login_user(staff)
    return redirect(target if is_safe_next(target) else url_for("staff.home"))


def locked_message(until: datetime) -> str:
    """The same words for any address, with an account or not."""
    at = until.astimezone(local_zone()).strftime("%H:%M")
    minutes = int(lockout.LOCK_FOR.total_seconds() // 60)
    return (
        f"Too many failed sign-ins for this email address: it is locked for {minutes} minutes, "
        f"until {at}. If you forgot your password, ask an ESD 105 admin to reset it."
    )


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = SignInForm()
    if form.validate_on_submit():
        if (until := lockout.locked_until(form.email.data)) is not None:
            flash(locked_message(until), "danger")
            return render_template("auth/sign_in.html", form=form), 429
        staff = authenticate(form.email.data, form.password.data)
        if staff is None:
            if (until := lockout.record_failure(form.email.data, step="password")) is not None:
                flash(locked_message(until), "danger")
                return render_template("auth/sign_in.html", form=form), 429
            flash("That email and password do not match a staff account.", "danger")
            return render_template("auth/sign_in.html", form=form), 401
        target = request.args.get("next")
        if staff.totp_secret:
            session[PENDING_KEY] = {"id": staff.id, "next": target}
            return redirect(url_for("auth.sign_in_code"))
        return _after_sign_in(staff, target)
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in_code():
    """Second step: the password was right; now the code from the authenticator app."""
    pending = session.get(PENDING_KEY)
    staff = db.session.get(StaffUser, pending["id"]) if pending else None
    if staff is None or not staff.is_active or not staff.totp_secret:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("auth.sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        if (until := lockout.locked_until(staff.email)) is not None:
            return _locked_out(until)
        check = _check_code(staff, form.code.data)
        if check == totp.CodeCheck.ACCEPTED:
            session.pop(PENDING_KEY, None)
            return _after_sign_in(staff, pending.get("next"))
        if (until := lockout.record_failure(staff.email, step="code")) is not None:
            return _locked_out(until)
        form.code.errors = [CODE_PROBLEMS[check]]
        return render_template("auth/code.html", form=form), 401
    return render_template("auth/code.html", form=form)


def _check_code(staff: StaffUser, code: str) -> totp.CodeCheck:
    """An authenticator code, or one of the account's recovery codes (spent once)."""
    if not recovery.looks_like_recovery_code(code):
        return totp.use_code(staff, code)
    if not recovery.use_recovery_code(staff, code):
        return totp.CodeCheck.WRONG_RECOVERY
    left = recovery.unused_count(staff)
    flash(
        f"You signed in with a recovery code; {left} left. "
        "Lost your phone? Turn two-step sign-in off and on again to get new codes.",
        "warning",
    )
    return totp.CodeCheck.ACCEPTED


def _locked_out(until: datetime):
    """Back to the first step: the password must be typed again after the lock."""
    session.pop(PENDING_KEY, None)
    flash(locked_message(until), "danger")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step():
    """Turn two-step sign-in on (scan the QR, confirm a code) or off (confirm a code)."""
    form = CodeForm()
    staff = current_user._get_current_object()
    if staff.totp_secret:
        return _turn_off(form, staff)
    nonce = session.get(ENROL_KEY) or totp.new_enrolment_nonce()
    session[ENROL_KEY] = nonce
    secret = totp.enrolment_secret(staff, nonce)
    if form.validate_on_submit():
        check, codes = totp.enable_totp(staff, secret, form.code.data)
        if check == totp.CodeCheck.ACCEPTED:
            session.pop(ENROL_KEY, None)
            # Shown in this response only: the page is never cached (summit.security).
            return render_template("auth/recovery_codes.html", codes=codes)
        form.code.errors = ["That code is not right. Check your phone's clock and try again."]
    uri = totp.provisioning_uri(staff, secret)
    return render_template(
        "auth/two_step.html",
        form=form,
        enabled=False,
        secret=secret,
        qr=qr_svg(uri, title="Authenticator setup code"),
    )


def _turn_off(form: CodeForm, staff: StaffUser):
    """Two-step sign-in off with a current code, unless this install requires it of admins."""
    required = two_step_required(staff)
    if form.validate_on_submit():
        if required:
            form.code.errors = ["Admins must keep two-step sign-in on at this site."]
            return render_template(
                "auth/two_step.html", form=form, enabled=True, required=True
            ), 400
        check = totp.disable_totp(staff, form.code.data)
        if check == totp.CodeCheck.ACCEPTED:
            flash("Two-step sign-in is off.", "info")
            return redirect(url_for("staff.home"))
        form.code.errors = [CODE_PROBLEMS[check]]
    return render_template("auth/two_step.html", form=form, enabled=True, required=required)


def two_step_required(staff: StaffUser) -> bool:
    """Whether ``staff`` must have two-step sign-in: admins, when the install says so."""
    return staff.is_admin and bool(current_app.config["REQUIRE_ADMIN_TOTP"])


TWO_STEP_NEEDED = "Admins must use two-step sign-in here: set it up to continue."
# What an admin still owing two-step sign-in may open: the set-up page and the way out.
_OPEN_BEFORE_TWO_STEP = frozenset({"auth.two_step", "auth.sign_out", "static"})


@bp.before_app_request
def _send_admins_to_two_step():
    """With ``REQUIRE_ADMIN_TOTP``, an admin signed in by password alone sets up
    two-step sign-in before any other page opens (the API's tokens are apart)."""
    if request.endpoint in _OPEN_BEFORE_TWO_STEP or request.blueprint == "api":
        return None
    if not current_user.is_authenticated or current_user.totp_secret:
        return None
    if not two_step_required(current_user):
        return None
    if wants_json():
        return render_error(403, "Set up two-step sign-in first.")
    if not any(message == TWO_STEP_NEEDED for _, message in session.get("_flashes", [])):
        flash(TWO_STEP_NEEDED, "warning")  # once, however many pages were tried
    return redirect(url_for("auth.two_step"))


@bp.post("/sign-out")
def sign_out():
    """Sign out here and end the account's sessions on the server, copied cookies included."""
    staff = current_user._get_current_object() if current_user.is_authenticated else None
    logout_user()
    session.pop(PENDING_KEY, None)
    if staff is not None:
        end_sessions(staff)
    flash("You are signed out.", "info")
    return redirect(url_for("public.home"))
