"""Staff sign-in (password, then an authenticator code when enabled) and sign-out."""

from __future__ import annotations

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

from summit.auth import totp
from summit.auth.forms import CodeForm, SignInForm
from summit.auth.services import authenticate
from summit.extensions import db, limiter
from summit.models import StaffUser
from summit.qr import qr_svg
from summit.security import is_safe_next

bp = Blueprint("auth", __name__, url_prefix="/staff")
PENDING_KEY = "staff_pending_totp"
ENROL_KEY = "staff_totp_enrol_nonce"  # the secret is derived from it on the server


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _after_sign_in(staff: StaffUser, target: str | None):
    login_user(staff)
    return redirect(target if is_safe_next(target) else url_for("staff.home"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = SignInForm()
    if form.validate_on_submit():
        staff = authenticate(form.email.data, form.password.data)
        if staff is None:
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
        if totp.code_matches(staff.totp_secret, form.code.data):
            session.pop(PENDING_KEY, None)
            return _after_sign_in(staff, pending.get("next"))
        form.code.errors = ["That code is not right. Codes change every 30 seconds."]
        return render_template("auth/code.html", form=form), 401
    return render_template("auth/code.html", form=form)


@bp.route("/account/two-step", methods=["GET", "POST"])
@login_required
def two_step():
    """Turn two-step sign-in on (scan the QR, confirm a code) or off (confirm a code)."""
    form = CodeForm()
    staff = current_user._get_current_object()
    if staff.totp_secret:
        if form.validate_on_submit():
            if totp.disable_totp(staff, form.code.data):
                flash("Two-step sign-in is off.", "info")
                return redirect(url_for("staff.home"))
            form.code.errors = ["That code is not right."]
        return render_template("auth/two_step.html", form=form, enabled=True)
    nonce = session.get(ENROL_KEY) or totp.new_enrolment_nonce()
    session[ENROL_KEY] = nonce
    secret = totp.enrolment_secret(staff, nonce)
    if form.validate_on_submit():
        if totp.enable_totp(staff, secret, form.code.data):
            session.pop(ENROL_KEY, None)
            flash("Two-step sign-in is on. You will be asked for a code at sign-in.", "success")
            return redirect(url_for("staff.home"))
        form.code.errors = ["That code is not right. Check your phone's clock and try again."]
    uri = totp.provisioning_uri(staff, secret)
    return render_template(
        "auth/two_step.html",
        form=form,
        enabled=False,
        secret=secret,
        qr=qr_svg(uri, title="Authenticator setup code"),
    )


@bp.post("/sign-out")
def sign_out():
    logout_user()
    session.pop(PENDING_KEY, None)
    flash("You are signed out.", "info")
    return redirect(url_for("public.home"))
