"""The public registration form is throttled per client address and per event (issue 14, 6)."""

from __future__ import annotations

import pytest

from summit.extensions import db, limiter
from summit.models import Registration
from tests.registration.test_form import GOOD


@pytest.fixture
def throttled_app(app, make_app):
    """Throttling on, with small limits so a test can reach them.

    Its requests run in their own app context; the test's rows are made in ``app``'s.
    """
    throttled = make_app(
        RATELIMIT_ENABLED=True,
        REGISTRATION_RATE_LIMIT="2 per minute",
        REGISTRATION_EVENT_RATE_LIMIT="4 per minute",
    )
    limiter.reset()
    yield throttled
    limiter.reset()


def register(client, event, n: int, address: str = "198.51.100.7"):
    return client.post(
        f"/events/{event.slug}/register",
        data={**GOOD, "email": f"officer{n}@yakimapd.example", "first_name": f"Officer{n}"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_one_address_is_throttled_with_a_reason_and_when_to_retry(throttled_app, make_event):
    event = make_event()
    client = throttled_app.test_client()
    assert [register(client, event, n).status_code for n in range(2)] == [303, 303]

    refused = register(client, event, 3)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Too many registrations were sent from your network" in page
    assert "Please try again in about" in page and "seconds" in page
    assert 'value="Officer3"' in page  # what was typed is kept
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    db.session.rollback()  # a fresh snapshot: the rows were written by the other app
    assert db.session.query(Registration).count() == 2

    assert register(client, event, 4, address="203.0.113.20").status_code == 303
    assert client.get(f"/events/{event.slug}/register").status_code == 200  # GETs never count


def test_one_event_is_throttled_across_addresses(throttled_app, make_event):
    event, other = make_event(), make_event()
    client = throttled_app.test_client()
    codes = [register(client, event, n, address=f"203.0.113.{n}").status_code for n in range(5)]
    assert codes == [303, 303, 303, 303, 429]
    page = register(client, event, 9, address="203.0.113.99").get_data(as_text=True)
    assert "This event is receiving an unusual number of registrations" in page
    assert register(client, other, 10, address="203.0.113.50").status_code == 303


def test_a_staff_sign_in_throttle_also_says_when_to_retry(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="1 per minute")
    limiter.reset()
    client = app.test_client()
    with app.app_context():
        client.post("/staff/sign-in", data={"email": "a@esd105.example", "password": "x"})
        blocked = client.post("/staff/sign-in", data={"email": "a@esd105.example", "password": "x"})
    limiter.reset()
    assert blocked.status_code == 429
    assert "Please try again in about" in blocked.get_data(as_text=True)
