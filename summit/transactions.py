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
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Select, event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from summit.extensions import db

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


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    """Remember that this transaction wrote, until it ends (see :func:`_refuse_pending`)."""
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
