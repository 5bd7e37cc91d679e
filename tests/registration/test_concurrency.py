"""No oversell: many people registering at the same moment, with real parallel connections."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from summit.extensions import db
from summit.models import Registration
from summit.registration.services import register_attendee

PEOPLE = 200
SEATS = 50


def test_parallel_registrations_never_exceed_capacity(app, make_event):
    event_id = make_event(capacity=SEATS).id
    db.session.remove()

    def register(n: int) -> str:
        with app.app_context():
            result = register_attendee(
                event_id,
                tier_slug="sro",
                email=f"officer{n}@wsp.example",
                first_name="Sam",
                last_name=f"Trooper{n}",
                agency="Washington State Patrol",
            )
            return result.registration.state

    with ThreadPoolExecutor(max_workers=16) as pool:
        states = list(pool.map(register, range(PEOPLE)))

    assert states.count("confirmed") == SEATS
    assert states.count("waitlisted") == PEOPLE - SEATS
    counts = dict(
        db.session.execute(
            select(Registration.state, func.count())
            .where(Registration.event_id == event_id)
            .group_by(Registration.state)
        ).all()
    )
    assert counts == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
