"""``/api/v1``: check-in for scanner apps, with bearer tokens and JSON errors.

Every event read is scoped by the event in the URL: a ticket, a session or a
registration of another event is never returned (pretix once leaked across events).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, g, jsonify, request, url_for
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from summit.api.openapi import openapi_document
from summit.api.schemas import (
    Invalid,
    checkin_json,
    checkin_request,
    event_json,
    iso,
    parse_datetime,
    registration_json,
    scan_json,
    session_json,
)
from summit.api.tokens import staff_for_token
from summit.checkin.display import scan_message
from summit.checkin.errors import CheckinError, UnknownCheckin
from summit.checkin.services import NONCE_PATTERN, annul_checkin, check_in, matching
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

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_PAGE = 500


def error(status: int, message: str, fields: dict[str, str] | None = None):
    body: dict[str, Any] = {"status": status, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="summit"'
    return response


def token_required(view: Callable) -> Callable:
    """Act as the staff member of a live bearer token; 401 otherwise."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        staff = staff_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if staff is None:
            return error(401, "Send a valid API token: Authorization: Bearer <token>.")
        g.api_staff = staff
        return view(*args, **kwargs)

    return wrapped


@bp.after_request
def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _event(slug: str) -> Event | None:
    if len(slug) > 80 or not slug.isprintable():
        return None
    return db.session.scalar(select(Event).where(Event.slug == slug))


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


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/events")
@token_required
def events():
    rows = db.session.scalars(select(Event).order_by(Event.starts_on.desc(), Event.id.desc()))
    return jsonify({"items": [event_json(event) for event in rows]})


@bp.post("/events/<slug>/checkins")
@token_required
def checkins(slug: str):
    body = request.get_json(force=True, silent=True)
    if body is None:
        return error(400, 'Send a JSON object, e.g. {"code": "…"}.')
    try:
        fields = checkin_request(body)
    except Invalid as problem:
        return error(422, "The check-in request is not valid.", problem.fields)
    found = None
    if len(slug) <= 80 and slug.isprintable():
        found = db.session.execute(
            select(Event.id, Event.timezone).where(Event.slug == slug)
        ).first()
    if found is None:
        return error(404, "There is no such event.")
    event_id, timezone = found
    try:
        result = check_in(event_id, staff=g.api_staff, source="api", **fields)
    except CheckinError as problem:
        return error(problem.status_code, problem.message)
    registration = result.registration
    checkins: list[Checkin] = []
    if registration is not None:
        known = result.checkins
        checkins = list(
            known if known is not None else _ok_checkins([registration.id])[registration.id]
        )
    body = scan_json(result, scan_message(result, timezone), checkins)
    return jsonify(body), 200 if result.replayed else 201


@bp.get("/events/<slug>/registrations")
@token_required
def registrations(slug: str):
    args = request.args
    problems: dict[str, str] = {
        name[:40] or "(empty)": "is not a known parameter"
        for name in set(args) - {"q", "updated_since", "after", "limit"}
    }
    limit = _int_arg("limit", 100, 1, MAX_PAGE, problems)
    after = _int_arg("after", 0, 0, 2**31 - 1, problems)
    query = args.get("q", "")
    if len(query) > 200:
        problems["q"] = "must be at most 200 characters"
    since = None
    if "updated_since" in args:
        try:
            since = parse_datetime(args["updated_since"], "updated_since")
        except Invalid as problem:
            problems.update(problem.fields)
    if problems:
        return error(422, "A query parameter is not valid.", problems)
    event = _event(slug)
    if event is None:
        return error(404, "There is no such event.")
    server_time = utcnow()
    statement = (
        select(Registration)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id == event.id, Registration.id > after)
        .options(joinedload(Registration.person), joinedload(Registration.tier))
    )
    if query.strip():
        statement = matching(statement, query)
    if since is not None:
        changed = exists().where(
            Checkin.registration_id == Registration.id,
            or_(Checkin.recorded_at >= since, Checkin.annulled_at >= since),
        )
        statement = statement.where(or_(Registration.updated_at >= since, changed))
    page = list(db.session.scalars(statement.order_by(Registration.id).limit(limit + 1)))
    more = len(page) > limit
    page = page[:limit]
    checkins = _ok_checkins([registration.id for registration in page])
    next_url = None
    if more:
        params = {"limit": limit, "after": page[-1].id}
        if query:
            params["q"] = query
        if since is not None:
            params["updated_since"] = iso(since)
        next_url = url_for("api.registrations", slug=slug, **params)
    return jsonify(
        {
            "items": [registration_json(r, checkins[r.id]) for r in page],
            "next": next_url,
            "server_time": iso(server_time),
        }
    )


def _int_arg(name: str, default: int, low: int, high: int, problems: dict[str, str]) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    too_long = len(raw) > len(str(high))  # int() of thousands of digits raises
    if too_long or not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        problems[name] = f"must be a whole number from {low} to {high}"
        return default
    return int(raw)


@bp.get("/events/<slug>/sessions")
@token_required
def sessions(slug: str):
    event = _event(slug)
    if event is None:
        return error(404, "There is no such event.")
    rows = db.session.scalars(
        select(AgendaSession)
        .where(AgendaSession.event_id == event.id)
        .options(selectinload(AgendaSession.topics).joinedload(SessionTopic.topic))
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    )
    return jsonify({"items": [session_json(session) for session in rows]})


@bp.delete("/checkins/<nonce>")
@token_required
def annul(nonce: str):
    event_id = None
    if NONCE_PATTERN.fullmatch(nonce):
        event_id = db.session.scalar(select(Checkin.event_id).where(Checkin.nonce == nonce))
    if event_id is None:
        return error(404, "There is no check-in with that nonce.")
    try:
        row = annul_checkin(event_id, nonce, staff=g.api_staff)
    except UnknownCheckin as problem:
        return error(404, problem.message)
    except CheckinError as problem:
        return error(problem.status_code, problem.message)
    return jsonify(
        {"status": "annulled", "annulled_at": iso(row.annulled_at), "checkin": checkin_json(row)}
    )
