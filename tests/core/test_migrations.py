"""The migrations, applied to an empty database, build exactly the models' schema."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, create_engine, make_url, text

from summit import create_app
from summit.extensions import db


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    if not database_url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"summit_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_the_models(empty_database_url, tmp_path):
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url}
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == []
        downgrade(revision="base")
        with db.engine.connect() as conn:
            tables = db.inspect(conn).get_table_names()
        assert set(tables) <= {"alembic_version"}
        db.engine.dispose()


BEFORE_CERTIFICATE_STATUS = "6b87c271ea5d"


def _old_certificate(conn, registration, number, file_path, *, revoked=None):
    """A certificate row as stored before ``certificate.status``; ``revoked`` is the reason."""
    conn.execute(
        text(
            "INSERT INTO certificate (registration_id, event_id, serial_number, serial, version, "
            "verification_code, kind, details, content_hash, file_path, issued_at, revoked_at, "
            "revoked_reason) VALUES (:registration, :event, 1, 'S5-2027-000001', :version, "
            ":code, 'completion', '{}', '', :file_path, :issued, :revoked_at, :reason)"
        ),
        {
            "registration": registration.id,
            "event": registration.event_id,
            "version": number,
            "code": f"CODE{number:028d}",
            "file_path": file_path,
            "issued": datetime(2027, 6, 20, 12, 0),
            "revoked_at": datetime(2027, 6, 21, 12, 0) if revoked is not None else None,
            "reason": revoked or "",
        },
    )


def _certificates(columns: str) -> list[tuple]:
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {columns} FROM certificate ORDER BY version"))  # noqa: S608
        return [tuple(row) for row in rows]


def _old_registrations(curriculum_id: int) -> list[SimpleNamespace]:
    """Two registrations written with the columns of that revision, not today's models
    (a column added later would be missing from the table)."""
    stamp = {"created_at": datetime(2027, 1, 4, 12, 0), "updated_at": datetime(2027, 1, 4, 12, 0)}
    with db.engine.begin() as conn:
        tables = MetaData()
        tables.reflect(conn, only=["event", "tier", "person", "registration"])
        event_id = conn.execute(
            tables.tables["event"]
            .insert()
            .values(
                slug="s5-2027",
                name="S5 2027",
                description="",
                starts_on=date(2027, 6, 15),
                ends_on=date(2027, 6, 16),
                timezone="America/Los_Angeles",
                venue_name="",
                venue_address="",
                is_published=True,
                curriculum_id=curriculum_id,
                default_required_minutes=60,
                credit_mode="full_session",
                **stamp,
            )
        ).inserted_primary_key[0]
        tier_id = conn.execute(
            tables.tables["tier"]
            .insert()
            .values(
                event_id=event_id,
                slug="sro",
                name="SRO",
                price_cents=0,
                currency="USD",
                eligibility="",
                requires_approval=False,
                is_open=True,
                position=0,
            )
        ).inserted_primary_key[0]
        registrations = []
        for n in range(2):
            person_id = conn.execute(
                tables.tables["person"]
                .insert()
                .values(
                    email=f"p{n}@ypd.example",
                    first_name="A",
                    last_name=f"B{n}",
                    phone="",
                    agency="",
                    job_title="",
                    role_type="sro",
                    **stamp,
                )
            ).inserted_primary_key[0]
            registration_id = conn.execute(
                tables.tables["registration"]
                .insert()
                .values(
                    event_id=event_id,
                    person_id=person_id,
                    tier_id=tier_id,
                    state="confirmed",
                    ticket_code=f"TICKET{n}",
                    school_district="",
                    accommodations="",
                    **stamp,
                )
            ).inserted_primary_key[0]
            registrations.append(SimpleNamespace(id=registration_id, event_id=event_id))
    return registrations


def test_the_status_migration_names_what_the_old_columns_meant(empty_database_url):
    """Reserved rows (no file, "pending issue") become pending without their made-up
    revocation; a "Superseded…" revocation becomes superseded, others revoked."""
    from summit.curricula import STATUTE_CODE, ensure_curricula

    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url}
    )
    with app.app_context():
        upgrade(revision=BEFORE_CERTIFICATE_STATUS)
        first, second = _old_registrations(ensure_curricula()[STATUTE_CODE].id)
        with db.engine.begin() as conn:
            _old_certificate(conn, first, 1, "a-v1.pdf", revoked="Superseded by version 2.")
            _old_certificate(conn, first, 2, "a-v2.pdf")
            _old_certificate(conn, first, 3, "", revoked="pending issue")
            _old_certificate(conn, second, 4, "b-v1.pdf", revoked="Withheld: no sign-in sheet")
        db.session.remove()

        upgrade()
        rows = _certificates("version, status, revoked_at IS NULL, revoked_reason")
        assert rows == [
            (1, "superseded", False, "Superseded by version 2."),
            (2, "issued", True, ""),
            (3, "pending", True, ""),
            (4, "revoked", False, "Withheld: no sign-in sheet"),
        ]

        downgrade(revision=BEFORE_CERTIFICATE_STATUS)
        rows = _certificates("version, file_path, revoked_at IS NULL, revoked_reason")
        assert rows[2] == (3, "", False, "pending issue")
        db.engine.dispose()


BEFORE_TOKEN_SCOPES = "c38654b46eab"


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_existing_tokens_and_scans_keep_working_across_the_scope_migration(empty_database_url):
    """Tokens made before scopes keep their member's role and every event; scans keep
    their nonces, now in their staff member's scope; going back renames a shared nonce."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": empty_database_url}
    )
    with app.app_context():
        upgrade(revision=BEFORE_TOKEN_SCOPES)
        from summit.curricula import STATUTE_CODE, ensure_curricula

        event_id = _old_registrations(ensure_curricula()[STATUTE_CODE].id)[0].event_id
        stamp = datetime(2027, 6, 15, 15, 0)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO staff_user (email, name, password_hash, role, is_active, "
                    "created_at) VALUES ('door@esd105.example', '', 'x', 'checkin', TRUE, :at)"
                ),
                {"at": stamp},
            )
            conn.execute(
                text(
                    "INSERT INTO api_token (staff_user_id, name, token_hash, prefix, created_at) "
                    "VALUES (1, 'door 1', :hash, 's5_abcdefg', :at)"
                ),
                {"hash": "a" * 64, "at": stamp},
            )
            conn.execute(
                text(
                    "INSERT INTO checkin (event_id, direction, status, scanned_code, source, "
                    "nonce, scanned_at, recorded_at, is_replay, staff_user_id) VALUES "
                    "(:event, 'in', 'unknown_code', 'X', 'api', 'n-1', :at, :at, FALSE, 1)"
                ),
                {"event": event_id, "at": stamp},
            )
        db.session.remove()

        upgrade()
        assert _rows("SELECT role, all_events FROM api_token") == [("checkin", True)]
        assert _rows("SELECT nonce_scope, nonce FROM checkin") == [("staff:1", "n-1")]
        assert _rows("SELECT session_version FROM staff_user") == [(0,)]
        with db.engine.begin() as conn:  # a scanner app reuses the nonce: its own scan now
            conn.execute(
                text(
                    "INSERT INTO checkin (event_id, direction, status, scanned_code, source, "
                    "nonce, nonce_scope, api_token_id, scanned_at, recorded_at, is_replay) "
                    "VALUES (:event, 'in', 'unknown_code', 'Y', 'api', 'n-1', 'token:1', 1, "
                    ":at, :at, FALSE)"
                ),
                {"event": event_id, "at": stamp},
            )

        downgrade(revision=BEFORE_TOKEN_SCOPES)
        assert _rows("SELECT scanned_code, nonce FROM checkin ORDER BY id") == [
            ("X", "n-1"),
            ("Y", "n-1~2"),
        ]
        db.engine.dispose()
