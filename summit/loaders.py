"""Loading what a URL names, or 404: one place, so every page checks the same way.

An id of another event (or of another person) answers exactly like one that does
not exist, so an address never reveals what lies outside the page's own scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm.interfaces import ORMOption

from summit.extensions import db
from summit.models import Event, Person

T = TypeVar("T")
SLUG_LENGTH = 80  # the column's length: a longer slug names nothing


def find_event(
    slug: str, *, published: bool = False, options: Sequence[ORMOption] = ()
) -> Event | None:
    """The event with this slug (only a published one with ``published``), or None.

    A slug the column cannot hold, or with a NUL or other unprintable character
    (which PostgreSQL refuses with an error), finds nothing without a query.
    """
    if len(slug) > SLUG_LENGTH or not slug.isprintable():
        return None
    statement = select(Event).where(Event.slug == slug).options(*options)
    if published:
        statement = statement.where(Event.is_published)
    return db.session.scalar(statement)


def event_or_404(slug: str, *, published: bool = False, options: Sequence[ORMOption] = ()) -> Event:
    """:func:`find_event`, or 404."""
    event = find_event(slug, published=published, options=options)
    if event is None:
        abort(404)
    return event


def get_or_404(
    model: type[T], object_id: Any, *, event: Event | None = None, person: Person | None = None
) -> T:
    """The row with this id, or 404; with ``event`` or ``person`` only a row of theirs."""
    row = db.session.get(model, object_id)
    if (
        row is None
        or (event is not None and row.event_id != event.id)  # type: ignore[attr-defined]
        or (person is not None and row.person_id != person.id)  # type: ignore[attr-defined]
    ):
        abort(404)
    return row
