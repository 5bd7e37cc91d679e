"""No oversell by moves either: many staff moving people into a tier's last seats at once,
with real parallel connections (SQLite's write lock, PostgreSQL's row lock on the event)."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from summit.extensions import db
from summit.models import Person, Registration
from summit.registration.errors import TierFull
from summit.registration.services import move_to_tier

MOVERS = 12
SEATS = 3


def test_parallel_moves_never_overfill_a_tier(app, make_event):
    event = make_event()
    free, fee = event.tiers
    fee.capacity = SEATS
    registrations = [
        Registration(
            event=event,
            person=Person(email=f"m{n}@wsp.example", first_name="Sam", last_name=f"Mover{n}"),
            tier=free,
            state="confirmed",
            ticket_code=f"MOV{n:029d}".replace("0", "A").replace("1", "B"),
        )
        for n in range(MOVERS)
    ]
    db.session.add_all(registrations)
    db.session.commit()
    ids, fee_id, event_id = [r.id for r in registrations], fee.id, event.id
    db.session.remove()

    def move(registration_id: int) -> str:
        with app.app_context():
            registration = db.session.get(Registration, registration_id)
            try:
                move_to_tier(registration, fee_id, actor="system")
            except TierFull:
                return "full"
            return "moved"

    with ThreadPoolExecutor(max_workers=MOVERS) as pool:
        answers = list(pool.map(move, ids))

    assert answers.count("moved") == SEATS
    assert answers.count("full") == MOVERS - SEATS
    in_fee_tier = db.session.scalar(
        select(func.count()).where(
            Registration.event_id == event_id, Registration.tier_id == fee_id
        )
    )
    assert in_fee_tier == SEATS
