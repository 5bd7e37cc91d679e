"""The one write-transaction helper: commit once, roll back on error, refuse pending changes."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from summit import transactions
from summit.extensions import db
from summit.models import Person
from summit.transactions import PendingChanges, for_update, lock_row, write_transaction


def _person(email: str = "sam@wsp.example") -> Person:
    return Person(email=email, first_name="Sam", last_name="Trooper")


def _emails() -> list[str]:
    db.session.rollback()  # read what is committed, not what this session holds
    return list(db.session.scalars(select(Person.email).order_by(Person.email)))


def test_a_block_that_ends_normally_is_committed(app):
    with write_transaction():
        db.session.add(_person())
    assert _emails() == ["sam@wsp.example"]


def test_a_block_that_raises_is_rolled_back_and_the_error_goes_on(app):
    with pytest.raises(LookupError), write_transaction():
        db.session.add(_person())
        db.session.flush()
        raise LookupError("a rule said no")
    assert not db.session.new
    assert _emails() == []


def test_a_decorated_service_commits_once_when_it_returns(app):
    @write_transaction()
    def register(email):
        db.session.add(_person(email))
        return email

    assert register("one@wsp.example") == "one@wsp.example"
    assert register("two@wsp.example") == "two@wsp.example"
    assert _emails() == ["one@wsp.example", "two@wsp.example"]


@pytest.mark.parametrize("flushed", [False, True], ids=["added", "flushed"])
def test_it_refuses_to_start_over_changes_someone_else_left_uncommitted(app, flushed):
    db.session.add(_person("left@wsp.example"))
    if flushed:
        db.session.flush()
    with pytest.raises(PendingChanges), write_transaction():
        db.session.add(_person())
    assert _emails() == []  # neither committed nor silently made part of this one


def test_a_read_before_the_block_is_no_pending_change(app):
    with write_transaction():
        db.session.add(_person())
    person = db.session.scalar(select(Person))
    with write_transaction():
        lock_row(Person, person.id).first_name = "Samantha"
    db.session.rollback()
    assert db.session.scalar(select(Person.first_name)) == "Samantha"


def test_a_block_inside_another_joins_it_and_the_outer_one_decides(app):
    with pytest.raises(LookupError), write_transaction():
        with write_transaction():
            db.session.add(_person())
        assert transactions.in_write_transaction()  # the inner block did not commit
        raise LookupError
    assert _emails() == []
    assert not transactions.in_write_transaction()


def test_rows_are_locked_only_inside_a_write_transaction(app):
    with pytest.raises(RuntimeError, match="inside write_transaction"):
        for_update(select(Person))


def test_postgresql_locks_the_rows_with_for_update(app, is_postgres):
    with write_transaction():
        sql = str(for_update(select(Person)).compile(dialect=db.session.get_bind().dialect)).upper()
    assert ("FOR UPDATE" in sql) == is_postgres  # SQLite's lock is the whole database


def test_sqlite_tries_again_while_the_database_is_locked(app, is_postgres, monkeypatch):
    if is_postgres:
        pytest.skip("BEGIN IMMEDIATE is SQLite's")
    session = db.session()
    real = session.connection
    calls = []

    def busy_twice(**kwargs):
        calls.append(kwargs)
        if len(calls) < transactions.LOCK_ATTEMPTS:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return real(**kwargs)

    monkeypatch.setattr(session, "connection", busy_twice)
    monkeypatch.setattr(transactions, "LOCK_PAUSE_SECONDS", 0)
    with write_transaction():
        db.session.add(_person())
    assert len(calls) == transactions.LOCK_ATTEMPTS
    assert calls[-1] == {"execution_options": {"sqlite_immediate": True}}
    monkeypatch.undo()
    assert _emails() == ["sam@wsp.example"]


def test_sqlite_gives_up_after_a_bounded_number_of_tries(app, is_postgres, monkeypatch):
    if is_postgres:
        pytest.skip("BEGIN IMMEDIATE is SQLite's")
    session = db.session()
    calls = []

    def always_busy(**kwargs):
        calls.append(kwargs)
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(session, "connection", always_busy)
    monkeypatch.setattr(transactions, "LOCK_PAUSE_SECONDS", 0)
    with pytest.raises(OperationalError), write_transaction():
        pytest.fail("the block must not run without the lock")
    assert len(calls) == transactions.LOCK_ATTEMPTS
