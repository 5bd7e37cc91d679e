"""The migrations, applied to an empty database, build exactly the models' schema."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, make_url, text

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
