"""Parallel scanners: exactly one check-in per ticket, never a lost scan, never a 500."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from summit.checkin.services import check_in
from summit.extensions import db
from summit.models import Checkin, Person, Registration, StaffUser

TICKETS = 100
SCANNERS = 8


def _tickets(event, count):
    people = [
        Person(email=f"p{n}@wsp.example", first_name="Sam", last_name=f"Trooper{n}")
        for n in range(count)
    ]
    registrations = [
        Registration(
            event=event,
            person=person,
            tier=event.tiers[0],
            state="confirmed",
            ticket_code=f"PAR{n:029d}".replace("0", "A").replace("1", "B"),
        )
        for n, person in enumerate(people)
    ]
    db.session.add_all(registrations)
    db.session.commit()
    return [registration.ticket_code for registration in registrations]


def test_two_desks_scanning_one_ticket_at_once_give_one_check_in_and_one_already(
    app, make_event, make_staff
):
    event = make_event()
    staff_id = make_staff("checkin").id
    event_id = event.id
    codes = _tickets(event, 20)
    db.session.remove()

    def scan(code):
        with app.app_context():
            staff = db.session.get(StaffUser, staff_id)
            status = check_in(event_id, code, staff=staff, source="scanner").status
            db.session.remove()
            return status

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = [sorted(pool.map(scan, [code, code])) for code in codes]
    assert all(pair == ["already_checked_in", "ok"] for pair in answers)


def test_eight_scanners_on_the_same_hundred_tickets_check_in_each_exactly_once(app, make_event):
    event = make_event()
    event_id = event.id
    codes = _tickets(event, TICKETS)
    session_id = event.sessions[0].id
    db.session.remove()

    def scanner(n):
        statuses = []
        with app.app_context():
            order = codes[n * 13 % TICKETS :] + codes[: n * 13 % TICKETS]
            kwargs = {"session_id": session_id} if n % 2 else {}  # half at the door, half in a room
            for code in order:
                statuses.append(check_in(event_id, code, staff=None, source="api", **kwargs))
            db.session.remove()
        return [result.status for result in statuses]

    with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
        answers = [status for result in pool.map(scanner, range(SCANNERS)) for status in result]

    assert len(answers) == SCANNERS * TICKETS
    assert set(answers) <= {"ok", "already_checked_in"}
    ok_rows = db.session.execute(
        select(Checkin.session_id, func.count(), func.count(func.distinct(Checkin.registration_id)))
        .where(Checkin.event_id == event_id, Checkin.status == "ok")
        .group_by(Checkin.session_id)
    ).all()
    by_session = {session: (total, distinct) for session, total, distinct in ok_rows}
    assert by_session[None] == (TICKETS, TICKETS)  # event entry: one per ticket
    assert by_session[session_id] == (TICKETS, TICKETS)  # the session: one per ticket
    scans = db.session.scalar(
        select(func.count()).select_from(Checkin).where(Checkin.nonce.not_like("%:entry"))
    )
    assert scans == SCANNERS * TICKETS  # every scan kept, none lost
