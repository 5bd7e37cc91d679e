"""When mail leaves: right after the request that queued it, with no further page view.

A real HTTP server and a real SMTP server (aiosmtpd), because the point is what
happens after the response has gone, when the test client would be gone too.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from summit.extensions import db, mail
from summit.mail import queue_person_email, queue_registration_email, start_delivery_thread
from summit.models import OutboxMessage
from tests.helpers import Server, add_send_link_route


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_app(make_app, smtp):
    """The app as a server runs it: delivery after requests on, real SMTP."""
    return make_app(
        MAIL_DELIVER_AFTER_REQUEST=True,
        MAIL_SUPPRESS_SEND=False,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_TIMEOUT=5,
    )


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


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


def test_a_registration_confirmation_arrives_without_another_page_view(
    live_server, smtp, make_event
):
    event = make_event()
    form = {
        "first_name": "Dana",
        "last_name": "Reyes",
        "email": "dana.reyes@yakimapd.example",
        "phone": "(509) 555-0105",
        "agency": "Yakima Police Department",
        "job_title": "School Resource Officer",
        "tier": "sro",
        "school_district": "Yakima SD",
    }
    opener = urllib.request.build_opener(NoRedirects)
    request = urllib.request.Request(  # noqa: S310 - the test's own local server
        f"{live_server}/events/{event.slug}/register",
        data=urllib.parse.urlencode(form).encode(),
        method="POST",
    )
    started = time.monotonic()
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as redirect:  # 303 to the receipt, which we do not follow
        assert redirect.code == 303, redirect.read()

    assert wait_for(lambda: smtp.messages), "the confirmation never arrived"
    assert time.monotonic() - started < 10
    (message,) = smtp.messages
    assert message["To"] == "dana.reyes@yakimapd.example"
    assert message["Subject"].startswith("You're registered")


def test_a_request_sends_only_the_mail_it_queued(make_app, make_person, make_registration):
    """Someone else's waiting mail is not this visitor's to send, nor to wait for."""
    app = make_app(MAIL_DELIVER_AFTER_REQUEST=True)
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
        queue_person_email(db.session.get(type(person), person.id), "portal_link")
        db.session.flush()
        db.session.rollback()
        return "nothing"

    with app.app_context(), mail.record_messages() as sent:
        assert app.test_client().post("/test-only/change-of-mind", buffered=True).data
        assert sent == []
        assert db.session.scalar(select(OutboxMessage.id)) is None


def test_the_demo_delivery_thread_sends_what_no_request_queued(live_app, smtp, make_registration):
    """Rows a command queued (certificates, reminders) go out on a quiet demo site."""
    registration = make_registration()
    queue_registration_email(registration, "reminder")
    db.session.commit()

    stop = start_delivery_thread(live_app, interval=0.1)
    try:
        assert wait_for(lambda: smtp.messages), "the waiting mail was never sent"
    finally:
        stop.set()
    (message,) = smtp.messages
    assert message["To"] == registration.person.email
