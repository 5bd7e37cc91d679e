"""Error pages in the site's look, and JSON errors for API clients."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

MESSAGES = {
    400: "The request could not be understood. Please check what you sent and try again.",
    401: "Please sign in again.",
    403: "Your account does not have access to this page.",
    404: "We could not find that page. The link may be mistyped or out of date.",
    405: "That action is not allowed here.",
    413: "What you sent is too large.",
    415: "This page takes a form, not that kind of content.",
    429: "Too many attempts from your network in a short time. Please wait a minute and try again.",
    500: "Something went wrong on our side. It has been logged; please try again shortly.",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code: int, message: str | None = None, title: str | None = None):
    message = message or MESSAGES.get(code, "Something went wrong.")
    if wants_json():
        return jsonify({"error": {"status": code, "message": message}}), code
    return render_template("errors/error.html", code=code, message=message, title=title), code


def _own_description(error: HTTPException) -> str | None:
    """The message passed to ``abort(code, "…")``, or None for werkzeug's stock text."""
    if error.code == 429:  # flask-limiter puts the limit ("5 per 1 minute") here
        from summit.throttle import throttled_message

        return throttled_message(error)
    stock = type(error).description
    return error.description if error.description and error.description != stock else None


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400,
            "This form has expired or was not sent from this site. "
            "Go back, reload the page and send it again.",
            "Form expired",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code, _own_description(error))

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        return render_error(500)
