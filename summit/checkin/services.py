"""Check-in rules in one place: scans, undo, sessions, walk-ins, search and live counts.

Every scan becomes one append-only ``Checkin`` row, failures included; an undo
is an annulment of the row, never a delete. A client nonce makes a scan
idempotent: the same nonce again returns the first answer, so a network drop
mid-scan or an offline replay can never check someone in twice.

"Already checked in" must be exact when two desks scan one ticket at the same
moment, so a scan runs in a ``write_transaction`` and locks the registration
before it looks for an earlier check-in (PostgreSQL ``SELECT … FOR UPDATE`` on the
registration row; SQLite holds its write lock from the start).
Scanned input is only ever looked up as a ticket code, never as an internal id.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from summit import audit
from summit.checkin.credit import Credit, credit_minutes, event_credit
from summit.checkin.errors import (
    InvalidScan,
    NonceConflict,
    NotAnnullable,
    UnknownCheckin,
    UnknownSession,
)
from summit.extensions import db
from summit.models import (
    CHECKIN_SOURCES,
    AgendaSession,
    Checkin,
    CheckinResult,
    Person,
    Registration,
    RegistrationState,
    StaffUser,
    utcnow,
)
from summit.registration.services import register_attendee
from summit.search import contains
from summit.transactions import for_update, write_transaction

__all__ = [
    "Credit",
    "ScanResult",
    "annul_checkin",
    "check_in",
    "close_session",
    "credit_minutes",
    "departures",
    "entries",
    "event_credit",
    "live_counts",
    "normalise_code",
    "reopen_session",
    "search_registrations",
    "walk_in",
]

CODE_LIMIT = 80  # what is stored of a scanned code; ticket codes are 32 characters
NONCE_LIMIT = 64  # leaves room for the ":entry" suffix of a derived entry row
NONCE_PATTERN = re.compile(r"[A-Za-z0-9._~-]{1,64}")
NONCE_RULE = f"1 to {NONCE_LIMIT} characters: letters, digits, '.', '_', '~', '-'"
DIRECTIONS = ("in", "out")  # into a session (or the event), or out of a session
REPLAY_TOLERANCE = timedelta(seconds=60)
_CODE_NOISE = re.compile(r"[\s\-‐‑‒–—]+")


@dataclass(frozen=True)
class ScanResult:
    """The answer to one scan, and the row that records it.

    ``registration`` is None unless the code belongs to this event: a ticket of
    another event says ``wrong_event`` and nothing about its holder.
    ``first`` is the earlier successful check-in behind an ``already`` answer.
    ``replayed`` is true when the answer comes from an earlier scan with this nonce.
    """

    status: CheckinResult
    checkin: Checkin
    registration: Registration | None
    first: Checkin | None = None
    replayed: bool = False
    checkins: tuple[Checkin, ...] | None = None  # the registration's successful check-ins

    @property
    def ok(self) -> bool:
        return self.status == CheckinResult.OK

    @property
    def checked_in_at(self) -> datetime | None:
        if self.first is not None:
            return self.first.scanned_at
        return self.checkin.scanned_at if self.ok else None

    @property
    def reason(self) -> str:
        """Why a scan was refused, in the words shown to staff ('' when it was not)."""
        if self.status == CheckinResult.NOT_CONFIRMED and self.registration is not None:
            return self.registration.state.checkin_refusal
        return self.status.reason


def printable(text: str) -> str:
    """``text`` without control characters (PostgreSQL refuses NUL in text)."""
    return text if text.isprintable() else "".join(ch for ch in text if ch.isprintable())


def normalise_code(raw: str | None) -> str:
    """What a scanner or a person typed, as a ticket code: no spaces or dashes, upper case."""
    return printable(_CODE_NOISE.sub("", (raw or "")[: CODE_LIMIT * 4])).upper()


def new_nonce() -> str:
    return "srv-" + secrets.token_hex(12)


def check_in(
    event_id: int,
    code: str | None,
    *,
    staff: StaffUser | None,
    source: str,
    session_id: int | None = None,
    nonce: str | None = None,
    scanned_at: datetime | None = None,
    direction: str = "in",
    now: datetime | None = None,
    api_token_id: int | None = None,
) -> ScanResult:
    """Record one scan of ``code`` at event ``event_id`` (or into one of its sessions).

    Answers ``ok``, ``already_checked_in``, ``unknown_code``, ``cancelled``,
    ``not_confirmed``, ``wrong_event`` or ``session_closed``. A session check-in
    also records event entry when it is missing. ``scanned_at`` older than a
    minute is an offline scan replayed later: kept as given, flagged, source
    ``offline``. ``api_token_id`` is the scanner app's token (its nonces are its
    own); a desk's nonces belong to its staff member. Commits once.
    """
    _validate(source, direction, session_id, nonce)
    now = now or utcnow()
    scanned_at, is_replay = _scan_time(scanned_at, now)
    if is_replay:
        source = "offline"
    code = normalise_code(code)[:CODE_LIMIT]
    nonce = nonce or new_nonce()
    staff_id = staff.id if staff is not None else None
    scope = nonce_scope(staff_id, api_token_id)
    if session_id is not None:
        _session_of(event_id, session_id)
    try:
        return _check_in_once(
            event_id,
            code,
            staff_id=staff_id,
            source=source,
            session_id=session_id,
            nonce=Nonce(scope, nonce, api_token_id),
            scanned_at=scanned_at,
            direction=direction,
            now=now,
            is_replay=is_replay,
        )
    except IntegrityError:  # a nonce seen before: answered from the first scan
        earlier = _by_nonce(scope, nonce)
        if earlier is None:
            raise
        return _answer_again(earlier, Replay(event_id, code, session_id, direction))


def nonce_scope(staff_id: int | None, api_token_id: int | None) -> str:
    """Whose nonces these are: a scanner app's token, else the desk's staff member.

    Nonces are made by clients, so only one client's own nonces can be trusted to
    be unique: a nonce another scanner used is a new scan, never its replay.
    """
    if api_token_id is not None:
        return f"token:{api_token_id}"
    return f"staff:{staff_id}" if staff_id is not None else ""


@dataclass(frozen=True)
class Nonce:
    """A scan's nonce with the scope it is unique in, and the token that sent it."""

    scope: str
    value: str
    api_token_id: int | None = None


@dataclass(frozen=True)
class Replay:
    """What a scan sent again with a known nonce must repeat to be answered as a replay."""

    event_id: int
    code: str
    session_id: int | None
    direction: str


@write_transaction(keep_loaded=True)
def _check_in_once(
    event_id: int,
    code: str,
    *,
    staff_id: int | None,
    source: str,
    session_id: int | None,
    nonce: Nonce,
    scanned_at: datetime,
    direction: str,
    now: datetime,
    is_replay: bool,
) -> ScanResult:
    """One scan under the registration's lock; what was loaded stays loaded after the commit.

    The registration was locked while it was read, so what is in memory is what
    was committed; reloading it row by row would only cost queries on every scan.
    """
    registration = _registration_for(code)
    agenda = db.session.get(AgendaSession, session_id) if session_id is not None else None
    own = registration if registration is not None and registration.event_id == event_id else None
    earlier = _ok_rows(own.id) if own is not None else []
    status, first = _decide(event_id, registration, agenda, direction, scanned_at, earlier)
    row = Checkin(
        event_id=event_id,
        registration_id=own.id if own else None,
        session_id=session_id,
        direction=direction,
        status=status,
        scanned_code=code,
        source=source,
        nonce=nonce.value,
        nonce_scope=nonce.scope,
        api_token_id=nonce.api_token_id,
        scanned_at=scanned_at,
        recorded_at=now,
        is_replay=is_replay,
        staff_user_id=staff_id,
    )
    db.session.add(row)
    ok = status == CheckinResult.OK
    added = [row] if ok else []
    entering = ok and own is not None and session_id is not None and direction == "in"
    if entering and _first(earlier, None, "in") is None:
        entry = _event_entry_for(row)
        db.session.add(entry)
        added.append(entry)
    db.session.flush()  # a nonce seen before fails here
    checkins = tuple(sorted([*earlier, *added], key=lambda item: (item.scanned_at, item.id)))
    return ScanResult(status, row, own, first, checkins=checkins)


def _event_entry_for(row: Checkin) -> Checkin:
    """The event entry a first session scan also records: walking into a room means
    being at the event, so the desk count and the door list agree."""
    return Checkin(
        event_id=row.event_id,
        registration_id=row.registration_id,
        session_id=None,
        direction="in",
        status=CheckinResult.OK,
        scanned_code=row.scanned_code,
        source=row.source,
        nonce=f"{row.nonce}:entry",
        nonce_scope=row.nonce_scope,
        api_token_id=row.api_token_id,
        scanned_at=row.scanned_at,
        recorded_at=row.recorded_at,
        is_replay=row.is_replay,
        staff_user_id=row.staff_user_id,
    )


def _decide(
    event_id: int,
    registration: Registration | None,
    agenda: AgendaSession | None,
    direction: str,
    scanned_at: datetime,
    earlier: list[Checkin],
) -> tuple[CheckinResult, Checkin | None]:
    if registration is None:
        return CheckinResult.UNKNOWN_CODE, None
    if registration.event_id != event_id:
        return CheckinResult.WRONG_EVENT, None
    if agenda is not None and agenda.closed_at is not None and scanned_at >= agenda.closed_at:
        return CheckinResult.SESSION_CLOSED, None
    if not registration.state.is_active:
        return CheckinResult.CANCELLED, None
    if not registration.state.has_ticket:
        return CheckinResult.NOT_CONFIRMED, None
    first = _first(earlier, agenda.id if agenda else None, direction)
    if first is not None:
        return CheckinResult.ALREADY_CHECKED_IN, first
    return CheckinResult.OK, None


def _ok_rows(registration_id: int) -> list[Checkin]:
    """The registration's successful, not annulled check-ins, oldest first (read under lock)."""
    return list(
        db.session.scalars(
            select(Checkin)
            .where(
                Checkin.registration_id == registration_id,
                Checkin.status == CheckinResult.OK,
                Checkin.annulled_at.is_(None),
            )
            .options(joinedload(Checkin.staff_user))
            .order_by(Checkin.scanned_at, Checkin.id)
        )
    )


def _first(rows: list[Checkin], session_id: int | None, direction: str) -> Checkin | None:
    return next(
        (row for row in rows if row.session_id == session_id and row.direction == direction), None
    )


def _validate(source: str, direction: str, session_id: int | None, nonce: str | None) -> None:
    """What a scan must be, whoever asks: the rules of the record, not of a request's shape.

    The API's schema (summit/api/schemas.py) checks the same facts first, from these
    constants, to name the field in its 422; the desk posts its scans here unchecked.
    A nonce is the client's id of one scan, and ``<nonce>:entry`` names the entry a
    session scan adds, so a nonce is short and never contains ':'.
    """
    if source not in CHECKIN_SOURCES:
        raise InvalidScan(f"source must be one of: {', '.join(CHECKIN_SOURCES)}")
    if direction not in DIRECTIONS:
        raise InvalidScan("direction must be 'in' or 'out'")
    if direction == "out" and session_id is None:
        raise InvalidScan("check-out is per session: choose a session")
    if nonce is not None and not NONCE_PATTERN.fullmatch(nonce):
        raise InvalidScan(f"nonce must be {NONCE_RULE}")


def _scan_time(scanned_at: datetime | None, now: datetime) -> tuple[datetime, bool]:
    """When the scan happened, and whether it is an offline scan replayed later.

    A clock running ahead cannot move a scan into the future: it is recorded now.
    """
    if scanned_at is None:
        return now, False
    if scanned_at.tzinfo is None:
        raise InvalidScan("scanned_at needs a time zone (e.g. 2027-06-15T07:42:00Z)")
    if scanned_at > now + REPLAY_TOLERANCE:
        return now, False
    return scanned_at, scanned_at < now - REPLAY_TOLERANCE


def _registration_for(code: str) -> Registration | None:
    """The registration holding ``code`` with its person and tier, locked until commit."""
    if not code or len(code) > Registration.ticket_code.type.length:
        return None
    statement = (
        select(Registration)
        .where(Registration.ticket_code == code)
        .options(
            joinedload(Registration.person, innerjoin=True),
            joinedload(Registration.tier, innerjoin=True),
        )
    )
    return db.session.scalar(for_update(statement, of=Registration))


def _first_ok(registration_id: int, session_id: int | None, direction: str) -> Checkin | None:
    session_match = (
        Checkin.session_id.is_(None) if session_id is None else Checkin.session_id == session_id
    )
    return db.session.scalar(
        select(Checkin)
        .where(
            Checkin.registration_id == registration_id,
            session_match,
            Checkin.direction == direction,
            Checkin.status == CheckinResult.OK,
            Checkin.annulled_at.is_(None),
        )
        .options(joinedload(Checkin.staff_user))
        .order_by(Checkin.scanned_at, Checkin.id)
        .limit(1)
    )


def _by_nonce(scope: str, nonce: str) -> Checkin | None:
    return db.session.scalar(
        select(Checkin).where(Checkin.nonce_scope == scope, Checkin.nonce == nonce)
    )


def replay_mismatch(earlier: Checkin, again: Replay) -> str | None:
    """Why a scan that reuses ``earlier``'s nonce is not its replay, or None when it is.

    A replay repeats the scan exactly; anything else under the same nonce would be
    answered with someone else's result while the ticket scanned got no check-in.
    """
    if earlier.event_id != again.event_id:
        return "This nonce was already used for a scan at another event."
    if earlier.scanned_code != again.code:
        return "This nonce was already used for a scan of another ticket code."
    if earlier.session_id != again.session_id:
        return "This nonce was already used for a scan into another session."
    if earlier.direction != again.direction:
        return f"This nonce was already used for a check-{earlier.direction} scan."
    return None


def _answer_again(earlier: Checkin, again: Replay) -> ScanResult:
    """The first answer given to this nonce (a client retrying or replaying a scan).

    A scan that reuses the nonce for something else is refused (409) with the reason.
    """
    mismatch = replay_mismatch(earlier, again)
    if mismatch is not None:
        db.session.rollback()
        raise NonceConflict(f"{mismatch} Send each scan with a new nonce.")
    first = None
    if earlier.status == CheckinResult.ALREADY_CHECKED_IN and earlier.registration_id is not None:
        first = _first_ok(earlier.registration_id, earlier.session_id, earlier.direction)
    registration = earlier.registration
    db.session.commit()
    return ScanResult(earlier.status, earlier, registration, first, replayed=True)


def _session_of(event_id: int, session_id: int) -> AgendaSession:
    agenda = db.session.get(AgendaSession, session_id)
    if agenda is None or agenda.event_id != event_id:
        raise UnknownSession("There is no such session in this event.")
    return agenda


def find_checkin(event_id: int, key: str | int, *, scope: str = "") -> Checkin | None:
    """A check-in of this event by its id (number) or nonce (text).

    Nonces are unique per scanner, not per event: the one in ``scope`` (the asking
    desk's or token's own) comes first; another scanner's counts only when it is
    the only one, and several are a conflict (409) rather than a guess.
    """
    if isinstance(key, int):
        return db.session.scalar(
            select(Checkin).where(Checkin.id == key, Checkin.event_id == event_id)
        )
    rows = list(
        db.session.scalars(
            select(Checkin).where(Checkin.nonce == key, Checkin.event_id == event_id).limit(20)
        )
    )
    own = [row for row in rows if scope and row.nonce_scope == scope]
    if own or len(rows) <= 1:
        return (own or rows or [None])[0]
    raise NonceConflict("Several scanners used this nonce here: undo the check-in from the desk.")


@write_transaction()
def annul_checkin(
    event_id: int, key: str | int, *, staff: StaffUser | None, now: datetime | None = None
) -> Checkin:
    """Undo a successful check-in (by nonce or id) and the event entry that scan created.

    The rows stay, stamped as annulled by ``staff``; annulling twice changes nothing.
    """
    now = now or utcnow()
    staff_id = staff.id if staff is not None else None
    row = find_checkin(event_id, key, scope=nonce_scope(staff_id, None))
    if row is None:
        raise UnknownCheckin("There is no such check-in in this event.")
    if row.status != CheckinResult.OK:
        raise NotAnnullable("Only a successful check-in can be undone: this scan changed nothing.")
    rows = [row]
    if row.nonce and not row.nonce.endswith(":entry"):
        entry = _by_nonce(row.nonce_scope, f"{row.nonce}:entry")
        if entry is not None:
            rows.append(entry)
    changed = [item for item in rows if item.annulled_at is None]
    for item in changed:
        item.annulled_at = now
        item.annulled_by_id = staff_id
    if changed:
        audit.record(
            "checkin.annul",
            row,
            before={"status": row.status},
            after={"annulled": [item.nonce for item in changed]},
            actor=staff or "api",
        )
    return row


@write_transaction()
def close_session(
    event_id: int, session_id: int, *, staff: StaffUser | None, now: datetime | None = None
) -> AgendaSession:
    """Stop taking scans into a session; later scans answer ``session_closed``."""
    agenda = _session_of(event_id, session_id)
    if agenda.closed_at is None:
        agenda.closed_at = now or utcnow()
        audit.record(
            "session.close", agenda, after={"closed_at": agenda.closed_at.isoformat()}, actor=staff
        )
    return agenda


@write_transaction()
def reopen_session(event_id: int, session_id: int, *, staff: StaffUser | None) -> AgendaSession:
    agenda = _session_of(event_id, session_id)
    if agenda.closed_at is not None:
        audit.record(
            "session.reopen",
            agenda,
            before={"closed_at": agenda.closed_at.isoformat()},
            actor=staff,
        )
        agenda.closed_at = None
    return agenda


def walk_in(
    event_id: int,
    *,
    tier_slug: str,
    email: str,
    first_name: str,
    last_name: str,
    staff: StaffUser,
    agency: str = "",
    phone: str = "",
    job_title: str = "",
    nonce: str | None = None,
) -> ScanResult:
    """Register someone at the desk with the normal registration rules, then check them in.

    A fee tier leaves the person awaiting payment, so the scan answers
    ``not_confirmed`` until staff record the payment; someone already registered
    keeps their registration and is simply checked in.
    """
    result = register_attendee(
        event_id,
        tier_slug=tier_slug,
        email=email,
        first_name=first_name,
        last_name=last_name,
        agency=agency,
        phone=phone,
        job_title=job_title,
        actor=staff,
        at_the_door=True,
    )
    code = result.registration.ticket_code
    return check_in(event_id, code, staff=staff, source="walk_in", nonce=nonce)


def matching(statement, query: str):
    """``statement`` (joined to Person) narrowed to people matching every word of ``query``."""
    for word in printable(query).lower().split()[:5]:
        statement = statement.where(
            or_(
                *(
                    contains(column, word[:100])
                    for column in (Person.first_name, Person.last_name, Person.email, Person.agency)
                )
            )
        )
    return statement


def search_registrations(event_id: int, query: str, *, limit: int = 20) -> list[Registration]:
    """Registrations of this event whose name, email or agency contain every word typed."""
    if not printable(query).split():
        return []
    statement = (
        select(Registration)
        .join(Person, Registration.person_id == Person.id)
        .where(Registration.event_id == event_id)
    )
    statement = (
        matching(statement, query)
        .order_by(
            (Registration.state == RegistrationState.CANCELLED),
            Person.last_name,
            Person.first_name,
            Registration.id,
        )
        .limit(limit)
    )
    return list(db.session.scalars(statement))


def entries(
    event_id: int, registration_ids: list[int], session_id: int | None = None, direction: str = "in"
) -> dict[int, Checkin]:
    """The first successful check-in (event entry, or into ``session_id``) per registration."""
    if not registration_ids:
        return {}
    session_match = (
        Checkin.session_id.is_(None) if session_id is None else Checkin.session_id == session_id
    )
    rows = db.session.scalars(
        select(Checkin)
        .where(
            Checkin.event_id == event_id,
            Checkin.registration_id.in_(registration_ids),
            session_match,
            Checkin.direction == direction,
            Checkin.status == CheckinResult.OK,
            Checkin.annulled_at.is_(None),
        )
        .order_by(Checkin.scanned_at.desc(), Checkin.id.desc())
    )
    return {row.registration_id: row for row in rows}


def departures(event_id: int, registration_ids: list[int], session_id: int) -> dict[int, Checkin]:
    """The first check-out from ``session_id`` per registration."""
    return entries(event_id, registration_ids, session_id, direction="out")


def live_counts(event_id: int) -> dict[str, Any]:
    """Checked in against confirmed, and the people in each session: the live dashboard."""
    confirmed = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event_id, Registration.state == RegistrationState.CONFIRMED
        )
    )
    counted = and_(
        Checkin.event_id == event_id,
        Checkin.status == CheckinResult.OK,
        Checkin.direction == "in",
        Checkin.annulled_at.is_(None),
    )
    per_session = dict(
        db.session.execute(
            select(Checkin.session_id, func.count(func.distinct(Checkin.registration_id)))
            .where(counted)
            .group_by(Checkin.session_id)
        ).all()
    )
    sessions = db.session.scalars(
        select(AgendaSession)
        .where(AgendaSession.event_id == event_id)
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    )
    return {
        "checked_in": per_session.get(None, 0),
        "confirmed": confirmed or 0,
        "sessions": [
            {
                "id": agenda.id,
                "title": agenda.title,
                "room": agenda.room,
                "count": per_session.get(agenda.id, 0),
                "closed": agenda.closed_at is not None,
            }
            for agenda in sessions
        ],
    }
