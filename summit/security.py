"""Cookies, proxies, response headers and the staff role decorator."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from summit.errors import render_error, wants_json
from summit.extensions import db, login_manager
from summit.models import StaffUser

F = TypeVar("F", bound=Callable[..., Any])


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over https.

    ``SESSION_COOKIE_SECURE`` set to true or false overrides the automatic choice.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = app.config.get("SESSION_COOKIE_SECURE")
        if configured is None:
            return request.is_secure
        return bool(configured)


def init_security(app: Flask) -> None:
    app.session_interface = SessionInterface()
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in as staff to open that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.user_loader(_load_staff)
    app.after_request(_security_headers)
    app.before_request(_refuse_nul_bytes)
    app.before_request(_refuse_json_to_forms)


def _load_staff(user_id: str) -> StaffUser | None:
    """The signed-in staff member while the session's version is the account's own.

    The session holds ``id:version`` (``StaffUser.get_id``): a cookie from before a
    sign-out, a password change or a deactivation, copied or not, opens nothing.
    """
    raw_id, _, version = str(user_id).partition(":")
    try:
        staff = db.session.get(StaffUser, int(raw_id))
        current = staff is not None and int(version) == staff.session_version
    except (TypeError, ValueError, OverflowError):
        return None
    return staff if current and staff.is_active else None


def _refuse_nul_bytes():
    """No form or query value may carry a NUL byte: PostgreSQL refuses to store one,
    so it would surface as a 500 deep in a service. One check here covers every form.
    The JSON API checks its own input instead, with the marshmallow schemas its
    OpenAPI document is made from (summit/api/schemas.py).
    """
    if "\x00" in request.path:  # a slug or code in the address, for every route
        abort(404)
    if request.path.startswith("/api/"):
        return
    values = [*request.args.values()]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        values.extend(request.form.values())
    if any("\x00" in value for value in values):
        abort(400, "The form contains characters that are not allowed (a NUL byte).")


# The only views outside the API that read a JSON body: the check-in desk's scanner
# and undo (the page's script posts JSON) and Stripe's webhook.
JSON_ENDPOINTS = frozenset({"checkin.scan", "checkin.undo", "payments.stripe_webhook"})


def _refuse_json_to_forms():
    """Pages with forms take form posts only.

    Flask-WTF reads a JSON body as if it were the form, and the validators then meet
    numbers, lists and objects where they expect text: a 500 instead of an answer.
    """
    if (
        request.is_json
        and request.method in ("POST", "PUT", "PATCH", "DELETE")
        and request.endpoint is not None
        and request.blueprint != "api"
        and request.endpoint not in JSON_ENDPOINTS
    ):
        abort(415, "This page takes a form, not JSON.")


def _security_headers(response):
    if request.is_secure and current_app.config["HSTS_MAX_AGE"]:
        # Only on https (behind a proxy: what TRUSTED_PROXIES lets X-Forwarded-Proto
        # say), as the standard asks: browsers then never try plain http again.
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(current_app.config['HSTS_MAX_AGE'])}"
        )
    if _is_staff_page():
        no_store(response)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def allow_inline_style_attributes(response: Response) -> Response:
    """The site's policy plus ``style="…"`` attributes, for a page that shows an email.

    An email's HTML is styled inline (mail clients ignore style sheets) and a
    preview in a ``srcdoc`` frame inherits this page's policy. Attributes only:
    ``<style>`` elements and scripts stay refused, and the frame is sandboxed.
    """
    response.headers["Content-Security-Policy"] = (
        f"{CONTENT_SECURITY_POLICY}; style-src-attr 'unsafe-inline'"
    )
    return response


def _is_staff_page() -> bool:
    """Every page under /staff/ (the audit log, the two-step page with its TOTP secret,
    the sign-in page), and any page a signed-in staff member sees: none may stay in a
    browser's or a proxy's cache. Static files keep theirs."""
    if request.endpoint == "static":
        return False
    return request.path.startswith("/staff") or bool(current_user and current_user.is_authenticated)


def no_store(response: Response) -> Response:
    """Keep a page out of shared and browser caches: it names people or holds a credential.

    The ``after_request`` hook of every blueprint with personal pages. A response its
    view made public on purpose (a vendored script served with a ``max_age``) keeps
    its own caching.
    """
    if not response.cache_control.public:
        response.headers["Cache-Control"] = "no-store"
    return response


def staff_required(*roles: str) -> Callable[[F], F]:
    """Let through signed-in staff whose role is one of ``roles`` (any role when none given).

    Anonymous visitors go to the sign-in page; staff without the role get 403.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if wants_json():
                    return render_error(401, "Sign in as staff again.")
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def is_safe_next(target: str | None) -> bool:
    """Only same-site relative paths may be used as a post-login redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if not target.isprintable():  # a newline would split the Location header
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target
