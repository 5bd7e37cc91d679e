"""The task queue: what runs by itself and when, and ``flask --app summit worker``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from summit.checks import OK, WARN, check_queue
from summit.extensions import db
from summit.mail import queue_registration_email
from summit.mail.tasks import deliver_due_mail, queue_daily_reminders
from summit.models import OutboxMessage, utcnow
from summit.queue import HEARTBEAT_KEY, consumer_heartbeat, queue_of
from summit.registration.services import cancel_registration, register_attendee
from summit.registration.tasks import expire_lapsed_offers
from tests.helpers import Server


def test_periodic_work_runs_on_its_schedule(app):
    """Mail every minute, offers every 5 minutes, reminders at 15:00 UTC (08:00 Pacific)."""
    at = lambda hour, minute: datetime(2027, 6, 1, hour, minute, tzinfo=UTC)  # noqa: E731
    assert deliver_due_mail.schedule(at(3, 17))
    assert expire_lapsed_offers.schedule(at(3, 15))
    assert not expire_lapsed_offers.schedule(at(3, 17))
    assert queue_daily_reminders.schedule(at(15, 0))
    assert not queue_daily_reminders.schedule(at(16, 0))
    huey = queue_of(app).huey
    periodic = {task.__name__ for task in huey._registry._periodic_tasks}
    assert periodic == {
        "mail.tasks.deliver_due_mail",
        "mail.tasks.queue_daily_reminders",
        "registration.tasks.expire_lapsed_offers",
        "queue.consumer_heartbeat",
    }


def registered(event, n: int):
    return register_attendee(
        event.id,
        tier_slug="sro",
        email=f"officer{n}@yakimapd.example",
        first_name="Dana",
        last_name=f"Reyes{n}",
        phone="+1 509-555-0105",
        agency="Yakima Police Department",
        job_title="School Resource Officer",
        school_district="Yakima SD",
    ).registration


def test_the_offer_task_passes_a_lapsed_offer_on_without_a_visit(app, make_event):
    event = make_event(capacity=1)
    holder, first, second = (registered(event, n) for n in range(3))
    cancel_registration(holder, actor="attendee")
    db.session.expire_all()
    first.offer_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()

    with app.app_context():
        expire_lapsed_offers.enqueue()

    db.session.expire_all()
    assert (first.state, second.state) == ("cancelled", "offered")


def test_the_reminder_task_queues_each_reminder_once(app, make_upcoming_event, make_registration):
    event = make_upcoming_event(starts_on=utcnow().date() + timedelta(days=3))
    registration = make_registration(event=event)
    with app.app_context():
        queue_daily_reminders.enqueue()
        queue_daily_reminders.enqueue()
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.registration_id == registration.id)
    ).all()
    assert kinds == ["reminder"]


def test_the_worker_command_runs_queued_work_and_stops_on_sigterm(app, make_registration, tmp_path):
    """Production's consumer as its own process: it sends what is due, then stops cleanly."""
    smtp = Server()
    smtp.start()
    registration = make_registration()
    queue_registration_email(registration, "confirmed")
    db.session.commit()
    recipient = registration.person.email
    db.session.remove()
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SUMMIT_INSTANCE_PATH": str(tmp_path),
        "SUMMIT_MAIL_SERVER": "127.0.0.1",
        "SUMMIT_MAIL_PORT": str(smtp.port),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "summit", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not smtp.messages and time.monotonic() < deadline:  # the first minute pass
            time.sleep(0.1)
        assert [message["To"] for message in smtp.messages] == [recipient]
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=20)[0]
    finally:
        if worker.poll() is None:
            worker.kill()
        smtp.stop()
    assert worker.returncode == 0, output
    assert "Task consumer: 2 worker threads, SQLite queue" in output
    assert (tmp_path / "tasks.sqlite3").exists()


def test_the_worker_refuses_to_run_in_immediate_mode(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code != 0
    assert "QUEUE_IMMEDIATE is on" in result.output


def test_a_queue_that_cannot_be_reached_never_fails_a_registration(make_app, make_event):
    """The outbox row is written with the registration; the minute pass sends it later."""
    slug = make_event().slug
    app = make_app(
        MAIL_DELIVER_AFTER_REQUEST=True, QUEUE_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:1/0"
    )
    response = app.test_client().post(
        f"/events/{slug}/register",
        data={
            "first_name": "Dana",
            "last_name": "Reyes",
            "email": "dana.reyes@yakimapd.example",
            "phone": "(509) 555-0105",
            "agency": "Yakima Police Department",
            "job_title": "School Resource Officer",
            "tier": "sro",
            "school_district": "Yakima SD",
        },
    )
    assert response.status_code == 303
    db.session.rollback()
    assert db.session.scalars(select(OutboxMessage.status)).all() == ["pending"]


def test_flask_check_says_whether_a_consumer_runs(make_app, tmp_path):
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_FILE=str(tmp_path / "tasks.sqlite3"))
    assert check_queue(app).level == WARN
    assert "no consumer has run" in check_queue(app).text

    with app.app_context():
        consumer_heartbeat()  # what a consumer does each minute
    assert check_queue(app).level == OK

    queue_of(app).huey.put(HEARTBEAT_KEY, time.time() - 600)
    finding = check_queue(app)
    assert finding.level == WARN and "last seen 10 min ago" in finding.text

    unreachable = make_app(QUEUE_IMMEDIATE=False, REDIS_URL="redis://127.0.0.1:1/0")
    assert "cannot reach its Redis storage" in check_queue(unreachable).text
