"""The declarative base, the database handle and the column habits all models share."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, String, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

from summit.models.states import StateEnum

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, as an aware UTC datetime: every ``*_at`` column is UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always stored and returned as aware UTC.

    SQLite has no time zones and PostgreSQL returns aware values; this type makes
    both behave the same so comparisons never mix naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class StateType(TypeDecorator):
    """A state enum (``summit.models.states``) stored as its string value.

    Rows load with members, so ``registration.state.label`` works everywhere;
    plain strings are still accepted when binding (``state == "confirmed"``). The
    column stays a ``VARCHAR`` with a CHECK constraint, so migrations see a string.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[StateEnum], length: int = 20) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect) -> StateEnum | None:
        return None if value is None else self.enum(value)

    def coerce(self, value: str | None) -> str | None:
        """A known value as its member; anything else unchanged, for the database to refuse."""
        return self.enum.find(value) or value


def coerce_states(cls: type) -> type:
    """Class decorator: assigning a string to a ``StateType`` column stores the member.

    Without it ``registration.state = "confirmed"`` would read back as a plain
    string until the row is loaded again, and ``state.label`` would fail in between.
    """
    for column in cls.__table__.columns:
        if isinstance(column.type, StateType):
            _coerce_on_set(getattr(cls, column.key), column.type)
    return cls


def _coerce_on_set(attribute, state_type: StateType) -> None:
    @event.listens_for(attribute, "set", retval=True)
    def _to_member(target, value, oldvalue, initiator):
        return state_type.coerce(value)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)
SQLITE_BUSY_TIMEOUT_MS = 15000  # how long a SQLite writer waits for the lock


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Foreign keys on, WAL for concurrent readers, and a busy wait instead of errors.

    The driver's own transaction handling is switched off so that SQLAlchemy's
    ``begin`` event decides how a transaction starts (see ``_sqlite_begin``).
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """Start SQLite transactions explicitly; ``IMMEDIATE`` when a writer asked for it.

    A deferred transaction that read first cannot safely upgrade to a writer in
    WAL mode, so writes that must serialise take the write lock up front through
    ``summit.transactions.write_transaction``.
    """
    if conn.dialect.name == "sqlite":
        immediate = conn.get_execution_options().get("sqlite_immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
