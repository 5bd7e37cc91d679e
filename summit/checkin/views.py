"""Staff check-in pages: the desk, room mode, rosters, attendance, badges and API tokens.

The pages work without JavaScript (forms post and redirect back with the answer);
``static/js/checkin.js`` adds scanning without reloads, the camera, search as
you type, live numbers and the offline queue, talking JSON to the same URLs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from summit.auth.api_tokens import TokenError, create_api_token, list_api_tokens, revoke_api_token
from summit.checkin.credit import event_credit
from summit.checkin.display import scan_message, scan_tone, session_when
from summit.checkin.errors import CheckinError
from summit.checkin.forms import ApiTokenForm, WalkInForm
from summit.checkin.services import (
    NONCE_PATTERN,
    ScanResult,
    annul_checkin,
    check_in,
    close_session,
    departures,
    entries,
    live_counts,
    new_nonce,
    normalise_code,
    printable,
    reopen_session,
    search_registrations,
    walk_in,
)
from summit.documents import render_pdf
from summit.documents.badges import render_badges_pdf
from summit.exports import csv_response
from summit.extensions import db
from summit.loaders import event_or_404, get_or_404
from summit.models import AgendaSession, Event, Person, Registration, RegistrationState, StaffUser
from summit.registration.errors import RegistrationError
from summit.security import no_store, staff_required
from summit.templating import date_range
from summit.urls import parse_id

bp = Blueprint("checkin", __name__, url_prefix="/staff")
DOOR_ROLES = ("admin", "checkin")
ANSWER_KEY = "checkin_answer"
JSQR = Path(__file__).resolve().parent.parent.parent / "node_modules/jsqr/dist/jsQR.js"
CHOOSE_A_SESSION = "Choose a session from the list."


bp.after_request(no_store)  # check-in pages name people


def _event(slug: str) -> Event:
    return event_or_404(slug)


def _agenda_session(event: Event, session_id: int) -> AgendaSession:
    """The session of this event, or 404: never another event's session."""
    return get_or_404(AgendaSession, session_id, event=event)


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


def _answer(result: ScanResult, event: Event) -> dict[str, Any]:
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


def _for_cookie(answer: dict[str, Any]) -> dict[str, Any]:
    """The answer to show after a redirect: the session cookie is signed, not secret,
    so the badge link (it holds the ticket code) stays out of it."""
    return {key: value for key, value in answer.items() if key != "badge_url"}


def _back(event: Event, session_id: int | None):
    if session_id:
        return redirect(url_for("checkin.room", slug=event.slug, session_id=session_id))
    return redirect(url_for("checkin.desk", slug=event.slug))


# ---------------------------------------------------------------- pages


@bp.get("/checkin")
@staff_required(*DOOR_ROLES)
def index():
    """Events to work on, each with its desk, sessions and attendance."""
    events = db.session.scalars(select(Event).order_by(Event.starts_on.desc())).all()
    return render_template("checkin/index.html", events=events)


@bp.get("/events/<slug>/checkin")
@staff_required(*DOOR_ROLES)
def desk(slug: str):
    event = _event(slug)
    return _scan_page(event, None)


@bp.get("/events/<slug>/sessions/<int:session_id>/checkin")
@staff_required(*DOOR_ROLES)
def room(slug: str, session_id: int):
    event = _event(slug)
    return _scan_page(event, _agenda_session(event, session_id))


def _scan_page(event: Event, agenda: AgendaSession | None):
    query = printable(request.args.get("q", "")).strip()[:100]
    results = search_registrations(event.id, query) if query else []
    roster, present = [], {}
    if agenda is not None:
        roster = db.session.scalars(
            select(Registration)
            .join(Person, Registration.person_id == Person.id)
            .where(
                Registration.event_id == event.id, Registration.state == RegistrationState.CONFIRMED
            )
            .options(joinedload(Registration.person))
            .order_by(Person.last_name, Person.first_name, Registration.id)
        ).all()
        present = entries(event.id, [r.id for r in roster], agenda.id)
    checked = entries(event.id, [r.id for r in results], agenda.id if agenda else None)
    walk_in_form = WalkInForm(event, prefix="walkin")
    return render_template(
        "checkin/desk.html",
        event=event,
        agenda=agenda,
        counts=live_counts(event.id),
        answer=session.pop(ANSWER_KEY, None),
        query=query,
        results=results,
        checked=checked,
        roster=roster,
        present=present,
        walk_in_form=walk_in_form,
        walk_in_nonce=new_nonce(),
        session_times={
            item.id: session_when(item.starts_at, item.ends_at, event.timezone)
            for item in event.sessions
        },
        camera_fallback=JSQR.is_file(),
        not_today=not_running_today(event),
    )


def not_running_today(event: Event) -> str:
    """A warning for the desk when the event is not on today (event time zone): scans
    still count (offline replays arrive late), but a wrong event is easy to pick."""
    today = datetime.now(event.tz).date()
    if event.starts_on <= today <= event.ends_on:
        return ""
    when = "is over" if today > event.ends_on else "has not started"
    return (
        f"{event.name} {when}: it runs {date_range(event.starts_on, event.ends_on)}, "
        f"and today is {today:%B} {today.day}. Check that this is the right event."
    )


# ---------------------------------------------------------------- actions


@bp.post("/events/<slug>/checkin/scan")
@staff_required(*DOOR_ROLES)
def scan(slug: str):
    """One scan, from the scanner field, the camera, a search result or the roster."""
    event = _event(slug)
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
    answer = _answer(result, event)
    if _wants_json():
        answer["counts"] = live_counts(event.id)
        return jsonify(answer)
    session[ANSWER_KEY] = _for_cookie(answer)
    return _back(event, fields["session_id"])


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
    return _back(event, _session_to_return_to(data))


@bp.post("/events/<slug>/checkin/undo")
@staff_required(*DOOR_ROLES)
def undo(slug: str):
    event = _event(slug)
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
    return _back(event, _session_to_return_to(data))


@bp.get("/events/<slug>/checkin/search")
@staff_required(*DOOR_ROLES)
def search(slug: str):
    """Results as you type: name, email or agency; each with its ticket to check in."""
    event = _event(slug)
    query = printable(request.args.get("q", "")).strip()[:100]
    session_id = _search_session(event)
    results = search_registrations(event.id, query) if len(query) >= 2 else []
    checked = entries(event.id, [r.id for r in results], session_id)
    items = []
    for registration in results:
        row = checked.get(registration.id)
        items.append(
            {
                "name": registration.person.full_name,
                "agency": registration.person.agency,
                "email": registration.person.email,
                "tier": registration.tier.name,
                "state": registration.state,
                "state_label": registration.state.label,
                "state_badge": registration.state.door_badge,
                "code": registration.ticket_code,
                "checked_in_at": (
                    row.scanned_at.astimezone(event.tz).strftime("%H:%M") if row else None
                ),
            }
        )
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
        _agenda_session(event, session_id)
    return session_id


@bp.get("/events/<slug>/checkin/live.json")
@staff_required(*DOOR_ROLES)
def live(slug: str):
    return jsonify(live_counts(_event(slug).id))


@bp.post("/events/<slug>/checkin/walk-in")
@staff_required(*DOOR_ROLES)
def walk_in_view(slug: str):
    """Register and check in someone at the desk; every check comes before anything is saved.

    The nonce is checked here, not only by the scan: the scan runs after the
    registration is committed and its email queued, too late to refuse cleanly.
    """
    event = _event(slug)
    form = WalkInForm(event, prefix="walkin")
    if not form.validate_on_submit():
        problems = "; ".join(f"{form[name].label.text}: {' '.join(errors)}"
                             for name, errors in form.errors.items() if name in form)  # fmt: skip
        flash(f"Walk-in not registered. {problems}", "danger")
        return _back(event, None)
    nonce = request.form.get("nonce") or None
    if nonce is not None and not NONCE_PATTERN.fullmatch(nonce):
        message = "the form was damaged. Reload the page and enter the details again."
        flash(f"Walk-in not registered: {message}", "danger")
        return _back(event, None)
    try:
        result = walk_in(
            event.id, tier_slug=form.tier.data, email=form.email.data,
            first_name=form.first_name.data.strip(), last_name=form.last_name.data.strip(),
            agency=(form.agency.data or "").strip(), phone=form.phone.data or "",
            staff=current_user._get_current_object(), nonce=nonce,
        )  # fmt: skip
    except RegistrationError as problem:
        flash(f"Walk-in not registered: {problem.message}", "danger")
        return _back(event, None)
    except CheckinError as problem:  # raised by the scan, after the registration was saved
        name = f"{form.first_name.data} {form.last_name.data}"
        message = f"{name} is registered but not checked in: {problem.message}"
        flash(f"{message} Find them with the search to check them in.", "warning")
        return _back(event, None)
    session[ANSWER_KEY] = _for_cookie(_answer(result, event))
    return _back(event, None)


@bp.post("/events/<slug>/sessions/<int:session_id>/close")
@staff_required(*DOOR_ROLES)
def close(slug: str, session_id: int):
    event = _event(slug)
    _agenda_session(event, session_id)
    agenda = close_session(event.id, session_id, staff=current_user._get_current_object())
    flash(f"{agenda.title} is closed: further scans answer “session closed”.", "info")
    return _back(event, session_id)


@bp.post("/events/<slug>/sessions/<int:session_id>/reopen")
@staff_required(*DOOR_ROLES)
def reopen(slug: str, session_id: int):
    event = _event(slug)
    _agenda_session(event, session_id)
    agenda = reopen_session(event.id, session_id, staff=current_user._get_current_object())
    flash(f"{agenda.title} takes scans again.", "info")
    return _back(event, session_id)


@bp.get("/vendor/jsQR.js")
@staff_required(*DOOR_ROLES)
def jsqr():
    """The npm package's build, served by the app (no CDN); 404 when npm ci was not run."""
    if not JSQR.is_file():
        abort(404)
    return send_file(JSQR, mimetype="text/javascript", max_age=86400)


# ---------------------------------------------------------------- API tokens


@bp.route("/api-tokens", methods=["GET", "POST"])
@staff_required("admin")
def api_tokens():
    form = ApiTokenForm()
    staff = db.session.scalars(
        select(StaffUser).where(StaffUser.is_active).order_by(StaffUser.email)
    ).all()
    form.staff.choices = [(member.id, f"{member.display_name} ({member.role})") for member in staff]
    new_token = None
    if form.validate_on_submit():
        member = db.session.get(StaffUser, form.staff.data)
        try:
            _row, new_token = create_api_token(
                member, name=form.name.data or "", actor=current_user._get_current_object()
            )
        except TokenError as problem:
            flash(str(problem), "danger")
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(
        "checkin/api_tokens.html", form=form, tokens=list_api_tokens(), new_token=new_token
    ), status


@bp.post("/api-tokens/<int:token_id>/revoke")
@staff_required("admin")
def revoke_token(token_id: int):
    try:
        row = revoke_api_token(token_id, actor=current_user._get_current_object())
    except TokenError:
        abort(404)
    flash(f"Token {row.prefix}… revoked: scanners using it stop working now.", "info")
    return redirect(url_for("checkin.api_tokens"))


# ---------------------------------------------------------------- attendance and paper


def _confirmed(event: Event) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .join(Person, Registration.person_id == Person.id)
            .where(
                Registration.event_id == event.id, Registration.state == RegistrationState.CONFIRMED
            )
            .options(joinedload(Registration.person), joinedload(Registration.tier))
            .order_by(Person.last_name, Person.first_name, Registration.id)
        )
    )


@bp.get("/events/<slug>/attendance")
@staff_required(*DOOR_ROLES)
def attendance(slug: str):
    """People × topics: minutes credited against minutes required, with totals."""
    event = _event(slug)
    registrations = _confirmed(event)
    credits = event_credit(event, registrations)
    if request.args.get("format") == "csv":
        return csv_response(_attendance_rows(event, registrations, credits),
                            f"{event.slug}-attendance.csv")  # fmt: skip
    topics = event.curriculum.items
    complete_per_topic = {
        item.topic_id: sum(1 for c in credits.values() if c.for_topic(item.topic_id).complete)
        for item in topics
    }
    return render_template(
        "checkin/attendance.html",
        event=event,
        registrations=registrations,
        credits=credits,
        topics=topics,
        complete_per_topic=complete_per_topic,
        fully_complete=sum(1 for credit in credits.values() if credit.is_complete),
        counts=live_counts(event.id),
    )


def _attendance_rows(event: Event, registrations: list[Registration], credits) -> list[list]:
    topics = event.curriculum.items
    header = ["last_name", "first_name", "email", "agency", "tier"]
    header += [f"{item.position}. {item.title} (min)" for item in topics]
    header += ["topics_complete", "topics_total", "minutes_total"]
    rows = [header]
    for registration in registrations:
        credit = credits[registration.id]
        person = registration.person
        row = [person.last_name, person.first_name, person.email, person.agency,
               registration.tier.name]  # fmt: skip
        row += [credit.for_topic(item.topic_id).minutes for item in topics]
        row += [credit.complete_topics, len(credit.topics), credit.total_minutes]
        rows.append(row)
    return rows


def _roster(event: Event, agenda: AgendaSession):
    registrations = _confirmed(event)
    ids = [registration.id for registration in registrations]
    present = entries(event.id, ids, agenda.id)
    left = departures(event.id, ids, agenda.id)
    return registrations, present, left


@bp.get("/events/<slug>/sessions/<int:session_id>/roster.csv")
@staff_required(*DOOR_ROLES)
def roster_csv(slug: str, session_id: int):
    event = _event(slug)
    agenda = _agenda_session(event, session_id)
    registrations, present, left = _roster(event, agenda)
    local = "%Y-%m-%d %H:%M"
    rows = [["last_name", "first_name", "email", "agency", "tier", "checked_in_at",
             "checked_out_at", "source"]]  # fmt: skip
    for registration in registrations:
        person, row, out = (
            registration.person,
            present.get(registration.id),
            left.get(registration.id),
        )
        rows.append([
            person.last_name, person.first_name, person.email, person.agency,
            registration.tier.name,
            row.scanned_at.astimezone(event.tz).strftime(local) if row else "",
            out.scanned_at.astimezone(event.tz).strftime(local) if out else "",
            row.source if row else "",
        ])  # fmt: skip
    return csv_response(rows, f"{event.slug}-session-{agenda.id}-roster.csv")


@bp.get("/events/<slug>/sessions/<int:session_id>/roster.pdf")
@staff_required(*DOOR_ROLES)
def roster_pdf(slug: str, session_id: int):
    """A printable sign-in sheet: for a paper list when the network or the power is out."""
    event = _event(slug)
    agenda = _agenda_session(event, session_id)
    registrations, present, _left = _roster(event, agenda)
    pdf = render_pdf(
        "documents/roster.html",
        {"event": event, "agenda": agenda, "registrations": registrations, "present": present,
         "org_name": current_app.config["ORGANISATION_NAME"],
         "org_unit": current_app.config["ORGANISATION_UNIT"]},
        title=f"Sign-in sheet: {agenda.title}",
        subject=f"Sign-in sheet for {agenda.title} at {event.name}",
    )  # fmt: skip
    return _pdf_response(pdf, f"{event.slug}-session-{agenda.id}-sign-in.pdf")


@bp.get("/events/<slug>/badges.pdf")
@staff_required(*DOOR_ROLES)
def badges(slug: str):
    """Name badges with the ticket QR, six per letter sheet: everyone confirmed, or one person.

    ``?code=`` picks one person by ticket code (scoped to this event).
    """
    event = _event(slug)
    code = normalise_code(request.args.get("code"))
    if code:
        registration = db.session.scalar(
            select(Registration).where(
                Registration.event_id == event.id, Registration.ticket_code == code[:64]
            )
        )
        if registration is None:
            abort(404)
        registrations = [registration]
        filename = f"{event.slug}-badge-{registration.person.last_name}.pdf"
    else:
        registrations = _confirmed(event)
        filename = f"{event.slug}-badges.pdf"
    pdf = render_badges_pdf(event, registrations, current_app.config["ORGANISATION_NAME"])
    return _pdf_response(pdf, _safe_filename(filename))


def _safe_filename(name: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-")


def _pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{_safe_filename(filename)}"'},
    )
