"""One way to write what must serialise: seats, scans, serials, outbox claims, batches.

``with write_transaction():`` opens the unit of work, commits it once when the
block ends, and rolls it back when anything escapes the block, so a service that
raises leaves nothing half-done behind and views never roll back themselves.

How the write lock is taken depends on the database:

- **SQLite** locks the whole database per writer. The block starts with
  ``BEGIN IMMEDIATE``, so the lock is held before the first read: a transaction
  that read first could not safely upgrade to a writer in WAL mode. Taking the
  lock waits up to the connection's busy timeout (see ``summit.models.base``) and is
  tried ``LOCK_ATTEMPTS`` times when SQLite still answers "database is locked".
- **PostgreSQL** runs a normal transaction; the rows that decide the write are
  locked with :func:`for_update` or :func:`lock_row` (``SELECT … FOR UPDATE``).

The rule for changes already in the session: the block refuses to start while
the session holds changes not yet committed (added, changed, deleted or flushed
objects). Committing them would make someone else's unit of work part of this
one; losing them would be worse. A read-only transaction still open is ended
first on SQLite (it only holds a snapshot). Inside another ``write_transaction``
the block joins it: the outermost block commits.

Nothing should hold the lock across network I/O (mail servers, Stripe): do that
outside the block.

:func:`side_write` is the other, smaller door: a bookkeeping stamp (when a token
was last used) written on its own connection, outside the request's unit of work,
waiting for the lock only briefly. Whoever calls it decides what a failure means.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, has_request_context, request, request_started
from sqlalchemy import Connection, Select, event, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session

from summit.extensions import db
from summit.models.base import SQLITE_BUSY_TIMEOUT_MS

SIDE_WRITE_TIMEOUT_MS = 250  # how long a side write waits for the write lock
LOCK_ATTEMPTS = 3
LOCK_PAUSE_SECONDS = 0.05  # times the attempt, between attempts
_ACTIVE = "summit_write_transaction"
_WROTE = "summit_flushed"

T = TypeVar("T")


class PendingChanges(RuntimeError):
    """A write transaction was asked to start while the session held uncommitted changes."""


@contextmanager
def write_transaction(*, keep_loaded: bool = False) -> Iterator[Session]:
    """Hold the write lock for the block; commit once at its end, roll back on any error.

    ``keep_loaded`` commits without expiring what the block loaded, for answers
    built from those objects right after (they were read under the lock, so they
    are what was committed).
    """
    session = db.session()
    if session.info.get(_ACTIVE):
        yield session  # joined: the outer block commits or rolls back
        return
    _refuse_pending(session)
    _take_write_lock(session)
    session.info[_ACTIVE] = True
    try:
        yield session
        if keep_loaded:
            session.expire_on_commit = False
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.expire_on_commit = True
        session.info.pop(_ACTIVE, None)


@contextmanager
def side_write(*, timeout_ms: int = SIDE_WRITE_TIMEOUT_MS) -> Iterator[Connection]:
    """A short write on its own connection, committed at once, never part of the request's.

    The request's session may hold a read snapshot (a GET) or nothing at all; this
    write must not become part of it nor make it a writer. It takes the lock the
    same way :func:`write_transaction` does (``BEGIN IMMEDIATE`` on SQLite, row
    locks on PostgreSQL) but waits at most ``timeout_ms`` for it, and raises
    (``OperationalError``) rather than queue behind a long writer.

    Once it is committed, the session's own read snapshot, when it holds no changes,
    is ended: on SQLite a transaction whose snapshot predates another connection's
    commit can never become a writer ("database is locked" at once), so anything
    the request writes next must start from a snapshot that includes this write.
    """
    engine = db.engine
    with engine.connect() as connection:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            _sqlite_busy_timeout(connection, timeout_ms)
            connection = connection.execution_options(sqlite_immediate=True)
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(text(f"SET LOCAL lock_timeout = '{int(timeout_ms)}ms'"))
                yield connection
        finally:
            if sqlite:
                _sqlite_busy_timeout(connection, SQLITE_BUSY_TIMEOUT_MS)
    _end_clean_snapshot(db.session())


def _end_clean_snapshot(session: Session) -> None:
    """End a read-only transaction of ``session`` (nothing pending, not inside a write)."""
    if not session.in_transaction() or session.info.get(_ACTIVE):
        return
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        return
    session.commit()


def _sqlite_busy_timeout(connection: Connection, timeout_ms: int) -> None:
    """Set how long SQLite waits for the lock, on the driver (no SQLAlchemy transaction)."""
    connection.connection.driver_connection.execute(f"PRAGMA busy_timeout={int(timeout_ms)}")


def in_write_transaction() -> bool:
    return bool(db.session().info.get(_ACTIVE))


def for_update(statement: Select[Any], *, of: Any = None, skip_locked: bool = False) -> Select[Any]:
    """``statement`` as ``SELECT … FOR UPDATE``, re-reading rows the session already holds.

    PostgreSQL locks the rows until the block commits; SQLite already holds the
    whole database (it prints no ``FOR UPDATE``). Only inside :func:`write_transaction`.
    """
    if not in_write_transaction():
        raise RuntimeError("lock rows inside write_transaction()")
    return statement.with_for_update(of=of, skip_locked=skip_locked).execution_options(
        populate_existing=True
    )


def lock_row(model: type[T], ident: int) -> T:
    """The row of ``model`` with id ``ident``, locked until the block commits."""
    statement = select(model).where(model.id == ident)  # type: ignore[attr-defined]
    return db.session.execute(for_update(statement)).scalar_one()


def _refuse_pending(session: Session) -> None:
    if session.new or session.dirty or session.deleted or session.info.get(_WROTE):
        raise PendingChanges(
            "write_transaction() must start before any change: commit or roll back first"
        )


def _take_write_lock(session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()  # nothing pending (checked): this only ends the read snapshot
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        try:
            session.connection(execution_options={"sqlite_immediate": True})
            return
        except OperationalError as error:
            session.rollback()
            if attempt == LOCK_ATTEMPTS or "locked" not in str(error.orig).lower():
                raise
            time.sleep(LOCK_PAUSE_SECONDS * attempt)


class WriteOnGet(RuntimeError):
    """A GET or HEAD request wrote in its own transaction (``GUARD_GET_WRITES``, tests)."""


class UnscopedWrite(RuntimeError):
    """A request wrote outside :func:`write_transaction` (``GUARD_WRITE_SCOPE``, tests)."""


_GUARDED = "summit.get_guard"
_SCOPE_GUARDED = "summit.scope_guard"


@request_started.connect
def _guard_get(app: Flask, **_extra: Any) -> None:
    """Mark a dispatched request (not a ``test_request_context``) for the checks below."""
    if request.method in {"GET", "HEAD"} and app.config.get("GUARD_GET_WRITES"):
        request.environ[_GUARDED] = True
    if app.config.get("GUARD_WRITE_SCOPE"):
        request.environ[_SCOPE_GUARDED] = True


def _refuse_unscoped_write(session: Session, what: str) -> None:
    """With ``GUARD_WRITE_SCOPE`` on (the test suite), fail a request that writes outside
    :func:`write_transaction`.

    On SQLite a write that starts from a read snapshot cannot always become a
    writer: under load it answers "database is locked" (a 503) where the same
    write inside the block would have waited its turn. Every write a request
    makes goes through the one helper; the suite proves it.
    """
    if session.info.get(_ACTIVE) or not has_request_context():
        return
    if request.environ.get(_SCOPE_GUARDED):
        raise UnscopedWrite(
            f"{request.method} {request.path} wrote outside write_transaction() ({what})"
        )


def _refuse_write_on_get(what: str) -> None:
    """With ``GUARD_GET_WRITES`` on (the test suite), fail a GET that writes in its session.

    A GET is a reader: writing there made scans and lists answer "database is
    locked" on SQLite, and a link prefetcher could change state. Bookkeeping that
    must be written goes through :func:`side_write`.
    """
    if has_request_context() and request.environ.get(_GUARDED):
        raise WriteOnGet(f"GET {request.path} wrote in its request's transaction ({what})")


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    """Remember that this transaction wrote, until it ends (see :func:`_refuse_pending`)."""
    session.info[_WROTE] = True
    _refuse_write_on_get("a flush")
    _refuse_unscoped_write(session, "a flush")


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_write_on_get("an INSERT, UPDATE or DELETE")
        _refuse_unscoped_write(state.session, "an INSERT, UPDATE or DELETE")


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
