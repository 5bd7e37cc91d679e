"""When mail leaves: on the task queue, right after the request that queued it commits.

A real HTTP server, a real SMTP server (aiosmtpd) and the queue's consumer running in
threads of the test process (as ``flask --app summit demo`` runs it), because the
point is what happens after the response has gone, and that a mail server that
hangs cannot hold a request.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from summit.extensions import db, mail
from summit.mail import deliver_all, queue_person_email, queue_registration_email
from summit.mail.tasks import deliver_due_mail
from summit.models import OutboxMessage
from summit.queue import queue_of, start_consumer
from summit.transactions import write_transaction
from tests.helpers import Server, add_send_link_route


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server
    server.stop()


def queued_app(make_app, tmp_path, smtp_port: int, **overrides):
    """The app as a server runs it: delivery handed to a real queue, real SMTP."""
    settings = {
        "MAIL_DELIVER_AFTER_REQUEST": True,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT": 5,
        "QUEUE_IMMEDIATE": False,
        "QUEUE_FILE": str(tmp_path / f"tasks-{uuid.uuid4().hex}.sqlite3"),
    }
    return make_app(**(settings | overrides))


@pytest.fixture
def live_app(make_app, tmp_path, smtp):
    return queued_app(make_app, tmp_path, smtp.port)


@pytest.fixture
def consumer(live_app):
    stop = start_consumer(live_app)
    yield
    stop()


def serve(app, *, threaded: bool = True):
    """Serve ``app`` on a free port; ``threaded=False`` is one request at a time, like a
    gunicorn sync worker. Returns the base URL and a function that stops it."""
    server = make_server("127.0.0.1", 0, app, threaded=threaded)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_port}", stop


@pytest.fixture
def live_server(live_app):
    url, stop = serve(live_app)
    yield url
    stop()


def wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def register(base_url: str, event, email: str) -> float:
    """Post the public registration form; the seconds until the answer came."""
    form = {
        "first_name": "Dana",
        "last_name": "Reyes",
        "email": email,
        "phone": "(509) 555-0105",
        "agency": "Yakima Police Department",
        "job_title": "School Resource Officer",
        "tier": "sro",
        "school_district": "Yakima SD",
    }
    request = urllib.request.Request(  # noqa: S310 - the test's own local server
        f"{base_url}/events/{event.slug}/register",
        data=urllib.parse.urlencode(form).encode(),
        method="POST",
    )
    started = time.monotonic()
    try:
        urllib.request.build_opener(NoRedirects).open(request, timeout=30)
    except urllib.error.HTTPError as redirect:  # 303 to the receipt, which we do not follow
        assert redirect.code == 303, redirect.read()
    return time.monotonic() - started


def test_a_registration_confirmation_arrives_without_another_page_view(
    live_server, consumer, smtp, make_event
):
    event = make_event()
    started = time.monotonic()
    register(live_server, event, "dana.reyes@yakimapd.example")

    assert wait_for(lambda: smtp.messages), "the confirmation never arrived"
    assert time.monotonic() - started < 10
    (message,) = smtp.messages
    assert message["To"] == "dana.reyes@yakimapd.example"
    assert message["Subject"].startswith("You're registered")


def test_a_request_sends_only_the_mail_it_queued(make_app, make_person, make_registration):
    """Someone else's waiting mail is not this visitor's to send, nor to wait for."""
    app = make_app(MAIL_DELIVER_AFTER_REQUEST=True)  # tests: the queue runs tasks at once
    left_by_a_command = queue_registration_email(make_registration(), "reminder")
    db.session.commit()
    person = make_person()
    add_send_link_route(app, person)

    with app.app_context(), mail.record_messages() as sent:
        response = app.test_client().post("/test-only/send-link", buffered=True)
        assert response.status_code == 200
        assert [m.recipients for m in sent] == [[person.email]]
        statuses = dict(db.session.execute(select(OutboxMessage.kind, OutboxMessage.status)).all())
    assert statuses == {"portal_link": "sent", "reminder": "pending"}
    assert left_by_a_command.id is not None


def test_mail_a_request_rolled_back_is_not_sent(make_app, make_person):
    app = make_app(MAIL_DELIVER_AFTER_REQUEST=True)
    person = make_person()

    @app.post("/test-only/change-of-mind")
    def change_of_mind():
        try:
            with write_transaction():
                queue_person_email(db.session.get(type(person), person.id), "portal_link")
                db.session.flush()
                raise LookupError("changed my mind")
        except LookupError:
            return "nothing"

    with app.app_context(), mail.record_messages() as sent:
        assert app.test_client().post("/test-only/change-of-mind", buffered=True).data
        assert sent == []
        assert db.session.scalar(select(OutboxMessage.id)) is None


def test_the_consumer_sends_what_no_request_queued(live_app, consumer, smtp, make_registration):
    """Rows a command queued (certificates, reminders) go out with the minute pass."""
    registration = make_registration()
    queue_registration_email(registration, "reminder")
    db.session.commit()

    with live_app.app_context():
        deliver_due_mail.enqueue()  # what the scheduler does every minute
    assert wait_for(lambda: smtp.messages), "the waiting mail was never sent"
    (message,) = smtp.messages
    assert message["To"] == registration.person.email


class HungSmtpServer:
    """Accepts connections and never says a word, like a mail server that hangs."""

    def __init__(self, port: int) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen()
        self.listener.settimeout(0.1)  # so that close() never races a blocked accept()
        self.held: list[socket.socket] = []
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.closing.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for connection in self.held:
            connection.close()


def test_a_hung_mail_server_does_not_slow_registration(make_app, tmp_path, make_event):
    """One sync worker (as gunicorn runs it), a mail server that accepts and never answers:
    each registration answers as fast as without it, and every confirmation is
    delivered exactly once when the server is back."""
    smtp = Server()  # its port, refused until it starts
    hung = HungSmtpServer(smtp.port)
    app = queued_app(make_app, tmp_path, smtp.port, MAIL_TIMEOUT=3, MAIL_RETRY_BASE_SECONDS=1)
    event = make_event()
    base_url, stop_server = serve(app, threaded=False)
    stop_consumer = start_consumer(app)
    try:
        emails = [f"officer{n}@yakimapd.example" for n in range(5)]
        latencies = [register(base_url, event, email) for email in emails]
        assert max(latencies) < 1.5, latencies  # the SMTP timeout is 3 s
        assert wait_for(lambda: len(hung.held) >= 1), "delivery never tried the mail server"
        assert smtp.messages == []

        hung.close()
        smtp.start()

        def minute_pass_delivered_all() -> bool:  # the scheduler's pass, once a second
            with app.app_context():
                deliver_due_mail.enqueue()
            time.sleep(1)
            return len(smtp.messages) >= len(emails)

        assert wait_for(minute_pass_delivered_all, 30), smtp.envelopes
        with app.app_context():
            time.sleep(1.5)
            assert deliver_all().sent == 0  # nothing left over to send twice
    finally:
        stop_consumer()
        stop_server()
        smtp.stop()
        hung.close()
    received = Counter(recipients[0] for _, recipients in smtp.envelopes)
    assert received == Counter(emails)


def redis_url() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/0"
    except OSError:
        return None


def test_with_redis_set_the_queue_lives_in_redis(make_app, tmp_path, smtp, make_event):
    url = redis_url()
    if url is None:
        pytest.skip("no Redis at 127.0.0.1:6379")
    name = f"summit-test-{uuid.uuid4().hex}"
    app = queued_app(make_app, tmp_path, smtp.port, REDIS_URL=url, QUEUE_NAME=name)
    queue = queue_of(app)
    assert type(queue.huey).__name__ == "RedisHuey"
    event = make_event()
    base_url, stop_server = serve(app)
    try:
        register(base_url, event, "dana.reyes@yakimapd.example")
        assert queue.huey.pending_count() == 1  # waiting in Redis: no consumer yet
        stop_consumer = start_consumer(app)
        try:
            assert wait_for(lambda: smtp.messages), "the confirmation never arrived"
        finally:
            stop_consumer()
    finally:
        stop_server()
        queue.huey.flush()
    assert [message["To"] for message in smtp.messages] == ["dana.reyes@yakimapd.example"]


def test_the_default_queue_is_a_sqlite_file_of_its_own(make_app, tmp_path):
    path = tmp_path / "queue" / "tasks.sqlite3"
    app = make_app(QUEUE_IMMEDIATE=False, QUEUE_FILE=str(path))
    queue = queue_of(app)
    assert type(queue.huey).__name__ == "SqliteHuey"
    assert path.exists()
    assert str(path) != app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
