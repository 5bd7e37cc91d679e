"""Error pages in the site's look, and JSON errors for API clients."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from summit.extensions import db, login_manager

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30  # what a 503 asks clients to wait before trying again

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
    503: "The site cannot reach its database just now. Nothing you sent was saved; "
    "please try again in a minute.",
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

    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(InterfaceError, database_unavailable)
    app.register_error_handler(DBAPIError, database_unavailable)


def is_outage(error: DBAPIError) -> bool:
    """The database could not be reached or used, as opposed to a query it refused.

    Operational and interface errors (connection refused or lost, an unreadable
    SQLite file, a lock not granted in time) and any error that dropped the
    connection. Refusals (integrity, data errors) stay 500s: they are bugs.
    """
    return isinstance(error, OperationalError | InterfaceError) or error.connection_invalidated


def end_failed_transaction() -> None:
    """Roll back what the failed request held; a dead connection is just let go."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


def database_unavailable(error: DBAPIError):
    """503 with ``Retry-After`` while the database is out: the page, or JSON for the API.

    The session is rolled back (nothing half-done is kept) and its connection given
    back; the pool checks connections before use (``pool_pre_ping``), so the site
    recovers on its own when the database does, without a restart.
    """
    if not is_outage(error):
        raise error  # a bug, not an outage: the usual 500 (and a failing test)
    log.error("database unavailable: %s", error.orig)
    end_failed_transaction()
    if "_login_user" not in g:  # the page must not load the staff member from the database
        g._login_user = login_manager.anonymous_user()
    response = make_response(*render_error(503, title="Temporarily unavailable"))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
