from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from summit.curricula import SEED_PAGE_CODE, STATUTE_CODE, SUBJECTS
from summit.demo import seed_demo
from summit.extensions import db
from summit.models import Event, Person, Registration, Topic


def test_both_curricula_are_shipped_with_their_own_wording(curricula):
    seed_list = curricula[SEED_PAGE_CODE]
    assert seed_list.name == "ESD 105 S5 units, 12-unit list"
    assert len(seed_list.items) == 12
    assert seed_list.items[0].title == "Constitution & Civil Rights of Children in School"
    statute = curricula[STATUTE_CODE]
    assert statute.statute_reference == "RCW 28A.310.515(2)"
    assert statute.is_statutory and not seed_list.is_statutory
    assert {t.code for t in statute.topics} == {s.code for s in SUBJECTS}
    assert all(item.statute_text for item in statute.items)


def test_a_topic_is_one_row_shared_by_both_curricula(curricula):
    seed_topics = {t.id for t in curricula[SEED_PAGE_CODE].topics}
    statute_topics = {t.id for t in curricula[STATUTE_CODE].topics}
    assert seed_topics < statute_topics  # the statute list adds to the seed page's
    added = db.session.scalars(select(Topic).where(Topic.id.in_(statute_topics - seed_topics)))
    assert [t.code for t in added] == ["restorative-justice"]


def test_curricula_seeding_is_idempotent(curricula):
    from summit.curricula import ensure_curricula

    again = ensure_curricula()
    assert again[SEED_PAGE_CODE].id == curricula[SEED_PAGE_CODE].id
    assert db.session.query(Topic).count() == len(SUBJECTS)


def test_demo_event_is_next_june_in_yakima_with_both_tiers_and_every_topic(app):
    event = seed_demo(today=datetime(2026, 11, 28).date())
    assert event.slug == "s5-2027"
    assert (event.starts_on.year, event.starts_on.month) == (2027, 6)
    assert "Yakima" in event.venue_address
    tiers = {t.name: t.price_cents for t in event.tiers}
    assert tiers == {
        "SRO (commissioned law enforcement officer)": 0,
        "Security and other school safety staff": 5000,
    }
    taught = {}
    for session in event.sessions:
        for st in session.topics:
            taught[st.topic_id] = taught.get(st.topic_id, 0) + st.minutes
    for topic in event.curriculum.topics:
        assert taught.get(topic.id, 0) >= event.required_minutes(topic), topic.code
    assert any(not s.topics for s in event.sessions), "lunch and networking teach no topic"
    assert seed_demo(today=datetime(2026, 11, 28).date()).id == event.id


def test_person_email_must_be_stored_lower_case(app):
    db.session.add(Person(email="Officer@YPD.example", first_name="A", last_name="B"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_person_email_is_unique(make_person):
    make_person(email="same@ypd.example")
    with pytest.raises(IntegrityError):
        make_person(email="same@ypd.example")
    db.session.rollback()


def test_one_active_registration_per_person_per_event(make_event, make_person, make_registration):
    event, person = make_event(), make_person()
    first = make_registration(event=event, person=person)
    with pytest.raises(IntegrityError):
        make_registration(event=event, person=person, state="waitlisted")
    db.session.rollback()
    first = db.session.get(Registration, first.id)
    first.state = "cancelled"
    db.session.commit()
    again = make_registration(event=event, person=person)
    assert again.id != first.id


def test_registration_state_is_checked_by_the_database(make_registration):
    with pytest.raises(IntegrityError):
        make_registration(state="maybe")
    db.session.rollback()


def test_timestamps_come_back_as_aware_utc(make_event):
    opens = datetime(2027, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=-8)))
    event = make_event(registration_opens_at=opens)
    event_id = event.id
    db.session.expire_all()
    loaded = db.session.get(Event, event_id)
    assert loaded.registration_opens_at == opens
    assert loaded.registration_opens_at.tzinfo == UTC
    assert loaded.created_at.tzinfo == UTC


def test_naive_datetimes_are_refused(make_event):
    with pytest.raises(Exception, match="naive datetime"):
        make_event(registration_opens_at=datetime(2027, 1, 5, 8, 0))
    db.session.rollback()
