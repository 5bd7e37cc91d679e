"""The training record: summit credit and accepted self-training per topic, across years."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from summit.curricula import SEED_PAGE_CODE
from summit.extensions import db
from summit.models import (
    Curriculum,
    SessionTopic,
    Topic,
    TrainingResource,
    utcnow,
)
from summit.training.record import add_months, training_record
from summit.training.resources import BadURL, check_url, seed_training_resources
from summit.training.services import review_entry
from tests.helpers import (
    accepted,
    attend,
    check_in_training,
    hold_event_on,
    hold_on,
    log,
    on_the_job,
    text,
)


@pytest.fixture
def reviewer(make_staff):
    return make_staff("admin")


def topic_id(code: str) -> int:
    return db.session.scalar(select(Topic.id).where(Topic.code == code))


def test_nothing_done_means_every_topic_of_the_statute_list_missing(make_person, statute):
    record = training_record(make_person())
    assert [t.topic_id for t in record.topics] == [item.topic_id for item in statute.items]
    assert all(t.status == "missing" and t.minutes == 0 for t in record.topics)
    assert record.done_count == 0 and not record.classroom_done and record.basis is None
    assert record.curriculum_name == statute.name


def test_the_configured_curriculum_decides_the_topic_list(make_app, make_person, curricula):
    app = make_app(TRAINING_CURRICULUM=SEED_PAGE_CODE)
    with app.app_context():
        seed = db.session.scalar(select(Curriculum).where(Curriculum.code == SEED_PAGE_CODE))
        person = make_person()
        record = training_record(person)
        assert [t.topic_id for t in record.topics] == [item.topic_id for item in seed.items]
        assert [t.title for t in record.topics] == [item.title for item in seed.items]


def test_two_events_in_different_years_and_self_training_combine_per_topic(
    make_event, make_registration, make_person, curricula, statute, desk, reviewer
):
    """2024 summit on the 12-area list, 2025 summit on the statute list, plus self-training."""
    person = make_person()
    seed_list = curricula[SEED_PAGE_CODE]
    old = make_event(starts_on=date(2024, 6, 18), curriculum=seed_list)
    new = make_event(starts_on=date(2025, 6, 17), curriculum=statute)
    hold_event_on(old, old.starts_on)
    hold_event_on(new, new.starts_on)
    # In 2024, civil rights was taught on the first day, de-escalation on the second.
    hold_on(session_on(old, "civil-rights"), date(2024, 6, 18), hour=8)
    hold_on(session_on(old, "de-escalation"), date(2024, 6, 19), hour=8)
    db.session.commit()
    # The 2025 session on trauma taught only 30 minutes of it.
    trauma = topic_id("trauma")
    short = next(s for s in new.sessions if s.topics[0].topic_id == trauma)
    db.session.get(SessionTopic, short.topics[0].id).minutes = 30
    db.session.commit()

    attend(
        make_registration(event=old, person=person),
        topics={topic_id("civil-rights"), topic_id("de-escalation")},
        staff=desk,
    )
    attend(
        make_registration(event=new, person=person),
        topics={topic_id("civil-rights"), trauma},
        staff=desk,
    )
    accepted(person, trauma, reviewer, minutes=30, completed_on=date(2025, 8, 1))
    accepted(
        person, topic_id("restorative-justice"), reviewer, minutes=60, completed_on=date(2025, 9, 2)
    )
    log(person, topic_id("ferpa"), 60)  # submitted, not reviewed
    returned = log(person, topic_id("restraint"), 60)
    review_entry(returned, staff=reviewer, accept=False, comment="The link is a news article.")

    record = training_record(person, today=date(2025, 10, 1))
    civil = record.for_topic(topic_id("civil-rights"))
    assert civil.status == "done"
    assert [s.event_name for s in civil.summit] == [old.name, new.name]
    # dated by the session that completed it, not by the event's last day
    assert civil.summit_minutes == 120 and civil.completed_on == date(2024, 6, 18)
    assert [(s.day, s.minutes) for s in civil.summit[0].sessions] == [(date(2024, 6, 18), 60)]

    deesc = record.for_topic(topic_id("de-escalation"))
    assert deesc.status == "done" and deesc.completed_on == date(2024, 6, 19)  # 12-area credit

    trauma_row = record.for_topic(trauma)
    assert (trauma_row.summit_minutes, trauma_row.self_minutes) == (30, 30)
    assert trauma_row.status == "done" and trauma_row.completed_on == date(2025, 8, 1)

    restorative = record.for_topic(topic_id("restorative-justice"))
    assert restorative.status == "done" and restorative.summit == ()

    ferpa = record.for_topic(topic_id("ferpa"))
    assert ferpa.status == "missing" and len(ferpa.pending) == 1 and ferpa.minutes == 0
    assert record.for_topic(topic_id("restraint")).status == "missing"  # returned: not counted

    assert record.done_count == 4
    assert [e.event_name for e in record.events] == [old.name, new.name]
    assert record.pending_count == 1


def session_on(event, code: str):
    return next(s for s in event.sessions if s.topics[0].topic_id == topic_id(code))


def test_a_subject_is_dated_by_the_session_that_completed_it(
    make_event, make_registration, make_person, statute, desk, reviewer
):
    """Two 30-minute sessions on two days complete a subject on the second day; a running
    total across summit sessions and self-training is dated where it reached the minimum."""
    person = make_person()
    event = make_event(starts_on=date(2025, 6, 17))
    hold_event_on(event, event.starts_on)
    split = session_on(event, "trauma")
    second = session_on(event, "development")
    db.session.get(SessionTopic, split.topics[0].id).minutes = 30
    second.topics.append(SessionTopic(topic_id=topic_id("trauma"), minutes=30))
    hold_on(split, date(2025, 6, 17), hour=8)
    hold_on(second, date(2025, 6, 18), hour=8)
    short = session_on(event, "ferpa")
    db.session.get(SessionTopic, short.topics[0].id).minutes = 20
    hold_on(short, date(2025, 6, 17), hour=10)
    db.session.commit()
    attend(make_registration(event=event, person=person), staff=desk)
    accepted(person, topic_id("ferpa"), reviewer, minutes=40, completed_on=date(2025, 7, 4))

    record = training_record(person, today=date(2025, 8, 1))
    trauma = record.for_topic(topic_id("trauma"))
    assert [(s.day, s.minutes) for s in trauma.summit[0].sessions] == [
        (date(2025, 6, 17), 30),
        (date(2025, 6, 18), 30),
    ]
    assert trauma.completed_on == date(2025, 6, 18)  # the day of the second 30 minutes
    assert record.for_topic(topic_id("development")).completed_on == date(2025, 6, 18)
    civil_rights = record.for_topic(topic_id("civil-rights"))
    assert civil_rights.completed_on == date(2025, 6, 17) != event.ends_on
    assert record.for_topic(topic_id("ferpa")).completed_on == date(2025, 7, 4)


def test_a_topic_short_of_the_event_requirement_and_the_minimum_stays_missing(
    make_registration, make_person, statute, desk
):
    person = make_person()
    registration = make_registration(person=person)
    first = registration.event.sessions[0]
    db.session.get(SessionTopic, first.topics[0].id).minutes = 20
    db.session.commit()
    attend(registration, topics={first.topics[0].topic_id}, staff=desk)
    row = training_record(person).for_topic(first.topics[0].topic_id)
    assert (row.status, row.minutes, row.missing_minutes) == ("missing", 20, 40)


def test_required_minutes_come_from_config(make_app, make_person, curricula, reviewer):
    app = make_app(TRAINING_REQUIRED_MINUTES=90)
    with app.app_context():
        person = make_person()
        trauma = topic_id("trauma")
        accepted(person, trauma, reviewer, minutes=60)
        row = training_record(person).for_topic(trauma)
        assert (row.status, row.required) == ("missing", 90)
        accepted(person, trauma, reviewer, minutes=30, completed_on=date(2024, 4, 1))
        assert training_record(person).for_topic(trauma).status == "done"


# --- deadlines (RCW 28A.400.345) -----------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_last_day_of_a_short_month():
    assert add_months(date(2025, 1, 15), 6) == date(2025, 7, 15)
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2025, 3, 1), 12) == date(2026, 3, 1)


def test_no_start_date_means_no_due_dates(make_person, statute):
    record = training_record(make_person())
    assert all(c.due_on is None and not c.overdue for c in record.components)


def test_classroom_deadline_is_six_months_and_overdue_when_topics_missing(make_person, statute):
    person = make_person(assignment_started_on=date(2025, 1, 10), role_type="sro")
    record = training_record(person, today=date(2025, 7, 10))
    deadlines = {c.key: c for c in record.components}
    assert set(deadlines) == {"classroom", "on_the_job"}  # an SRO has two components
    assert deadlines["classroom"].due_on == date(2025, 7, 10)
    assert not deadlines["classroom"].overdue
    later = {c.key: c for c in training_record(person, today=date(2025, 7, 11)).components}
    assert later["classroom"].overdue and not later["on_the_job"].overdue
    assert later["on_the_job"].due_on == date(2026, 1, 10)


def test_first_year_on_the_job_days_and_check_in_trainings_for_non_sros(
    make_person, statute, reviewer
):
    person = make_person(assignment_started_on=date(2024, 2, 1), role_type="security")
    for day in (date(2024, 3, 4), date(2024, 3, 4), date(2024, 5, 6)):
        on_the_job(person, reviewer, day)
    for n in range(5):
        check_in_training(person, reviewer, date(2024, 4, 1 + n))
    components = {c.key: c for c in training_record(person, today=date(2025, 3, 1)).components}
    assert components["on_the_job"].done == 2 and components["on_the_job"].met  # distinct days
    assert components["on_the_job"].met_on == date(2024, 5, 6)
    assert [o.school for o in components["on_the_job"].occasions] == ["Eisenhower High School"] * 2
    assert components["check_in_training"].done == 5 and components["check_in_training"].overdue
    check_in_training(person, reviewer, date(2025, 2, 20))
    late = {c.key: c for c in training_record(person, today=date(2025, 3, 1)).components}
    assert late["check_in_training"].met and late["check_in_training"].late


# --- resources ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "example.org",
        "ftp://example.org/x",
        "javascript:alert(1)",
        "https://",
        "http:// x.org",
        "data:text/html,hi",
        "//example.org/x",
        "",
        "https://[::1",
        "https://[not-an-address]/x",
    ],
)
def test_resource_links_must_be_http_urls(url):
    with pytest.raises(BadURL):
        check_url(url)


def test_good_links_pass():
    assert check_url(" https://www.nasro.org/ ") == "https://www.nasro.org/"
    assert check_url("http://example.org/a?b=c") == "http://example.org/a?b=c"


def test_seeding_resources_is_idempotent_and_fills_summaries(app, statute):
    seed_training_resources()
    seed_training_resources()
    resources = db.session.scalars(select(TrainingResource)).all()
    urls = {r.url for r in resources}
    assert len(resources) == 5 and all(r.topic_id is None for r in resources)
    assert "https://www.nasro.org/" in urls
    assert "https://www.esd105.org/student-support/ssocc/s5" in urls
    assert "https://www.waesd.org/services/safety/training/" in urls
    assert any("ospi.k12.wa.us" in url for url in urls)
    wsso = next(r for r in resources if "WSSO" in r.title)
    assert wsso.url == ""  # not invented: staff confirm it
    assert all(item.topic.summary for item in statute.items)


def test_the_demo_seed_adds_the_resources(app):
    from summit.demo import seed_demo

    seed_demo()
    seed_demo()
    assert len(db.session.scalars(select(TrainingResource)).all()) == 5


def test_resources_page_lists_every_topic_with_its_statute_and_the_links(client, statute):
    seed_training_resources()
    nasro = db.session.scalar(select(TrainingResource).where(TrainingResource.provider == "NASRO"))
    nasro.last_checked_at = utcnow()
    db.session.commit()
    response = client.get("/training")
    assert response.status_code == 200
    page = text(response)
    for item in statute.items:
        assert item.statute_reference in page
    assert page.count('class="card shadow-sm mb-3"') == len(statute.items)
    assert "https://www.nasro.org/" in page
    assert "link checked by ESD staff on" in page
    assert "link not yet checked by ESD staff" in page
    assert "link to be confirmed by ESD staff" in page
    assert "Restorative justice" in page
