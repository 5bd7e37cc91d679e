"""Topic credit from attended sessions: one rule for the portal, the matrix and certificates."""

from summit.checkin.credit import credit_minutes, event_credit
from summit.checkin.services import annul_checkin
from summit.extensions import db
from summit.models import SessionTopic, TopicRequirement
from tests.helpers import scan


def test_no_attendance_means_no_credit_on_every_curriculum_topic(make_registration):
    registration = make_registration()
    credit = credit_minutes(registration)
    topics = registration.event.curriculum.items
    assert [t.topic_id for t in credit.topics] == [item.topic_id for item in topics]
    assert credit.total_minutes == 0 and credit.complete_topics == 0 and not credit.is_complete
    assert credit.required_minutes == 60 * len(topics)


def test_attending_a_session_credits_its_topics_once(make_registration, desk):
    registration = make_registration()
    session = registration.event.sessions[0]
    topic_id = session.topics[0].topic_id
    scan(registration, session, desk)
    scan(registration, session, desk)  # "already in": no second credit

    credit = credit_minutes(registration)
    assert credit.for_topic(topic_id).minutes == 60 and credit.for_topic(topic_id).complete
    assert credit.total_minutes == 60 and credit.complete_topics == 1
    assert credit.sessions_attended == 1


def test_attending_every_session_completes_the_curriculum(make_registration, desk):
    registration = make_registration()
    for session in registration.event.sessions:
        scan(registration, session, desk)
    credit = credit_minutes(registration)
    assert credit.is_complete and credit.complete_topics == len(credit.topics)


def test_annulled_and_refused_scans_earn_nothing(make_registration, desk, make_person):
    registration = make_registration()
    session = registration.event.sessions[0]
    scan(registration, session, desk, nonce="oops")
    annul_checkin(registration.event_id, "oops", staff=desk)
    cancelled = make_registration(event=registration.event, person=make_person(), state="cancelled")
    scan(cancelled, session, desk)
    assert credit_minutes(registration).total_minutes == 0
    assert credit_minutes(cancelled).total_minutes == 0


def test_required_minutes_can_be_raised_per_topic(make_registration, desk):
    registration = make_registration()
    event = registration.event
    session = event.sessions[0]
    topic = session.topics[0].topic
    db.session.add(TopicRequirement(event=event, topic=topic, required_minutes=90))
    db.session.commit()
    scan(registration, session, desk)
    credit = credit_minutes(registration).for_topic(topic.id)
    assert (credit.minutes, credit.required, credit.complete, credit.missing) == (60, 90, False, 30)


def test_a_session_teaching_two_topics_credits_each(make_registration, desk):
    registration = make_registration()
    event = registration.event
    session = event.sessions[0]
    other_topic = event.sessions[1].topics[0].topic
    session.topics[0].minutes = 30
    session.topics.append(SessionTopic(topic=other_topic, minutes=30))
    db.session.commit()
    scan(registration, session, desk)
    credit = credit_minutes(registration)
    assert credit.for_topic(session.topics[0].topic_id).minutes == 30
    assert credit.for_topic(other_topic.id).minutes == 30


def test_actual_minutes_mode_credits_the_time_between_check_in_and_out(
    make_event, make_registration, make_person, desk
):
    event = make_event(credit_mode="actual_minutes")
    session = event.sessions[0]
    topic_id = session.topics[0].topic_id

    early_and_stays = make_registration(event=event, person=make_person())
    late_and_leaves = make_registration(event=event, person=make_person())
    no_check_out = make_registration(event=event, person=make_person())
    scan(early_and_stays, session, desk, at=-10)
    scan(early_and_stays, session, desk, direction="out", at=70)
    scan(late_and_leaves, session, desk, at=15)
    scan(late_and_leaves, session, desk, direction="out", at=45)
    scan(no_check_out, session, desk, at=30)

    credits = event_credit(event, [early_and_stays, late_and_leaves, no_check_out])
    assert credits[early_and_stays.id].for_topic(topic_id).minutes == 60
    assert credits[late_and_leaves.id].for_topic(topic_id).minutes == 30
    assert credits[no_check_out.id].for_topic(topic_id).minutes == 30
    assert credit_minutes(late_and_leaves) == credits[late_and_leaves.id]


def test_full_session_mode_ignores_check_out(make_registration, desk):
    registration = make_registration()
    session = registration.event.sessions[0]
    scan(registration, session, desk, at=50)
    scan(registration, session, desk, direction="out", at=55)
    assert credit_minutes(registration).total_minutes == 60


def test_the_matrix_is_scoped_to_its_event(make_registration, desk):
    here = make_registration()
    elsewhere = make_registration()
    scan(elsewhere, elsewhere.event.sessions[0], desk)
    assert set(event_credit(here.event, [here, elsewhere])) == {here.id}
