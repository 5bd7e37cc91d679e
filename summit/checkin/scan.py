"""Scanning at the door and in rooms: scan, undo, search as you type, live numbers, walk-ins.

Each action answers the desk's script in JSON and a plain form post with a
redirect back to the desk or the room (the answer shown from the session cookie).
The pages work without JavaScript (forms post and redirect back with the answer);
``static/js/checkin.js`` adds scanning without reloads, the camera, search as
you type, live numbers and the offline queue, talking JSON to the same URLs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    flash,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user

from summit.checkin.blueprint import DOOR_ROLES, agenda_session, bp, event_page
from summit.checkin.display import scan_message, scan_tone, search_item
from summit.checkin.errors import CheckinError
from summit.checkin.forms import WalkInForm
from summit.checkin.services import (
    NONCE_PATTERN,
    ScanResult,
    annul_checkin,
    check_in,
    entries,
    live_counts,
    printable,
    search_registrations,
    walk_in,
)
from summit.models import Event
from summit.registration.errors import RegistrationError
from summit.security import staff_required
from summit.urls import parse_id

ANSWER_KEY = "checkin_answer"
CHOOSE_A_SESSION = "Choose a session from the list."


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _posted_fields():
    """The form, or the JSON object the desk's script sends; None for any other JSON.

    A JSON list, string or number has no fields to read, and neither has JSON that
    does not parse: the caller answers 400 instead of guessing.
    """
    if not request.is_json:
        return request.form
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else None


def _not_an_object():
    return jsonify({"error": {"status": 400, "message": "Send a JSON object."}}), 400


def _session_id_from(raw: object) -> int | None:
    """The session a form, JSON body or query string names (see :func:`parse_id`)."""
    try:
        return parse_id(raw)
    except ValueError:
        raise ValueError(CHOOSE_A_SESSION) from None


def _session_to_return_to(data) -> int | None:
    """The room a form came from, to send staff back to; the desk when the field is damaged.

    Only used for the redirect after an answer, so a bad value costs nothing but
    the room view.
    """
    try:
        return _session_id_from(data.get("session_id"))
    except ValueError:
        return None


def scan_answer(result: ScanResult, event: Event) -> dict[str, Any]:
    """The desk's view of a scan answer (the JS and the no-JS page show the same)."""
    registration = result.registration
    person = registration.person if registration else None
    return {
        "status": result.status,
        "direction": result.checkin.direction,
        "tone": scan_tone(result.status),
        "message": scan_message(result, event.timezone),
        "name": person.full_name if person else "",
        "agency": person.agency if person else "",
        "tier": registration.tier.name if registration else "",
        "nonce": result.checkin.nonce,
        "undoable": result.ok,
        "replayed": result.replayed,
        "is_replay": result.checkin.is_replay,
        "code": result.checkin.scanned_code[-6:],
        "badge_url": (
            url_for("checkin.badges", slug=event.slug, code=registration.ticket_code)
            if registration is not None
            else None
        ),
    }


def for_cookie(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer to show after a redirect: the session cookie is signed, not secret,
    so the badge link (it holds the ticket code) stays out of it."""
    return {key: value for key, value in answer.items() if key != "badge_url"}


def back(event: Event, session_id: int | None):
    if session_id:
        return redirect(url_for("checkin.room", slug=event.slug, session_id=session_id))
    return redirect(url_for("checkin.desk", slug=event.slug))


@bp.post("/events/<slug>/checkin/scan")
@staff_required(*DOOR_ROLES)
def scan(slug: str):
    """One scan, from the scanner field, the camera, a search result or the roster."""
    event = event_page(slug)
    data = _posted_fields()
    if data is None:
        return _not_an_object()
    try:
        fields = _scan_fields(data)
    except ValueError as problem:
        return _refused(event, str(problem), 422, data)
    try:
        result = check_in(event.id, staff=current_user._get_current_object(), **fields)
    except CheckinError as problem:
        return _refused(event, problem.message, problem.status_code, data)
    answer = scan_answer(result, event)
    if _wants_json():
        answer["counts"] = live_counts(event.id)
        return jsonify(answer)
    session[ANSWER_KEY] = for_cookie(answer)
    return back(event, fields["session_id"])


def _scan_fields(data) -> dict[str, Any]:
    """The scan's fields, checked; ValueError (answered 422) names the first bad one.

    422 rather than 400: the desk's script drops a refused scan from its offline
    queue on 422 but retries a 400 forever, taking it for a lapsed sign-in.
    """
    session_id = _session_id_from(data.get("session_id"))
    scanned_at = data.get("scanned_at") or None
    if scanned_at is not None:
        try:
            scanned_at = datetime.fromisoformat(str(scanned_at)[:40].upper()).astimezone(UTC)
        except (ValueError, OverflowError):
            raise ValueError("The scan time is not a date and time.") from None
    source = str(data.get("source") or "desk")
    return {
        "code": str(data.get("code") or "")[:1000],
        "session_id": session_id,
        "nonce": (printable(str(data["nonce"]))[:80] if data.get("nonce") else None),
        "scanned_at": scanned_at,
        "direction": str(data.get("direction") or "in"),
        "source": source if source in ("desk", "scanner", "camera", "search", "roster") else "desk",
    }


def _refused(event: Event, message: str, status: int, data):
    if _wants_json():
        return jsonify({"error": {"status": status, "message": message}}), status
    flash(message, "danger")
    return back(event, _session_to_return_to(data))


@bp.post("/events/<slug>/checkin/undo")
@staff_required(*DOOR_ROLES)
def undo(slug: str):
    event = event_page(slug)
    data = _posted_fields()
    if data is None:
        return _not_an_object()
    nonce = printable(str(data.get("nonce") or ""))[:80]
    try:
        row = annul_checkin(event.id, nonce, staff=current_user._get_current_object())
    except CheckinError as problem:
        return _refused(event, problem.message, problem.status_code, data)
    name = row.registration.person.full_name if row.registration else "this ticket"
    message = f"Check-in of {name} undone."
    if _wants_json():
        return jsonify({"message": message, "counts": live_counts(event.id)})
    flash(message, "info")
    return back(event, _session_to_return_to(data))


@bp.get("/events/<slug>/checkin/search")
@staff_required(*DOOR_ROLES)
def search(slug: str):
    """Results as you type: name, email or agency; each with its ticket to check in."""
    event = event_page(slug)
    query = printable(request.args.get("q", "")).strip()[:100]
    session_id = _search_session(event)
    results = search_registrations(event.id, query) if len(query) >= 2 else []
    checked = entries(event.id, [r.id for r in results], session_id)
    items = [search_item(r, checked.get(r.id), event.tz) for r in results]
    return jsonify({"items": items, "query": query})


def _search_session(event: Event) -> int | None:
    """The room whose check-ins the results show; None (event entry) for no or a damaged filter.

    A filter that is not an id is ignored, as it always was; an id that is not a
    session of this event is a 404.
    """
    try:
        session_id = _session_id_from(request.args.get("session_id"))
    except ValueError:
        return None
    if session_id is not None:
        agenda_session(event, session_id)
    return session_id


@bp.get("/events/<slug>/checkin/live.json")
@staff_required(*DOOR_ROLES)
def live(slug: str):
    return jsonify(live_counts(event_page(slug).id))


@bp.post("/events/<slug>/checkin/walk-in")
@staff_required(*DOOR_ROLES)
def walk_in_view(slug: str):
    """Register and check in someone at the desk; every check comes before anything is saved.

    The nonce is checked here, not only by the scan: the scan runs after the
    registration is committed and its email queued, too late to refuse cleanly.
    """
    event = event_page(slug)
    form = WalkInForm(event, prefix="walkin")
    if not form.validate_on_submit():
        problems = "; ".join(
            f"{form[name].label.text}: {' '.join(errors)}"
            for name, errors in form.errors.items()
            if name in form
        )
        flash(f"Walk-in not registered. {problems}", "danger")
        return back(event, None)
    nonce = request.form.get("nonce") or None
    if nonce is not None and not NONCE_PATTERN.fullmatch(nonce):
        message = "the form was damaged. Reload the page and enter the details again."
        flash(f"Walk-in not registered: {message}", "danger")
        return back(event, None)
    try:
        result = walk_in(
            event.id,
            tier_slug=form.tier.data,
            email=form.email.data,
            first_name=form.first_name.data.strip(),
            last_name=form.last_name.data.strip(),
            agency=(form.agency.data or "").strip(),
            phone=form.phone.data or "",
            staff=current_user._get_current_object(),
            nonce=nonce,
        )
    except RegistrationError as problem:
        flash(f"Walk-in not registered: {problem.message}", "danger")
        return back(event, None)
    except CheckinError as problem:  # raised by the scan, after the registration was saved
        name = f"{form.first_name.data} {form.last_name.data}"
        message = f"{name} is registered but not checked in: {problem.message}"
        flash(f"{message} Find them with the search to check them in.", "warning")
        return back(event, None)
    session[ANSWER_KEY] = for_cookie(scan_answer(result, event))
    return back(event, None)
