"""Staff sign-in and sign-out."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from summit.auth.forms import SignInForm
from summit.auth.services import authenticate
from summit.extensions import limiter
from summit.security import is_safe_next

bp = Blueprint("auth", __name__, url_prefix="/staff")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("staff.home"))
    form = SignInForm()
    if form.validate_on_submit():
        staff = authenticate(form.email.data, form.password.data)
        if staff is not None:
            login_user(staff)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else url_for("staff.home"))
        flash("That email and password do not match a staff account.", "danger")
        return render_template("auth/sign_in.html", form=form), 401
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-out")
def sign_out():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("public.home"))
