"""Shared fixtures: one schema per run, a fresh app and empty tables per test.

The suite runs on SQLite by default and on PostgreSQL when
``SUMMIT_TEST_DATABASE_URL`` is set (CI: postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from summit import create_app
from summit.auth.services import create_staff
from summit.clock import today_local
from summit.curricula import STATUTE_CODE, ensure_curricula
from summit.documents import layers
from summit.extensions import db, limiter
from summit.models import (
    AgendaSession,
    Event,
    Person,
    Registration,
    SessionTopic,
    Tier,
    utcnow,
)

STAFF_PASSWORD = "correct horse battery staple"


def _configured_url() -> str | None:
    return os.environ.get("SUMMIT_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _configured_url() or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgres")


def base_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Throttle tests count in this process, whatever SUMMIT_REDIS_URL the machine sets.
        "RATELIMIT_STORAGE_URI": "memory://",
        "GUARD_GET_WRITES": True,
        "GUARD_WRITE_SCOPE": True,
        "MAIL_SUPPRESS_SEND": True,
        "PUBLIC_URL": "https://summit.example",
        "STORAGE_DIR": str(tmp_path / "storage"),
    }


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the schema once per run from a clean database."""
    app = create_app(base_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        db.engine.dispose()
    yield


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def fresh_backdrops(monkeypatch):
    """Layered certificates keep backdrops per process: start every test without any,
    so whether a certificate is printed whole or layered never depends on test order."""
    monkeypatch.setattr(layers, "_backdrops", type(layers._backdrops)())
    monkeypatch.setattr(layers, "_sightings", type(layers._sightings)())


class BrowserLikeClient(FlaskClient):
    """Each request starts with an empty ``g``, as on a real server.

    The ``app`` fixture keeps one app context open for the whole test, and test
    requests reuse it: without this, Flask-Login's user cached in ``g`` carried over
    from one client to the next, so a fresh client acted as the last staff member
    who signed in, and a missing role check could pass unnoticed.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def make_app(_schema, database_url, tmp_path):
    """Build an app with extra config; tables are emptied when the test ends."""
    apps = []

    def factory(**overrides):
        app = create_app({**base_config(database_url, tmp_path), **overrides})
        app.test_client_class = BrowserLikeClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def rate_limited_app(make_app):
    """An app with throttling on and a clean limiter, for throttle tests."""
    app = make_app(RATELIMIT_ENABLED=True)
    limiter.reset()
    with app.app_context():
        yield app
    limiter.reset()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def sign_in(self, email: str, password: str = STAFF_PASSWORD):
        return self._client.post("/staff/sign-in", data={"email": email, "password": password})

    def as_role(self, role: str = "admin"):
        staff = create_staff(f"{role}@esd105.example", role, STAFF_PASSWORD, name=role.title())
        response = self.sign_in(staff.email)
        assert response.status_code == 302, response.data
        return staff

    def sign_out(self):
        return self._client.post("/staff/sign-out")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def make_staff(app):
    def factory(role: str = "admin", email: str | None = None):
        return create_staff(email or f"{role}-{next(_seq)}@esd105.example", role, STAFF_PASSWORD)

    return factory


@pytest.fixture
def desk(make_staff):
    """A check-in desk volunteer."""
    return make_staff("checkin")


_seq = count(1)
PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture
def curricula(app):
    return ensure_curricula()


@pytest.fixture
def make_event(app, curricula):
    """An open event on the statute's list, one session per subject, from 8:00 (Pacific)
    on its first day. By default it ran two days ago: its sessions are over, so scans
    made now count (like a paper roster typed in) and certificates may be issued.
    Pages that change before an event starts use ``make_upcoming_event``.
    """

    def factory(**overrides) -> Event:
        n = next(_seq)
        starts_on = overrides.pop("starts_on", today_local() - timedelta(days=2))
        curriculum = overrides.pop("curriculum", curricula[STATUTE_CODE])
        with_agenda = overrides.pop("with_agenda", True)
        fields = {
            "slug": f"event-{n}",
            "name": f"Test Summit {n}",
            "starts_on": starts_on,
            "ends_on": starts_on + timedelta(days=1),
            "venue_name": "Yakima Convention Center",
            "registration_opens_at": utcnow() - timedelta(days=1),
            "registration_closes_at": utcnow() + timedelta(days=30),
            "capacity": 100,
            "curriculum": curriculum,
            "default_required_minutes": 60,
        }
        fields.update(overrides)
        event = Event(**fields)
        event.tiers = [
            Tier(slug="sro", name="SRO (commissioned law enforcement officer)", position=1),
            Tier(
                slug="security",
                name="Security and other school safety staff",
                price_cents=5000,
                position=2,
            ),
        ]
        if with_agenda:
            start = datetime.combine(starts_on, time(8, 0), tzinfo=PACIFIC).astimezone(UTC)
            for i, item in enumerate(curriculum.items):
                session = AgendaSession(
                    title=item.title,
                    room="Ballroom A",
                    starts_at=start + timedelta(hours=i),
                    ends_at=start + timedelta(hours=i, minutes=60),
                )
                session.topics.append(SessionTopic(topic=item.topic, minutes=60))
                event.sessions.append(session)
        db.session.add(event)
        db.session.commit()
        return event

    return factory


@pytest.fixture
def make_upcoming_event(make_event):
    """An event two months ahead: registration details and cancelling are still open."""
    return functools.partial(make_event, starts_on=today_local() + timedelta(days=60))


@pytest.fixture
def make_person(app):
    def factory(**overrides) -> Person:
        n = next(_seq)
        fields = {
            "email": f"officer{n}@yakimapd.example",
            "first_name": "Alex",
            "last_name": f"Officer{n}",
            "agency": "Yakima Police Department",
            "role_type": "sro",
        }
        fields.update(overrides)
        person = Person(**fields)
        db.session.add(person)
        db.session.commit()
        return person

    return factory


@pytest.fixture
def make_registration(app, make_event, make_person):
    """A registration written directly (bypassing the service) for setting up a scene."""

    def factory(event: Event | None = None, person: Person | None = None, **overrides):
        event = event or make_event()
        person = person or make_person()
        n = next(_seq)
        fields = {
            "event": event,
            "person": person,
            "tier": event.tiers[0],
            "state": "confirmed",
            "ticket_code": f"TESTCODE{n:024d}".replace("0", "A").replace("1", "B"),
        }
        fields.update(overrides)
        registration = Registration(**fields)
        db.session.add(registration)
        db.session.commit()
        return registration

    return factory
