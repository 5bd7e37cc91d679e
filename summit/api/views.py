"""``/api/v1``: check-in for scanner apps, with bearer tokens and JSON errors.

Every event read is scoped by the event in the URL: a ticket, a session or a
registration of another event is never returned (pretix once leaked across events).
And every event is scoped by the token (``TokenScope``): an event outside it is
answered exactly like an event that does not exist (404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

import flask
from flask import g, jsonify, url_for
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import HTTPException

from summit.api import schemas
from summit.api.access import checkins_by_nonce, error, scope, scoped_event, token_required
from summit.api.document import ApiBlueprint, build_document, invalid_message, problems
from summit.api.schemas import Holder, ScanAnswer
from summit.checkin.display import scan_message
from summit.checkin.errors import CheckinError
from summit.checkin.services import (
    NONCE_PATTERN,
    annul_checkin,
    check_in,
    matching,
)
from summit.errors import render_error
from summit.extensions import csrf, db
from summit.models import (
    AgendaSession,
    Checkin,
    CheckinResult,
    Event,
    Person,
    Registration,
    SessionTopic,
    utcnow,
)
from summit.security import no_store

bp = ApiBlueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

ERRORS = {
    400: "The body is not JSON.",
    401: "No valid bearer token.",
    403: "The token's scope does not allow this; `message` says why.",
    404: "No such event, session or check-in (or not in the token's events).",
    409: "The request conflicts with what is recorded; `message` says what.",
    422: "The body or a parameter does not match the schema; `fields` says where.",
    503: "The database is out for the moment; nothing was recorded. Retry after `Retry-After`.",
}


def answers(*codes: int, **described: str) -> Callable:
    """Document the errors an operation can answer, each with the one error shape.

    ``described`` words a code for this operation: ``answers(409, e409="…")``. Every
    operation can meet a database outage, so 503 is always listed (``summit.errors``).
    """

    def decorate(view: Callable) -> Callable:
        for code in (*codes, 503):
            description = described.get(f"e{code}", ERRORS[code])
            view = bp.alt_response(code, schema=schemas.Error, description=description)(view)
        return view

    return decorate


@bp.errorhandler(HTTPException)
def _http_error(problem: HTTPException):
    """A body or query refused while parsing names what is wrong where; others read as app-wide.

    Both in the one error shape: ``render_error`` answers JSON under ``/api/``.
    """
    if getattr(problem, "data", None) is None:  # not from webargs: e.g. a 413 body
        return render_error(problem.code or 500)
    return error(problem.code or 500, invalid_message(problem), problems(problem))


@bp.errorhandler(CheckinError)
def _checkin_error(problem: CheckinError):
    return error(problem.status_code, problem.message)


bp.after_request(no_store)  # answers name people


def _ok_checkins(registration_ids: list[int]) -> dict[int, list[Checkin]]:
    grouped: dict[int, list[Checkin]] = {rid: [] for rid in registration_ids}
    if not registration_ids:
        return grouped
    rows = db.session.scalars(
        select(Checkin)
        .where(
            Checkin.registration_id.in_(registration_ids),
            Checkin.status == CheckinResult.OK,
            Checkin.annulled_at.is_(None),
        )
        .order_by(Checkin.scanned_at, Checkin.id)
    )
    for row in rows:
        grouped[row.registration_id].append(row)
    return grouped


@cache
def openapi_document() -> dict[str, Any]:
    """The document, made once per process from this blueprint's routes and schemas."""
    return build_document(bp)


def openapi():
    """The OpenAPI document; no token needed to read it."""
    return jsonify(openapi_document())


# Served through Flask's own add_url_rule: the document does not describe itself.
flask.Blueprint.add_url_rule(bp, "/openapi.json", "openapi", openapi)


@bp.route("/events")
@bp.doc(operationId="listEvents")
@token_required
@bp.response(200, schemas.EventList, description="The events.")
@answers(401, 403)
def events():
    """The token's events, newest first"""
    rows = db.session.scalars(
        select(Event)
        .where(scope().event_filter())
        .order_by(Event.starts_on.desc(), Event.id.desc())
    )
    return {"items": rows}


@bp.route("/events/<slug>/checkins", methods=["POST"])
@bp.doc(operationId="checkIn")
@token_required
@bp.arguments(schemas.CheckinRequest())
@bp.response(
    201,
    schemas.CheckinResponse,
    description="The scan was recorded; `status` says whether the person may enter.",
)
@bp.alt_response(
    200,
    schema=schemas.CheckinResponse,
    description="A scan with this nonce was already recorded: its first answer.",
)
@answers(
    400,
    401,
    403,
    404,
    409,
    422,
    e409="This token already sent this nonce for a different scan (another ticket code, "
    "session or direction): nothing was recorded; `message` says which. A nonce is unique "
    "per token: another scanner's nonce is never a replay.",
)
def checkins(scan: dict[str, Any], slug: str):
    """Record a scan: event entry, or attendance of a session"""
    found = None
    if len(slug) <= 80 and slug.isprintable():
        found = db.session.execute(
            select(Event.id, Event.timezone, Event.is_published).where(Event.slug == slug)
        ).first()
    if found is None or not scope().covers(found.id, found.is_published):
        return error(404, "There is no such event.")
    event_id, timezone, _published = found
    result = check_in(
        event_id, staff=g.api_staff, source="api", api_token_id=scope().token_id, **scan
    )
    holder = None
    if (registration := result.registration) is not None:
        known = result.checkins
        rows = known if known is not None else _ok_checkins([registration.id])[registration.id]
        holder = Holder(registration, list(rows))
    answer = ScanAnswer(result, scan_message(result, timezone), holder)
    return answer, 200 if result.replayed else 201


@bp.route("/events/<slug>/registrations")
@bp.doc(operationId="listRegistrations")
@token_required
@bp.arguments(schemas.RegistrationQuery(), location="query", as_kwargs=True)
@bp.response(200, schemas.RegistrationPage, description="One page, in a stable order.")
@answers(401, 403, 404, 422)
def registrations(slug: str, q: str, after: int, limit: int, updated_since: datetime | None = None):
    """Registrations with their check-ins, for offline decisions"""
    event = scoped_event(slug)
    if event is None:
        return error(404, "There is no such event.")
    server_time = utcnow()
    statement = (
        select(Registration)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id == event.id, Registration.id > after)
        .options(joinedload(Registration.person), joinedload(Registration.tier))
    )
    if q.strip():
        statement = matching(statement, q)
    if updated_since is not None:
        changed = exists().where(
            Checkin.registration_id == Registration.id,
            or_(Checkin.recorded_at >= updated_since, Checkin.annulled_at >= updated_since),
        )
        statement = statement.where(or_(Registration.updated_at >= updated_since, changed))
    page = list(db.session.scalars(statement.order_by(Registration.id).limit(limit + 1)))
    more = len(page) > limit
    page = page[:limit]
    checkins = _ok_checkins([registration.id for registration in page])
    next_url = None
    if more:
        params: dict[str, Any] = {"limit": limit, "after": page[-1].id}
        if q:
            params["q"] = q
        if updated_since is not None:
            params["updated_since"] = schemas.iso(updated_since)
        next_url = url_for("api.registrations", slug=slug, **params)
    items = [Holder(registration, checkins[registration.id]) for registration in page]
    return {"items": items, "next": next_url, "server_time": server_time}


@bp.route("/events/<slug>/sessions")
@bp.doc(operationId="listSessions")
@token_required
@bp.response(200, schemas.SessionList, description="The sessions, in time order.")
@answers(401, 403, 404)
def sessions(slug: str):
    """The agenda sessions that can be scanned into"""
    event = scoped_event(slug)
    if event is None:
        return error(404, "There is no such event.")
    rows = db.session.scalars(
        select(AgendaSession)
        .where(AgendaSession.event_id == event.id)
        .options(selectinload(AgendaSession.topics).joinedload(SessionTopic.topic))
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    )
    return {"items": rows}


NONCE_PARAMETER = {
    "in": "path",
    "name": "nonce",
    "required": True,
    "schema": {"type": "string", "pattern": schemas.NONCE_SCHEMA_PATTERN},
}


@bp.route("/checkins/<nonce>", methods=["DELETE"], parameters=[NONCE_PARAMETER])
@bp.doc(operationId="annulCheckin")
@token_required
@bp.response(200, schemas.Annulment, description="Annulled (annulling twice is harmless).")
@answers(401, 403, 404, 409)
def annul(nonce: str):
    """Undo a successful check-in (an annulment: the record stays)

    The token's own scan with this nonce, else another scanner's in the token's
    events; annulling what another token or a desk recorded needs an admin-scope token.
    """
    found = checkins_by_nonce(nonce) if NONCE_PATTERN.fullmatch(nonce) else []
    if not found:
        return error(404, "There is no check-in with that nonce.")
    if len(found) > 1:
        return error(409, "Several scanners used this nonce: undo the check-in from the desk.")
    row = found[0]
    if row.api_token_id != scope().token_id and not scope().is_admin:
        return error(
            403,
            "This check-in was recorded by another scanner: only an admin-scope token "
            "may annul it.",
        )
    row = annul_checkin(row.event_id, row.id, staff=g.api_staff)
    return {"checkin": row}
